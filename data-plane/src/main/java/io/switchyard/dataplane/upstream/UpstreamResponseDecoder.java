package io.switchyard.dataplane.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import io.switchyard.dataplane.codec.HeadBytes;

import java.util.ArrayList;
import java.util.Arrays;

/**
 * The response decoder of an upstream connection, and a strict one: one parse of each response head by the proxy's
 * own code, and of each body's framing (Content-Length bytes, chunk by chunk with its trailers, or up to the close),
 * told by the exchange which request each response answers ({@link #expectResponseTo}), so a {@code HEAD} answer is
 * known to have no body whatever its {@code Content-Length} says. Whatever has no single meaning is refused: a bare CR
 * or LF, a control character, obs-fold, a second or non-numeric Content-Length, Content-Length beside
 * Transfer-Encoding, any Transfer-Encoding but exactly {@code chunked} (or one from an HTTP/1.0 target), a malformed
 * chunk, a status line over {@link #MAX_STATUS_LINE} or a head over {@link #MAX_HEAD} bytes. A refused response comes
 * out as {@link Malformed} after whatever of it was complete, and nothing more is decoded on that connection.
 *
 * <p>What it accepts it passes on as a {@link ResponseHead} (the head's bytes, relayed without a header map), the body
 * as {@code HttpContent} slices of the bytes read (never copied) and a {@code LastHttpContent} (with the trailers, if
 * any) at the response's end. A {@code 1xx} head comes with an empty last content of its own; after a {@code 101}
 * the bytes are no longer HTTP and wait for the handler that replaces this one (a tunnel).
 *
 * <p>It also tells whether the connection holds bytes that belong to no response ({@link #buffered()}): an upstream
 * that sent anything past the end of a response (a body on {@code HEAD}, bytes past {@code Content-Length}), or
 * anything while no request was outstanding, is closed instead of pooled. Event-loop confined. Internal.
 */
public final class UpstreamResponseDecoder extends ChannelInboundHandlerAdapter {
    /** A response refused by the parse; {@code reason} says why (for the log). */
    public record Malformed(String reason) {
    }

    /** Limits of a status line and of a head's header section (as the HTTP library's decoder had them). */
    public static final int MAX_STATUS_LINE = 8192;
    public static final int MAX_HEAD = 65536;
    private static final int MAX_CHUNK_LINE = 1024;

    private enum State { IDLE, HEAD, BODY, UNTIL_CLOSE, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER, UPGRADED, BAD }

    /** Trailer fields are checked here before they are added, so the headers need not check them again. */
    private static final HttpHeadersFactory TRAILERS = DefaultHttpHeadersFactory.trailersFactory().withValidation(false);

    private static final FastThreadLocal<byte[]> PIECES = HeadBytes.pieces();
    private final HeadBytes.Steps steps = new HeadBytes.Steps() { // one per connection, as the scan's entry into this parser
        @Override
        public int plainRun(byte[] piece, int k, int n) {
            return UpstreamResponseDecoder.this.plainRun(piece, k, n);
        }

        @Override
        public boolean step(byte b) {
            return UpstreamResponseDecoder.this.step(b);
        }
    };
    private final ArrayList<Object> out = new ArrayList<>(4);
    private ChannelHandlerContext ctx;
    private State state = State.IDLE;
    private boolean headRequest;
    private boolean tainted;       // bytes arrived that belong to no response: never reusable
    private boolean fired;         // a message went on during the current read
    private ByteBuf held;          // bytes after a 101, for the handler that replaces this one
    private String problem;
    private int finalHeadAt;       // index in out of this read's final response head, or -1

    // The head (or trailer section) being parsed. Sized for a 101 and a small answer (a connection made for one WebSocket
    // handshake parses one head and leaves); both arrays double when a head needs more, once per connection.
    private byte[] head = new byte[256];
    private int headLen;
    private int lineStart;
    private boolean sawCr;
    private int lineNo;
    private int sectionBytes;
    private int statusEnd;
    private int[] fields = new int[32];
    private int fieldCount;
    private int code;
    private boolean http10;
    private long contentLength;
    private boolean chunked;
    private int connectionFields; // how many Connection fields (their ranges are found again at the head's end)
    private long remaining;
    private HttpHeaders trailers;

    /** A request went out: the next response answers it ({@code head}: a HEAD request, whose answers carry no body). */
    public void expectResponseTo(boolean head) {
        this.headRequest = head;
        if (state == State.IDLE) startHead();
    }

