package io.switchyard.dataplane.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.switchyard.config.OriginPolicy;
import io.switchyard.dataplane.upstream.ResponseHead;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * A target's response head as the client gets it, written as bytes from the decoder's parse: the proxy's HTTP
 * version, the status as received, every end-to-end field as received (name as sent, value trimmed), then what the
 * proxy sets itself ({@code X-Request-Id}, the CORS fields of a route with an origin policy, the framing it decided,
 * {@code Connection}). Hop-by-hop fields, those the {@code Connection} header names, and the target's framing are
 * left out ({@link Hop}). No header map is built for it (but on a CORS route). The {@code 101} that opens a tunnel is
 * written the same way ({@link #switching}). Stateless. Internal.
 */
final class RelayedHead {
    private static final byte[] HTTP_1_1 = {'H', 'T', 'T', 'P', '/', '1', '.', '1', ' '};
    private static final byte[] HTTP_1_0 = {'H', 'T', 'T', 'P', '/', '1', '.', '0', ' '};
    private static final short CRLF = ('\r' << 8) | '\n';
    private static final byte[] SWITCHING_PROTOCOLS = "HTTP/1.1 101 Switching Protocols\r\n".getBytes(StandardCharsets.US_ASCII);

    private RelayedHead() {
    }

    /**
     * @param chunked   {@code Transfer-Encoding: chunked} goes out
     * @param length    the {@code Content-Length} that goes out, or -1 for none
     * @param connection the {@code Connection} value that goes out, or null for none
     */
    static ByteBuf write(ByteBufAllocator alloc, ResponseHead head, boolean http10, String requestId, OriginPolicy policy,
                         String origin, boolean chunked, long length, AsciiString connection) {
        ByteBuf out = alloc.buffer(head.size() + requestId.length() + 96);
        out.writeBytes(http10 ? HTTP_1_0 : HTTP_1_1);
        head.writeStatus(out);
        int n = head.fieldCount();
        if (policy == null) {
            for (int i = 0; i < n; i++) {
                if (!Hop.dropsResponseField(head, i) && !head.nameIs(i, Exchange.X_REQUEST_ID)) head.writeField(i, out);
            }
            ResponseEncoder.writeField(out, Exchange.X_REQUEST_ID, requestId);
        } else {
            // A route with an origin policy: its CORS fields replace the target's, as OriginCheck decides on a map.
            HttpHeaders h = DefaultHttpHeadersFactory.headersFactory().withValidation(false).newHeaders();
            for (int i = 0; i < n; i++) if (!Hop.dropsResponseField(head, i)) h.add(head.name(i), head.value(i));
            h.set(Exchange.X_REQUEST_ID, requestId);
            OriginCheck.decorate(policy, origin, h);
            for (Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence(); it.hasNext(); ) {
                Map.Entry<CharSequence, CharSequence> e = it.next();
                ResponseEncoder.writeField(out, e.getKey(), e.getValue());
            }
        }
        if (chunked) ResponseEncoder.writeField(out, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        if (length >= 0) ResponseEncoder.writeField(out, HttpHeaderNames.CONTENT_LENGTH, Long.toString(length));
        if (connection != null) ResponseEncoder.writeField(out, HttpHeaderNames.CONNECTION, connection);
        out.writeShort(CRLF);
        return out;
    }

    /**
     * The {@code 101} that opens a tunnel, as bytes: the status line the proxy's own ({@code 101 Switching Protocols},
     * whatever reason phrase the target gave), the target's end-to-end fields as received
     * (its {@code Sec-WebSocket-Accept}, {@code Sec-WebSocket-Protocol}, {@code Set-Cookie} and the rest; hop-by-hop ones,
     * those its {@code Connection} names and its own {@code X-Request-Id} left out), then {@code Upgrade},
     * {@code Connection} and the request's {@code X-Request-Id}. No framing: a 101 has no body.
     */
    static ByteBuf switching(ByteBufAllocator alloc, ResponseHead head, String requestId) {
        ByteBuf out = alloc.buffer(head.size() + requestId.length() + 80);
        out.writeBytes(SWITCHING_PROTOCOLS);
        int n = head.fieldCount();
        for (int i = 0; i < n; i++) {
            if (!Hop.dropsResponseField(head, i) && !head.nameIs(i, Exchange.X_REQUEST_ID)) head.writeField(i, out);
        }
        ResponseEncoder.writeField(out, HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
        ResponseEncoder.writeField(out, HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        ResponseEncoder.writeField(out, Exchange.X_REQUEST_ID, requestId);
        out.writeShort(CRLF);
        return out;
    }
}
