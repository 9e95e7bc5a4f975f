package io.switchyard.dataplane.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import io.switchyard.dataplane.upstream.ResponseHead;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Iterator;

/** RFC 6455 section 4 checks on both halves of an opening handshake. Stateless. */
final class WebSocketHandshake {
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private WebSocketHandshake() {
    }

    /** The client asked to switch to WebSocket ({@code Upgrade: websocket}); whether it did so properly is {@link #problem}'s. */
    static boolean asks(HttpRequest req) {
        return Hop.hasToken(req.headers(), HttpHeaderNames.UPGRADE, "websocket");
    }

    /**
     * Null for a valid RFC 6455 opening handshake: {@code GET}, HTTP/1.1, {@code Connection: upgrade}, one
     * {@code Sec-WebSocket-Key} of 16 base64-encoded bytes, {@code Sec-WebSocket-Version: 13}. Otherwise the
     * status to answer with: 426 for another version (with {@code Sec-WebSocket-Version: 13}, RFC 6455 4.4),
     * 400 for the rest. A request that asks for WebSocket is never tunnelled nor silently downgraded when invalid.
     */
    static RequestTarget.Refusal problem(HttpRequest req) {
        HttpHeaders h = req.headers();
        if (!HttpMethod.GET.equals(req.method())) return bad("WebSocket handshake with method " + req.method() + " (expected: GET)");
        if (!HttpVersion.HTTP_1_1.equals(req.protocolVersion())) return bad("WebSocket handshake over HTTP/1.0 (expected: HTTP/1.1)");
        if (!Hop.hasToken(h, HttpHeaderNames.CONNECTION, "upgrade")) return bad("WebSocket handshake without Connection: upgrade");
        CharSequence version = only(h, HttpHeaderNames.SEC_WEBSOCKET_VERSION);
        if (version == null || !trim(version).equals("13"))
            return new RequestTarget.Refusal(HttpResponseStatus.UPGRADE_REQUIRED, "unsupported WebSocket version (expected: 13)");
        CharSequence key = only(h, HttpHeaderNames.SEC_WEBSOCKET_KEY);
        if (key == null) return bad("WebSocket handshake needs exactly one Sec-WebSocket-Key");
        if (!sixteenBytesOfBase64(trim(key))) return bad("Sec-WebSocket-Key is not 16 bytes of base64");
        return null;
    }

    /** The one value of {@code name}, or null when it has none or several (walked in the map, no list). */
    private static CharSequence only(HttpHeaders h, CharSequence name) {
        Iterator<? extends CharSequence> it = h.valueCharSequenceIterator(name);
        if (!it.hasNext()) return null;
        CharSequence v = it.next();
        return it.hasNext() ? null : v;
    }

    /** {@code v} without leading and trailing characters up to space, as {@link String#trim()}. */
    private static String trim(CharSequence v) {
        return v.toString().trim();
    }

    /**
     * Whether {@code s} is base64 (RFC 4648 section 4 alphabet) for exactly 16 bytes, as the JDK's basic decoder reads
     * it: 22 characters of the alphabet, then the two padding characters or none. Checked in place, nothing decoded.
     */
    static boolean sixteenBytesOfBase64(String s) {
        int n = s.length();
        if (n != 22 && !(n == 24 && s.charAt(22) == '=' && s.charAt(23) == '=')) return false;
        for (int i = 0; i < 22; i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
            if (!ok) return false;
        }
        return true;
    }

    private static RequestTarget.Refusal bad(String why) {
        return new RequestTarget.Refusal(HttpResponseStatus.BAD_REQUEST, why);
    }

    /**
     * The upstream accepted: 101, {@code Upgrade: websocket} and, in its first {@code Sec-WebSocket-Accept}, the accept
     * derived from the client's {@code key}. Checked on the decoder's parse of the head, in place.
     */
    static boolean accepted(String key, ResponseHead head) {
        if (head.code() != HttpResponseStatus.SWITCHING_PROTOCOLS.code() || key == null) return false;
        if (!head.hasToken(HttpHeaderNames.UPGRADE, "websocket")) return false;
        int accept = head.indexOf(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT);
        return accept >= 0 && head.valueIs(accept, acceptFor(key.trim()));
    }

    // One digest per event loop: getInstance walks the JCA providers on every call, once per handshake
    // otherwise (seen in the bench's handshake profile). Only ever used on its own thread.
    private static final io.netty.util.concurrent.FastThreadLocal<MessageDigest> SHA1 = new io.netty.util.concurrent.FastThreadLocal<>() {
        @Override
        protected MessageDigest initialValue() throws NoSuchAlgorithmException {
            return MessageDigest.getInstance("SHA-1");
        }
    };

    private static final byte[] GUID_BYTES = GUID.getBytes(StandardCharsets.US_ASCII);

    /** The {@code Sec-WebSocket-Accept} for {@code key} (RFC 6455 4.2.2), as its ASCII bytes. */
    static byte[] acceptFor(String key) {
        MessageDigest sha1 = SHA1.get();
        sha1.reset();
        sha1.update(key.getBytes(StandardCharsets.US_ASCII));
        sha1.update(GUID_BYTES);
        return Base64.getEncoder().encode(sha1.digest());
    }
}