    /** Bytes received that belong to no response (or a refused one): the connection must not be reused. */
    public int buffered() {
        return tainted || state == State.BAD ? 1 : 0;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // Replaced after a 101 (a tunnel): what followed the head in the same read goes on as it came.
        ByteBuf h = held;
        held = null;
        HeadBytes.handOn(ctx, h);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        switch (state) {
            case BAD -> {
                buf.release();
                return;
            }
            case UPGRADED -> {
                hold(buf, buf.readerIndex(), buf.writerIndex());
                buf.release();
                return;
            }
            case IDLE -> {
                if (!buf.isReadable()) {
                    buf.release();
                    return;
                }
                // Nothing was asked: whatever this is, the connection is out of step (the handler after us closes it).
                tainted = true;
                fired = true;
                ctx.fireChannelRead(buf);
                return;
            }
            default -> {
            }
        }
        int end = buf.writerIndex();
        finalHeadAt = -1;
        int stop;
        try {
            stop = scan(buf, buf.readerIndex(), end);
            if (stop < end) {
                if (state == State.UPGRADED) hold(buf, stop, end);
                else if (state == State.IDLE) tainted = true; // bytes past the end of the response
            }
        } finally {
            buf.release(); // what goes on holds retained slices of it
        }
        if (problem != null) {
            state = State.BAD;
            // A response refused in the read that brought its head: nothing of it goes on, so the client gets a 502
            // rather than a head and a cut.
            if (finalHeadAt >= 0) {
                for (int i = out.size() - 1; i >= finalHeadAt; i--) ReferenceCountUtil.release(out.remove(i));
            }
            out.add(new Malformed(problem));
        }
        emit(ctx);
    }

    private void emit(ChannelHandlerContext ctx) {
        if (out.isEmpty()) return;
        Object[] objs = out.toArray();
        out.clear();
        fired = true;
        for (Object o : objs) ctx.fireChannelRead(o);
    }

    private void hold(ByteBuf buf, int from, int to) {
        if (from >= to) return;
        if (held == null) held = ctx.alloc().buffer(to - from);
        held.writeBytes(buf, from, to - from);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // With AUTO_READ off, a read that completed no object asks for the next one itself (as a decoder does).
        if (!fired && !ctx.channel().config().isAutoRead()) ctx.read();
        fired = false;
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (held != null) {
            held.release();
            held = null;
        }
        if (state == State.UNTIL_CLOSE) {
            // A body delimited by the close ends here.
            state = State.IDLE;
            ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
        } else if (state != State.IDLE && state != State.BAD && state != State.UPGRADED && (state != State.HEAD || headLen > 0)) {
            state = State.BAD;
            ctx.fireChannelRead(new Malformed("connection closed before the response ended"));
        }
        ctx.fireChannelInactive();
    }

    // ---- the parser: heads, chunk-size lines and trailers byte by byte (plain runs in one copy), bodies in one jump ----

    /** Parses {@code buf[from, to)}; returns where it stopped (at {@code to}, or after a response, a 101 or a problem). */
    private int scan(ByteBuf buf, int from, int to) {
        int i = from;
        while (i < to && problem == null) {
            switch (state) {
                case IDLE, UPGRADED, BAD -> {
                    return i;
                }
                case BODY, CHUNK_DATA -> {
                    int n = (int) Math.min(remaining, to - i);
                    ByteBuf slice = buf.retainedSlice(i, n);
                    i += n;
                    remaining -= n;
                    if (remaining > 0) {
                        out.add(new DefaultHttpContent(slice));
                    } else if (state == State.BODY) {
                        out.add(new DefaultLastHttpContent(slice, EmptyHttpHeaders.INSTANCE)); // no trailer map per response
                        responseEnd();
                    } else {
                        out.add(new DefaultHttpContent(slice));
                        state = State.CHUNK_END;
                        sawCr = false;
                    }
                }
                case UNTIL_CLOSE -> {
                    out.add(new DefaultHttpContent(buf.retainedSlice(i, to - i)));
                    return to;
                }
                default -> {
                    int stopped = HeadBytes.stepAll(buf, i, to, PIECES.get(), steps);
                    if (stopped < 0) return to;
                    i = stopped + 1; // stopped at a problem, or where the next part is not stepped
                }
            }
        }
        return problem != null ? to : i;
    }

