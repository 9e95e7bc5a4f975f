package io.switchyard.dataplane.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.switchyard.dataplane.codec.HeadBytes;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A target's response head as {@link UpstreamResponseDecoder} parsed it: the bytes of its lines as received (no
 * CRLFs) and, per field, where its name and its value (surrounding whitespace trimmed) lie in them, with the framing
 * the parse settled on. It is relayed by copying those byte ranges, never decoded into a header map; a 101 is checked
 * in place ({@link #hasToken}, {@link #indexOf}, {@link #valueIs}), and only a 1xx becomes the HTTP library's response
 * with {@link #toResponse()}. Immutable. Internal.
 */
public final class ResponseHead {
    private static final byte[] COLON_SP = {':', ' '};
    private static final short CRLF = ('\r' << 8) | '\n';

    private final byte[] bytes;
    private final int statusEnd;
    private final int[] fields; // per field: name start, name end, value start, value end
    private final int fieldCount;
    private final int code;
    private final boolean http10;
    private final long contentLength;
    private final boolean chunked;
    private final boolean keepAlive;
    private final long connectionListed; // bit i: field i is named by the Connection header (first 64 fields)
    private final boolean manyListed;    // some field past the 64th is named by it

    ResponseHead(byte[] bytes, int statusEnd, int[] fields, int fieldCount, int code, boolean http10, long contentLength,
                 boolean chunked, boolean keepAlive, long connectionListed, boolean manyListed) {
        this.bytes = bytes;
        this.statusEnd = statusEnd;
        this.fields = fields;
        this.fieldCount = fieldCount;
        this.code = code;
        this.http10 = http10;
        this.contentLength = contentLength;
        this.chunked = chunked;
        this.keepAlive = keepAlive;
        this.connectionListed = connectionListed;
        this.manyListed = manyListed;
    }

    public int code() {
        return code;
    }

    /** The target spoke HTTP/1.0. */
    public boolean http10() {
        return http10;
    }

    /** Content-Length as sent, or -1 without one. */
    public long contentLength() {
        return contentLength;
    }

    public boolean chunked() {
        return chunked;
    }

    /** Whether the target keeps the connection open after this response (HTTP/1.1 without close, 1.0 with keep-alive). */
    public boolean keepAlive() {
        return keepAlive;
    }

    /** A bound for what relaying the head takes: its bytes as received, a space and a CRLF more per line. */
    public int size() {
        return bytes.length + 3 * fieldCount + 4;
    }

    public int fieldCount() {
        return fieldCount;
    }

    /** Whether field {@code i}'s name is {@code name}, ignoring case. */
    public boolean nameIs(int i, AsciiString name) {
        return HeadBytes.equalsIgnoreCase(bytes, fields[4 * i], fields[4 * i + 1], name);
    }

    /** Whether field {@code i}'s name starts with the lower-case {@code prefix}, ignoring case. */
    public boolean nameStartsWith(int i, String prefix) {
        int s = fields[4 * i];
        return fields[4 * i + 1] - s >= prefix.length() && HeadBytes.equalsLower(bytes, s, s + prefix.length(), prefix);
    }

    /** The first field named {@code name} (ignoring case), or -1. */
    public int indexOf(AsciiString name) {
        for (int i = 0; i < fieldCount; i++) if (nameIs(i, name)) return i;
        return -1;
    }

    /** Whether a field named {@code name} lists the lower-case {@code token} (comma-separated, any case, OWS trimmed). */
    public boolean hasToken(AsciiString name, String token) {
        for (int i = 0; i < fieldCount; i++) {
            if (nameIs(i, name) && HeadBytes.listHas(bytes, fields[4 * i + 2], fields[4 * i + 3], token)) return true;
        }
        return false;
    }

    /** Whether field {@code i}'s value (OWS trimmed) is exactly {@code value}, byte for byte. */
    public boolean valueIs(int i, byte[] value) {
        int from = fields[4 * i + 2];
        return fields[4 * i + 3] - from == value.length && Arrays.equals(bytes, from, from + value.length, value, 0, value.length);
    }

    /** Whether the {@code Connection} header names field {@code i} (it is hop-by-hop then, RFC 9110 7.6.1). */
    public boolean connectionListed(int i) {
        if (i < 64) return (connectionListed & (1L << i)) != 0;
        return manyListed && listed(i);
    }

    private boolean listed(int i) {
        for (int k = 0; k < fieldCount; k++) {
            if (HeadBytes.equalsLower(bytes, fields[4 * k], fields[4 * k + 1], "connection")
                    && HeadBytes.listHas(bytes, fields[4 * k + 2], fields[4 * k + 3], fields[4 * i], fields[4 * i + 1])) return true;
        }
        return false;
    }

    /** Writes the status line after the version: the code and the reason phrase as received, then CRLF. */
    public void writeStatus(ByteBuf out) {
        int at = 9; // "HTTP/1.x "
        out.writeBytes(bytes, at, 3);
        out.writeByte(' ');
        if (statusEnd > at + 4) out.writeBytes(bytes, at + 4, statusEnd - at - 4);
        out.writeShort(CRLF);
    }

    /** Writes field {@code i} as {@code name: value CRLF}: the name as received, the value trimmed. */
    public void writeField(int i, ByteBuf out) {
        int n = 4 * i;
        out.writeBytes(bytes, fields[n], fields[n + 1] - fields[n]);
        out.writeBytes(COLON_SP);
        out.writeBytes(bytes, fields[n + 2], fields[n + 3] - fields[n + 2]);
        out.writeShort(CRLF);
    }

    public AsciiString name(int i) {
        return new AsciiString(bytes, fields[4 * i], fields[4 * i + 1] - fields[4 * i], true);
    }

    public AsciiString value(int i) {
        return new AsciiString(bytes, fields[4 * i + 2], fields[4 * i + 3] - fields[4 * i + 2], true);
    }

    /** The reason phrase as received (may be empty). */
    public String reason() {
        return statusEnd > 13 ? new String(bytes, 13, statusEnd - 13, StandardCharsets.ISO_8859_1) : "";
    }

    /** The head as the HTTP library's response, every field in it (for an interim 1xx, relayed from a map). */
    public HttpResponse toResponse() {
        HttpHeaders h = DefaultHttpHeadersFactory.headersFactory().withValidation(false).newHeaders();
        for (int i = 0; i < fieldCount; i++) h.add(name(i), value(i));
        return new DefaultHttpResponse(http10 ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(code, reason()), h);
    }
}
