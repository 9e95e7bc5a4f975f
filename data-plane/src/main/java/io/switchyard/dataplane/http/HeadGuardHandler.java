package io.switchyard.dataplane.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ScheduledFuture;
import io.switchyard.dataplane.codec.HeadBytes;
import io.switchyard.dataplane.status.Metrics;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The request decoder of a client connection, and a strict one: it parses every request head on the connection
 * (the first, pipelined ones, one after a body in the same read, one after a refused upgrade) and the framing of
 * every body (Content-Length bytes, or chunk by chunk with its trailers), so it always knows where the next head
 * starts, and it is the only parser of the client's bytes. Lenient parsers join obs-folded lines, drop
 * Content-Length beside Transfer-Encoding, skip junk after a chunk, give the obsolete {@code Sec-WebSocket-Key1}
 * draft an implicit 8-byte body; a second parser that reads a message differently is what request smuggling is
 * made of. Whatever this guard cannot frame in exactly one way it refuses: the bytes from that point on are dropped
 * (never decoded, never forwarded), and a {@link BadHead} event tells the proxy to answer 400 (or 414/431) and
 * close. Messages complete before the bad one still pass, so the requests ahead of it are answered first.
 *
 * <p>What it accepts it passes on as the HTTP library's message objects, built from its own parse (one parse per
 * head, no second decoder): an {@link HttpRequest} per head (its method also told to the {@link ResponseEncoder}),
 * the body as {@link HttpContent} slices of the bytes read (never copied), and a {@link LastHttpContent} at each
 * message's end. Request trailers are checked for shape and never forwarded, so the last content carries none. A
 * head still incomplete when the connection closes comes out as a request failed with
 * {@link PrematureChannelClosureException} (answered 400), and the bytes of an incomplete head when the guard leaves
 * the pipeline (the switch to a tunnel) go on to the next handler as they are.
 *
 * <p>It also enforces the clocks of a request head: a head must complete within the header timeout once its
 * first byte arrived (slowloris), and an idle keep-alive connection may wait {@link #KEEP_ALIVE_IDLE_MS} for
 * its next head ({@link #expectHead()}). Event-loop confined: no locks. Internal.
 */
public final class HeadGuardHandler extends ChannelDuplexHandler {
    /**
     * A request refused before decoding. {@code status} is 400, 414 or 431; {@code inBody} is true when the head
     * was fine but its body's framing was not (the exchange already running must be abandoned).
     */
    public record BadHead(int status, String reason, boolean inBody) {
    }

    /** Request line limit (414 beyond), header block limit (431 beyond), header count limit (431 beyond). */
    public static final int MAX_REQUEST_LINE = 8 * 1024;
    public static final int MAX_HEAD = 32 * 1024;
    public static final int MAX_HEADER_COUNT = 100;
    /** How long a keep-alive connection may sit between requests (nginx's keepalive_timeout is 75 s). */
    static final long KEEP_ALIVE_IDLE_MS = 60_000;
    private static final int MAX_CHUNK_LINE = 1024;

    private enum State { HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER, BAD }

    /** A connection's field lines ({@link RequestFields}) fit this many bytes and fields before its arrays grow. */
    private static final int FIRST_BLOCK = 512;
    private static final int FIRST_FIELDS = 16;
    /** Arrays grown past this for one large head are dropped after it: a keep-alive connection does not keep them. */
    private static final int KEPT_BLOCK = 4096;

    private final long timeoutMs;
    private final Metrics metrics;
    private final ResponseEncoder encoder;
    private ChannelHandlerContext ctx;
    private State state = State.HEAD;
    private byte[] line = new byte[256];
    private int lineLen;
    private boolean sawCr;
    private int lineNo;
    private int headBytes;
    private int headerCount;
    private boolean http10;
    private long contentLength = -1;
    private boolean chunked;
    private boolean connectionClose;     // a Connection field lists "close"
    private boolean connectionKeepAlive; // a Connection field lists "keep-alive"
    private long remaining;
    private int problemStatus;
    private String problem;
    private boolean headStarted;
    private ScheduledFuture<?> timer;
    private long timerAt;
    private long deadline;
    private boolean idle;
    // The message being decoded, and what one read produced: objects up to outComplete belong to complete messages.
    private HttpMethod method;
    private String uri;
    // Fields are checked here before they are stored (names tchar only, no control character anywhere in a head), so
    // nothing checks them again; the request gets a copy of them (RequestFields) and the next head reuses the arrays.
    private boolean lineRead;      // the current head's request line is parsed (its fields are being stored)
    private byte[] block;          // the head's field lines, "name: value CRLF" each
    private int blockLen;
    private int[] fieldAt;         // per field: its colon's index in block, its value's end
    private int fieldCount;
    private final ArrayList<Object> out = new ArrayList<>(4);
    private int outComplete;
    private ByteBuf held;          // raw bytes of a head still incomplete at the end of a read (for a switch)
    private boolean gotBytes;      // bytes reached the decoding side at least once
    private boolean fired;         // a message object went on during the current read batch

    /** @param encoder the connection's response encoder, told each request's method (null: responses need no method) */
    public HeadGuardHandler(long timeoutMs, Metrics metrics, ResponseEncoder encoder) {
        this.timeoutMs = timeoutMs;
        this.metrics = metrics;
        this.encoder = encoder;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) arm(timeoutMs);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm(timeoutMs);
        ctx.fireChannelActive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimer();
        // Leaving the pipeline (a switch to a tunnel): the bytes of a head not yet complete go on as they came.
        ByteBuf h = held;
        held = null;
        HeadBytes.handOn(ctx, h);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimer();
        releaseHeld();
        if (state == State.HEAD && lineNo > 0 && lineRead) {
            // A head cut short by the close (or by the header timeout): the proxy answers and logs it as a bad request.
            ClientRequest r = request();
            r.setDecoderResult(DecoderResult.failure(new PrematureChannelClosureException("Connection closed before received headers")));
            lineNo = 0;
            if (encoder != null) encoder.requestDecoded(method);
            ctx.fireChannelRead(r);
            ctx.fireChannelReadComplete();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // With AUTO_READ off, a read that completed no object asks for the next one itself (as a decoder does).
        if (gotBytes && !fired && !ctx.channel().config().isAutoRead()) ctx.read();
        fired = false;
        ctx.fireChannelReadComplete();
    }

    /**
     * The previous exchange is over and nothing is pipelined: until the next head's first byte the connection is
     * an idle keep-alive one (the longer limit); from that byte on, the head must complete in the header timeout.
     */
    public void expectHead() {
        expectHead(Math.max(timeoutMs, KEEP_ALIVE_IDLE_MS));
    }

    /** As {@link #expectHead()} with another idle limit (a draining connection gets a short one for its last request). */
    public void expectHead(long idleMs) {
        if (state == State.BAD || headStarted) return;
        idle = true;
        arm(idleMs);
    }

    /**
     * Sets the deadline. One timer per connection, not one per request: it stays scheduled and, when it fires before
     * the current deadline (the deadline moved on since), re-arms itself for the rest, as {@code IdleStateHandler} does.
     */
    private void arm(long ms) {
        long now = System.nanoTime();
        deadline = now + TimeUnit.MILLISECONDS.toNanos(ms);
        if (timer != null && timerAt <= deadline) return;
        if (timer != null) timer.cancel(false);
        timerAt = deadline;
        timer = ctx.executor().schedule(this::fire, deadline - now, TimeUnit.NANOSECONDS);
    }

    private void disarm() {
        deadline = 0;
    }

    private void fire() {
        timer = null;
        if (deadline == 0 || !ctx.channel().isActive()) return;
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            ctx.close();
            return;
        }
        timerAt = deadline;
        timer = ctx.executor().schedule(this::fire, left, TimeUnit.NANOSECONDS);
    }

    private void cancelTimer() {
        deadline = 0;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        metrics.bytesIn(buf.readableBytes());
        if (state == State.BAD) {
            buf.release();
            return;
        }
        if (idle && buf.isReadable()) {
            idle = false;
            disarm();
        }
        int start = buf.readerIndex();
        int end = buf.writerIndex();
        cursor = start - 1;
        lastMessageEnd = start;
        outComplete = 0;
        try {
            scan(buf, start, end);
            if (problem == null && state == State.HEAD && lastMessageEnd < end) hold(buf, lastMessageEnd, end);
        } finally {
            buf.release(); // what goes on holds retained slices of it
        }
        if (problem == null) {
            gotBytes = true;
            emit(ctx, out.size());
            return;
        }
        // Pass what was complete before the bad message; drop the rest, now and later.
        for (int i = outComplete; i < out.size(); i++) ReferenceCountUtil.release(out.get(i));
        releaseHeld();
        lineRead = false;
        state = State.BAD;
        disarm();
        if (lastMessageEnd > start) gotBytes = true;
        emit(ctx, outComplete);
        ctx.fireUserEventTriggered(new BadHead(problemStatus, problem, inBodyProblem));
    }

    /** Passes on the first {@code n} objects of this read, in order, and forgets the list. */
    private void emit(ChannelHandlerContext ctx, int n) {
        if (n == 0) {
            out.clear();
            return;
        }
        Object[] objs = out.toArray();
        out.clear();
        for (int i = 0; i < n; i++) {
            Object o = objs[i];
            if (o instanceof HttpRequest r && encoder != null) encoder.requestDecoded(r.method());
            fired = true;
            ctx.fireChannelRead(o);
        }
    }

    private void hold(ByteBuf buf, int from, int to) {
        if (held == null) held = ctx.alloc().buffer(to - from);
        held.writeBytes(buf, from, to - from);
    }

    private void releaseHeld() {
        if (held != null) {
            held.release();
            held = null;
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf b) metrics.bytesOut(b.readableBytes());
        ctx.write(msg, promise);
    }

    // ---- the parser: runs of plain bytes in one copy, every other byte checked on its own; false stops at a problem ----

    private static final FastThreadLocal<byte[]> PIECES = HeadBytes.pieces();
    private final HeadBytes.Steps steps = new HeadBytes.Steps() { // one per connection, as the scan's entry into this parser
        @Override
        public int plainRun(byte[] piece, int k, int n) {
            return HeadGuardHandler.this.plainRun(piece, k, n);
        }

        @Override
        public boolean step(byte b) {
            return HeadGuardHandler.this.step(b);
        }
    };
    private int cursor;              // buffer index of the byte being stepped
    private int lastMessageEnd;      // buffer index just past the last complete message in this read
    private boolean inBodyProblem;

    /**
     * Steps through heads, chunk-size lines and trailers byte by byte (copied a piece at a time, see
     * {@link HeadBytes#stepAll}), and skips body bytes in one jump: a large upload costs no per-byte work here.
     */
    private void scan(ByteBuf buf, int from, int to) {
        int i = from;
        while (i < to && problem == null) {
            if (state == State.BODY || state == State.CHUNK_DATA) {
                int n = (int) Math.min(remaining, to - i);
                ByteBuf slice = buf.retainedSlice(i, n);
                i += n;
                remaining -= n;
                cursor = i - 1;
                boolean lastOfBody = remaining == 0 && state == State.BODY;
                out.add(lastOfBody ? new DefaultLastHttpContent(slice) : new DefaultHttpContent(slice));
                if (remaining == 0) {
                    if (state == State.BODY) {
                        messageEnd();
                    } else {
                        state = State.CHUNK_END;
                        lineLen = 0;
                        sawCr = false;
                    }
                }
                continue;
            }
            cursor = i - 1;
            int stopped = HeadBytes.stepAll(buf, i, to, PIECES.get(), steps);
            if (stopped < 0) return;
            i = stopped + 1; // stopped at a problem (loop ends) or on entering a body (skipped above)
        }
    }

    /**
     * Takes the bytes from {@code piece[k]} on that {@link #lineByte} would only store, in one copy: inside a head or
     * trailer line already started (the head's clock armed, no CR pending), up to the next control byte (CR, LF, HTAB
     * and the ones refused) and no further than the line's array and the limits allow. What it stops at gets a step
     * of its own, so every check, its order and every answer stay those of {@link #lineByte}. Returns how many bytes
     * it took, 0 when {@code piece[k]} needs its step.
     */
    private int plainRun(byte[] piece, int k, int n) {
        if (sawCr || !(state == State.TRAILER || (state == State.HEAD && headStarted))) return 0;
        int room = Math.min(MAX_HEAD - headBytes, line.length - lineLen);
        if (state == State.HEAD && lineNo == 0) room = Math.min(room, MAX_REQUEST_LINE - lineLen);
        int end = Math.min(n, k + room);
        int run = HeadBytes.plainEnd(piece, k, end) - k;
        if (run > 0) {
            System.arraycopy(piece, k, line, lineLen, run);
            lineLen += run;
            headBytes += run;
            cursor += run;
        }
        return run;
    }

    private boolean step(byte b) {
        cursor++;
        return switch (state) {
            case HEAD, TRAILER, CHUNK_SIZE -> lineByte(b);
            // Never stepped: entering a body or a chunk's data stops the pass, and scan() takes those bytes as slices.
            case BODY, CHUNK_DATA -> throw new IllegalStateException("body bytes are sliced, not stepped");
            case CHUNK_END -> chunkEnd(b);
            case BAD -> false;
        };
    }

    private boolean chunkEnd(byte b) {
        // Exactly CRLF (or a bare LF) after chunk data: anything else would be skipped by a lenient parser.
        if (b == '\r' && !sawCr) {
            sawCr = true;
            return true;
        }
        if (b == '\n') {
            state = State.CHUNK_SIZE;
            lineLen = 0;
            sawCr = false;
            return true;
        }
        return bodyFail("malformed chunk: no CRLF after chunk data");
    }

    private boolean lineByte(byte b) {
        if (state == State.HEAD && !headStarted) {
            headStarted = true;
            arm(timeoutMs);
        }
        if (state != State.CHUNK_SIZE && ++headBytes > MAX_HEAD)
            return fail(431, "request head over " + MAX_HEAD + " bytes");
        if (b == '\n') {
            boolean ok = endLine();
            lineLen = 0;
            sawCr = false;
            return ok;
        }
        if (sawCr) return state == State.CHUNK_SIZE ? bodyFail("bare CR in chunk size line") : fail(400, "bare CR in request head");
        if (b == '\r') {
            sawCr = true;
            return true;
        }
        // A byte is signed: 0x80-0xFF (obs-text) reads as negative and is no control character. Field values may carry
        // it (RFC 9110 5.5); names and the request line refuse it where they are checked byte by byte; a chunk size
        // line takes none.
        boolean obsText = b < 0;
        if (HeadBytes.isControl(b))
            return state == State.CHUNK_SIZE ? bodyFail("control character in chunk size line") : fail(400, "control character in request head");
        if (obsText && state == State.CHUNK_SIZE) return bodyFail("non-ASCII byte in chunk size line");
        if (state == State.CHUNK_SIZE && lineLen >= MAX_CHUNK_LINE) return bodyFail("chunk size line too long");
        if (state == State.HEAD && lineNo == 0 && lineLen >= MAX_REQUEST_LINE)
            return fail(414, "request line over " + MAX_REQUEST_LINE + " bytes");
        if (lineLen == line.length) {
            byte[] bigger = new byte[Math.min(line.length * 2, MAX_HEAD + 1)];
            System.arraycopy(line, 0, bigger, 0, lineLen);
            line = bigger;
        }
        line[lineLen++] = b;
        return true;
    }

    private boolean endLine() {
        if (state == State.CHUNK_SIZE) return chunkSizeLine();
        if (lineLen == 0) {
            if (state == State.HEAD && lineNo == 0) {
                headBytes = 0; // empty lines before a request line are allowed (RFC 9112 2.2)
                return true;
            }
            return state == State.TRAILER ? trailerEnd() : headEnd();
        }
        if (line[0] == ' ' || line[0] == '\t')
            return lineNo == 0 ? fail(400, "malformed request line") : fail(400, "obsolete line folding in headers");
        if (state == State.HEAD && lineNo == 0) {
            lineNo++;
            headBytes = 0; // the request line has its own limit; MAX_HEAD counts the header block
            return requestLine();
        }
        lineNo++;
        if (++headerCount > MAX_HEADER_COUNT) return fail(431, "more than " + MAX_HEADER_COUNT + " header fields");
        return headerLine();
    }

    private boolean requestLine() {
        // method SP request-target SP HTTP-version, single spaces, nothing else (RFC 9112 3)
        int sp1 = indexOf((byte) ' ', 0);
        lineRead = false;
        if (sp1 <= 0) return fail(400, "malformed request line");
        for (int i = 0; i < sp1; i++) if (!HeadBytes.isTchar(line[i])) return fail(400, "malformed request method");
        int sp2 = indexOf((byte) ' ', sp1 + 1);
        if (sp2 <= sp1 + 1) return fail(400, "malformed request line");
        for (int i = sp1 + 1; i < sp2; i++) if (line[i] <= 0x20 || line[i] >= 0x7f) return fail(400, "malformed request target");
        int vlen = lineLen - sp2 - 1;
        if (vlen != 8 || !HeadBytes.startsWith(line, sp2 + 1, lineLen, "HTTP/1.")) return fail(400, "malformed HTTP version (expected: HTTP/1.1 or HTTP/1.0)");
        byte minor = line[sp2 + 8];
        if (minor != '1' && minor != '0') return fail(400, "unsupported HTTP version (expected: HTTP/1.1 or HTTP/1.0)");
        http10 = minor == '0';
        method = sp1 == 3 && line[0] == 'G' && line[1] == 'E' && line[2] == 'T' ? HttpMethod.GET
                : HttpMethod.valueOf(new String(line, 0, sp1, StandardCharsets.US_ASCII));
        uri = new String(line, sp1 + 1, sp2 - sp1 - 1, StandardCharsets.US_ASCII);
        lineRead = true;
        if (block == null) {
            block = new byte[FIRST_BLOCK];
            fieldAt = new int[2 * FIRST_FIELDS];
        }
        blockLen = 0;
        fieldCount = 0;
        return true;
    }

    private boolean headerLine() {
        int colon = indexOf((byte) ':', 0);
        if (colon < 0) return fail(400, "header line without a colon");
        if (colon == 0) return fail(400, "empty header name");
        for (int i = 0; i < colon; i++) if (!HeadBytes.isTchar(line[i])) return fail(400, "invalid character in header name");
        if (state == State.TRAILER) return true; // trailers are checked for shape only; they are never forwarded
        if (nameIs(colon, "content-length")) {
            if (contentLength >= 0) return fail(400, "more than one Content-Length");
            long v = HeadBytes.digits(line, colon + 1, lineLen);
            if (v < 0) return fail(400, "invalid Content-Length (expected: digits only)");
            contentLength = v;
        } else if (nameIs(colon, "transfer-encoding")) {
            if (chunked) return fail(400, "more than one Transfer-Encoding");
            if (!HeadBytes.valueIs(line, colon + 1, lineLen, "chunked")) return fail(400, "unsupported Transfer-Encoding (expected: chunked)");
            chunked = true;
        } else if (nameIs(colon, "sec-websocket-key1") || nameIs(colon, "sec-websocket-key2")) {
            return fail(400, "obsolete WebSocket draft handshake (expected: RFC 6455)");
        }
        // The field as decoded, stored as the line it is relayed as: the name as sent, ": ", the value with its
        // surrounding whitespace (OWS) trimmed, CRLF.
        int a = HeadBytes.trimStart(line, colon + 1, lineLen);
        int z = HeadBytes.trimEnd(line, a, lineLen);
        if (nameIs(colon, "connection")) {
            connectionClose |= HeadBytes.listHas(line, a, z, "close");
            connectionKeepAlive |= HeadBytes.listHas(line, a, z, "keep-alive");
        }
        store(colon, a, z);
        return true;
    }

    private void store(int colon, int a, int z) {
        int need = blockLen + colon + (z - a) + 4;
        if (need > block.length) block = Arrays.copyOf(block, Math.max(need, 2 * block.length));
        if (2 * fieldCount + 2 > fieldAt.length) fieldAt = Arrays.copyOf(fieldAt, 2 * fieldAt.length);
        System.arraycopy(line, 0, block, blockLen, colon);
        blockLen += colon;
        fieldAt[2 * fieldCount] = blockLen;
        block[blockLen++] = ':';
        block[blockLen++] = ' ';
        System.arraycopy(line, a, block, blockLen, z - a);
        blockLen += z - a;
        fieldAt[2 * fieldCount + 1] = blockLen;
        block[blockLen++] = '\r';
        block[blockLen++] = '\n';
        fieldCount++;
    }

    /**
     * The head parsed so far as a request, with a copy of its fields in arrays of their exact size: the request may
     * outlive the next head on the connection, which reuses this connection's arrays.
     */
    private ClientRequest request() {
        RequestFields fields = fieldCount == 0 ? RequestFields.NONE
                : new RequestFields(Arrays.copyOf(block, blockLen), Arrays.copyOf(fieldAt, 2 * fieldCount), fieldCount);
        if (block.length > KEPT_BLOCK) {
            block = null; // the next head starts small again
            fieldAt = null;
        }
        lineRead = false;
        return new ClientRequest(http10 ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1, method, uri, fields, contentLength,
                chunked, !connectionClose && (!http10 || connectionKeepAlive));
    }

    private boolean headEnd() {
        if (chunked && contentLength >= 0) return fail(400, "both Content-Length and Transfer-Encoding");
        if (chunked && http10) return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
        disarm();
        out.add(request());
        if (chunked) {
            state = State.CHUNK_SIZE;
        } else if (contentLength > 0) {
            state = State.BODY;
            remaining = contentLength;
            return false; // not a problem: the body is skipped in one jump by scan()
        } else {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            messageEnd();
        }
        return true;
    }

    private boolean chunkSizeLine() {
        long size = HeadBytes.chunkSize(line, lineLen);
        if (size == HeadBytes.TOO_LARGE) return bodyFail("chunk size too large");
        if (size < 0) return bodyFail("malformed chunk size");
        if (size == 0) {
            state = State.TRAILER;
            headBytes = 0;
            headerCount = 0;
            lineNo = 1;
        } else {
            state = State.CHUNK_DATA;
            remaining = size;
            return false; // not a problem: the chunk's data is skipped in one jump by scan()
        }
        return true;
    }

    private boolean trailerEnd() {
        out.add(LastHttpContent.EMPTY_LAST_CONTENT); // trailers are never forwarded
        messageEnd();
        return true;
    }

    /** A whole message (head and body) ended at the current byte: the next byte starts a new head. */
    private void messageEnd() {
        state = State.HEAD;
        lastMessageEnd = cursor + 1;
        outComplete = out.size();
        releaseHeld(); // the head it held is complete now
        lineLen = 0;
        sawCr = false;
        lineNo = 0;
        headBytes = 0;
        headerCount = 0;
        contentLength = -1;
        chunked = false;
        connectionClose = false;
        connectionKeepAlive = false;
        http10 = false;
        headStarted = false;
    }

    private boolean fail(int status, String why) {
        problemStatus = status;
        problem = why;
        inBodyProblem = false;
        return false;
    }

    private boolean bodyFail(String why) {
        problemStatus = 400;
        problem = why;
        inBodyProblem = true;
        return false;
    }

    private int indexOf(byte b, int from) {
        return HeadBytes.indexOf(line, b, from, lineLen);
    }

    private boolean nameIs(int len, String lower) {
        return HeadBytes.equalsLower(line, 0, len, lower);
    }
}