    /**
     * Takes the bytes from {@code piece[k]} on that {@link #lineByte} would only store, in one copy: inside a head or
     * trailer line (no CR pending), up to the next control byte (CR, LF, HTAB and the ones refused) and no further
     * than the head's array and the limits allow. What it stops at gets a step of its own, so every check, its order
     * and every answer stay those of {@link #lineByte}. Returns how many bytes it took, 0 when {@code piece[k]} needs
     * its step.
     */
    private int plainRun(byte[] piece, int k, int n) {
        if (sawCr || (state != State.HEAD && state != State.TRAILER)) return 0;
        boolean statusLine = lineNo == 0 && state == State.HEAD;
        int room = Math.min(head.length - headLen, statusLine ? MAX_STATUS_LINE - (headLen - lineStart) : MAX_HEAD - sectionBytes);
        int end = Math.min(n, k + room);
        int run = HeadBytes.plainEnd(piece, k, end) - k;
        if (run > 0) {
            System.arraycopy(piece, k, head, headLen, run);
            headLen += run;
            if (!statusLine) sectionBytes += run;
        }
        return run;
    }

    private boolean step(byte b) {
        return switch (state) {
            case HEAD, TRAILER, CHUNK_SIZE -> lineByte(b);
            case CHUNK_END -> chunkEnd(b);
            default -> false;
        };
    }

    private boolean chunkEnd(byte b) {
        // Exactly CRLF after chunk data.
        if (b == '\r' && !sawCr) {
            sawCr = true;
            return true;
        }
        if (b == '\n' && sawCr) {
            state = State.CHUNK_SIZE;
            lineStart = headLen = 0;
            sawCr = false;
            return true;
        }
        return fail("malformed chunk: no CRLF after chunk data");
    }

    private boolean lineByte(byte b) {
        if (b == '\n') {
            if (!sawCr) return fail("bare LF in response");
            sawCr = false;
            return endLine();
        }
        if (sawCr) return fail("bare CR in response");
        if (b == '\r') {
            sawCr = true;
            return true;
        }
        if (HeadBytes.isControl(b)) return fail("control character in response");
        int lineLen = headLen - lineStart;
        if (state == State.CHUNK_SIZE) {
            if (b < 0) return fail("non-ASCII byte in chunk size line");
            if (lineLen >= MAX_CHUNK_LINE) return fail("chunk size line too long");
        } else if (lineNo == 0 && state == State.HEAD) {
            if (lineLen >= MAX_STATUS_LINE) return fail("status line over " + MAX_STATUS_LINE + " bytes");
        } else if (++sectionBytes > MAX_HEAD) {
            return fail("response head over " + MAX_HEAD + " bytes");
        }
        if (headLen == head.length) head = Arrays.copyOf(head, head.length * 2);
        head[headLen++] = b;
        return true;
    }

    private boolean endLine() {
        int from = lineStart;
        int to = headLen;
        if (state == State.CHUNK_SIZE) return chunkSizeLine(to);
        if (state == State.HEAD && lineNo == 0) {
            lineNo++;
            return statusLine(to);
        }
        sectionBytes += 2;
        if (from == to) return state == State.TRAILER ? trailersEnd() : headEnd();
        if (head[from] == ' ' || head[from] == '\t') return fail("obsolete line folding in response");
        int colon = HeadBytes.indexOf(head, (byte) ':', from, to);
        if (colon <= from) return fail(colon < 0 ? "header line without a colon" : "empty header name");
        for (int i = from; i < colon; i++) if (!HeadBytes.isTchar(head[i])) return fail("invalid character in header name");
        int vs = HeadBytes.trimStart(head, colon + 1, to);
        int ve = HeadBytes.trimEnd(head, vs, to);
        lineStart = headLen;
        if (state == State.TRAILER) {
            // As the HTTP library did: trailers never carry framing.
            if (HeadBytes.equalsLower(head, from, colon, "content-length") || HeadBytes.equalsLower(head, from, colon, "transfer-encoding")
                    || HeadBytes.equalsLower(head, from, colon, "trailer")) return true;
            if (trailers == null) trailers = TRAILERS.newHeaders();
            trailers.add(new AsciiString(head, from, colon - from, true), new AsciiString(head, vs, ve - vs, true));
            return true;
        }
        if (HeadBytes.equalsLower(head, from, colon, "content-length")) {
            if (contentLength >= 0) return fail("more than one Content-Length");
            contentLength = HeadBytes.digits(head, vs, ve);
            if (contentLength < 0) return fail("invalid Content-Length");
        } else if (HeadBytes.equalsLower(head, from, colon, "transfer-encoding")) {
            if (chunked) return fail("more than one Transfer-Encoding");
            if (!HeadBytes.equalsLower(head, vs, ve, "chunked")) return fail("unsupported Transfer-Encoding (expected: chunked)");
            chunked = true;
        } else if (HeadBytes.equalsLower(head, from, colon, "connection")) {
            connectionFields++;
        }
        if (4 * fieldCount + 4 > fields.length) fields = Arrays.copyOf(fields, fields.length * 2);
        int n = 4 * fieldCount++;
        fields[n] = from;
        fields[n + 1] = colon;
        fields[n + 2] = vs;
        fields[n + 3] = ve;
        return true;
    }

