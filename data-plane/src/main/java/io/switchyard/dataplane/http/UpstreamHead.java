package io.switchyard.dataplane.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.util.AsciiString;


/**
 * A client's request head as the target gets it, written as bytes from the guard's parse: the request line (the
 * path the exchange chose, HTTP/1.1), every end-to-end field as the guard decoded it (name as sent, value trimmed),
 * in the client's order, copied as the guard stored them ({@link RequestFields}: a run of kept lines in one copy),
 * then what the proxy sets itself, in a fixed order: framing, {@code Host}, the forwarding fields,
 * {@code X-Request-Id}, and {@code Upgrade} / {@code Connection} for a WebSocket handshake. Fields
 * {@link Hop#dropsRequestField} names stay behind. The client's fields are read, never edited: no header map is
 * changed, copied or encoded per request. The response side's twin is {@link RelayedHead}. Internal.
 */
final class UpstreamHead {
    private static final byte[] SP_HTTP_1_1_CRLF = {' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n'};
    private static final short CRLF = ('\r' << 8) | '\n';

    private final ByteBuf out;

    private UpstreamHead(ByteBuf out) {
        this.out = out;
    }

    /**
     * Starts the head: the request line, then the client's end-to-end fields; the caller adds the proxy's fields
     * ({@link #field}) and ends it ({@link #end}).
     *
     * @param dropped one slot, set to how many fields were left out for an underscore in their name
     */
    static UpstreamHead start(ByteBufAllocator alloc, HttpMethod method, String uri, RequestFields client, int[] dropped) {
        ByteBuf out = alloc.buffer(uri.length() + client.length() + 384);
        ByteBufUtil.copy(method.asciiName(), out);
        out.writeByte(' ');
        if (uri.isEmpty()) out.writeByte('/');
        else ByteBufUtil.writeUtf8(out, uri);
        out.writeBytes(SP_HTTP_1_1_CRLF);
        // The client's lines are already "name: value CRLF" as they go on: a run of kept fields is one copy.
        boolean[] listed = client.listedBy(HttpHeaderNames.CONNECTION);
        byte[] lines = client.bytes();
        int underscores = 0;
        int run = 0;
        for (int i = 0, n = client.size(); i < n; i++) {
            if (!Hop.dropsRequestField(client, i, listed)) continue;
            if (Hop.hasUnderscore(client, i)) underscores++;
            int s = client.start(i);
            if (s > run) out.writeBytes(lines, run, s - run);
            run = client.end(i);
        }
        int end = client.length();
        if (end > run) out.writeBytes(lines, run, end - run);
        dropped[0] = underscores;
        return new UpstreamHead(out);
    }

    UpstreamHead field(AsciiString name, CharSequence value) {
        ResponseEncoder.writeField(out, name, value);
        return this;
    }

    /** Ends the head (the empty line) and hands over its bytes. */
    ByteBuf end() {
        out.writeShort(CRLF);
        return out;
    }
}
