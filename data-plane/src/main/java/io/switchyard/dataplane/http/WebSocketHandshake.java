package io.switchyard.dataplane.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/** RFC 6455 section 4 checks on both halves of an opening handshake. Stateless. */
final class WebSocketHandshake {
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private WebSocketHandshake() {
    }

    /**
     * A real WebSocket handshake: {@code GET}, {@code Upgrade: websocket}, {@code Connection: upgrade},
     * a 16-byte base64 {@code Sec-WebSocket-Key} and {@code Sec-WebSocket-Version: 13}. Anything less
     * (e.g. {@code Upgrade: h2c}) is proxied as plain HTTP with the upgrade headers removed.
     */
    static boolean isHandshake(HttpRequest req) {
        HttpHeaders h = req.headers();
        if (!HttpMethod.GET.equals(req.method())) return false;
        if (!Hop.hasToken(h, HttpHeaderNames.UPGRADE, "websocket")) return false;
        if (!Hop.hasToken(h, HttpHeaderNames.CONNECTION, "upgrade")) return false;
        if (!"13".equals(h.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) return false;
        String key = h.get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
        if (key == null || h.getAll(HttpHeaderNames.SEC_WEBSOCKET_KEY).size() != 1) return false;
        try {
            return Base64.getDecoder().decode(key.trim()).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The upstream accepted: 101, {@code Upgrade: websocket} and the Accept derived from our key. */
    static boolean accepted(HttpRequest req, HttpResponse resp) {
        if (resp.status().code() != HttpResponseStatus.SWITCHING_PROTOCOLS.code()) return false;
        if (!Hop.hasToken(resp.headers(), HttpHeaderNames.UPGRADE, "websocket")) return false;
        String accept = resp.headers().get(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT);
        return accept != null && accept.trim().equals(acceptFor(req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_KEY).trim()));
    }

    // One digest per event loop: getInstance walks the JCA providers on every call, once per handshake
    // otherwise (seen in the bench's handshake profile). Only ever used on its own thread.
    private static final io.netty.util.concurrent.FastThreadLocal<MessageDigest> SHA1 = new io.netty.util.concurrent.FastThreadLocal<>() {
        @Override
        protected MessageDigest initialValue() throws NoSuchAlgorithmException {
            return MessageDigest.getInstance("SHA-1");
        }
    };

    static String acceptFor(String key) {
        MessageDigest sha1 = SHA1.get();
        sha1.reset();
        return Base64.getEncoder().encodeToString(sha1.digest((key + GUID).getBytes(StandardCharsets.US_ASCII)));
    }
}