    private boolean statusLine(int to) {
        // HTTP-version SP 3DIGIT SP reason-phrase (RFC 9112 4); the reason may be empty, its SP too
        if (to < 12 || !HeadBytes.startsWith(head, 0, to, "HTTP/1.") || (head[7] != '1' && head[7] != '0') || head[8] != ' ')
            return fail("malformed status line");
        for (int i = 9; i < 12; i++) if (head[i] < '0' || head[i] > '9') return fail("malformed status code");
        if (to > 12 && head[12] != ' ') return fail("malformed status line");
        code = (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
        if (code < 100 || code > 599) return fail("status code out of range");
        http10 = head[7] == '0';
        statusEnd = to;
        lineStart = headLen;
        return true;
    }

    private boolean headEnd() {
        if (chunked && contentLength >= 0) return fail("both Content-Length and Transfer-Encoding");
        if (chunked && http10) return fail("Transfer-Encoding in an HTTP/1.0 response");
        if (code >= 200) finalHeadAt = out.size();
        out.add(newHead());
        if (code == 101) {
            // No longer HTTP: the rest waits for the handler that replaces this one.
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            state = State.UPGRADED;
            return false;
        }
        if (code < 200) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT); // an interim answer: the final one follows
            startHead();
            return true;
        }
        if (headRequest || code == 204 || code == 304 || contentLength == 0) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            responseEnd();
            return false;
        }
        if (chunked) {
            state = State.CHUNK_SIZE;
            lineStart = headLen = 0;
            return true;
        }
        state = contentLength > 0 ? State.BODY : State.UNTIL_CLOSE;
        remaining = contentLength;
        return false; // the body is taken in one jump by scan()
    }

    private ResponseHead newHead() {
        boolean close = false;
        boolean keepAliveAsked = false;
        long listed = 0;
        boolean many = false;
        if (connectionFields > 0) {
            for (int k = 0; k < fieldCount; k++) {
                int n = 4 * k;
                if (!HeadBytes.equalsLower(head, fields[n], fields[n + 1], "connection")) continue;
                close |= HeadBytes.listHas(head, fields[n + 2], fields[n + 3], "close");
                keepAliveAsked |= HeadBytes.listHas(head, fields[n + 2], fields[n + 3], "keep-alive");
                for (int i = 0; i < fieldCount; i++) {
                    if (HeadBytes.listHas(head, fields[n + 2], fields[n + 3], fields[4 * i], fields[4 * i + 1])) {
                        if (i < 64) listed |= 1L << i;
                        else many = true;
                    }
                }
            }
        }
        boolean keepAlive = !close && (!http10 || keepAliveAsked); // as the HTTP library reads it
        return new ResponseHead(Arrays.copyOf(head, headLen), statusEnd, Arrays.copyOf(fields, 4 * fieldCount), fieldCount,
                code, http10, contentLength, chunked, keepAlive, listed, many);
    }

    private boolean chunkSizeLine(int to) {
        long size = HeadBytes.chunkSize(head, to);
        if (size == HeadBytes.TOO_LARGE) return fail("chunk size too large");
        if (size < 0) return fail("malformed chunk size");
        lineStart = headLen = 0;
        if (size == 0) {
            state = State.TRAILER;
            sectionBytes = 0;
            lineNo = 1;
            return true;
        }
        state = State.CHUNK_DATA;
        remaining = size;
        return false; // the chunk's data is taken in one jump by scan()
    }

    private boolean trailersEnd() {
        HttpHeaders t = trailers;
        trailers = null;
        out.add(t == null ? LastHttpContent.EMPTY_LAST_CONTENT : new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, t));
        responseEnd();
        return false;
    }

    /** The final response ended at the current byte: nothing more is due until the next request. */
    private void responseEnd() {
        state = State.IDLE;
    }

    private void startHead() {
        state = State.HEAD;
        headLen = lineStart = 0;
        sawCr = false;
        lineNo = 0;
        sectionBytes = 0;
        fieldCount = 0;
        contentLength = -1;
        chunked = false;
        connectionFields = 0;
        trailers = null;
    }

    private boolean fail(String why) {
        problem = why;
        return false;
    }
}
