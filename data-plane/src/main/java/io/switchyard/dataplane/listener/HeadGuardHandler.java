package io.switchyard.dataplane.listener;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.ScheduledFuture;
import io.switchyard.dataplane.status.Metrics;

import java.util.concurrent.TimeUnit;

/**
 * Sits in front of the HTTP decoder and watches the raw bytes of each request head for what Netty's
 * decoder accepts but a proxy must refuse, because two parsers along the path could read the message
 * differently (request smuggling): obs-fold continuation lines (the decoder silently joins them),
 * control bytes, and {@code Content-Length} together with {@code Transfer-Encoding} (the decoder silently
 * drops the length). A bad head is not passed on: the guard fires {@link BadHead} and the proxy answers
 * 400 and closes. It also closes a client that has not completed its head within the header timeout
 * (slowloris). Body bytes pass unexamined; the proxy tells the guard when the next head is due via
 * {@link #expectHead()}. Event-loop confined. Internal.
 */
public final class HeadGuardHandler extends ChannelDuplexHandler {
    // One processor per connection, not a new method reference per read.
    private final io.netty.util.ByteProcessor stepper = this::step;
    /** A request head refused before decoding; {@code reason} goes into the 400 body. */
    public record BadHead(String reason) {
    }

    private static final byte[] CONTENT_LENGTH = "content-length".getBytes();
    private static final byte[] TRANSFER_ENCODING = "transfer-encoding".getBytes();

    private final long timeoutMs;
    private final Metrics metrics;
    private ChannelHandlerContext ctx;
    private boolean inHead = true;
    private boolean bad;
    private int lineNo;
    private int lineLen;
    private boolean inName;
    private final byte[] name = new byte[TRANSFER_ENCODING.length + 1];
    private int nameLen;
    private boolean sawContentLength;
    private boolean sawTransferEncoding;
    private ScheduledFuture<?> timer;
    private String problem;
    private boolean idle;
    /** How long a keep-alive connection may sit between requests (nginx's keepalive_timeout is 75 s). */
    static final long KEEP_ALIVE_IDLE_MS = 60_000;

    public HeadGuardHandler(long timeoutMs, Metrics metrics) {
        this.timeoutMs = timeoutMs;
        this.metrics = metrics;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) arm();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm();
        ctx.fireChannelActive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        disarm();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        disarm();
        ctx.fireChannelInactive();
    }

    /**
     * The previous exchange is over; the next bytes start a request head. Until the first byte the
     * connection is an idle keep-alive one (longer limit); from it, the head must complete in the
     * header timeout.
     */
    public void expectHead() {
        if (bad) return;
        idle = true;
        inHead = true;
        lineNo = 0;
        lineLen = 0;
        inName = false;
        nameLen = 0;
        sawContentLength = false;
        sawTransferEncoding = false;
        arm(Math.max(timeoutMs, KEEP_ALIVE_IDLE_MS));
    }

    /** The decoder produced a head (possibly one pipelined past our view): stop the head clock. */
    public void headReceived() {
        disarm();
    }

    private void arm() {
        arm(timeoutMs);
    }

    private void arm(long ms) {
        disarm();
        timer = ctx.executor().schedule(() -> {
            timer = null;
            if (inHead && ctx.channel().isActive()) ctx.close();
        }, ms, TimeUnit.MILLISECONDS);
    }

    private void disarm() {
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
        if (bad) {
            buf.release();
            return;
        }
        if (inHead) {
            if (idle && buf.isReadable()) {
                idle = false;
                arm(); // the next head has begun: from now on the header timeout applies
            }
            String problem = scan(buf);
            if (problem != null) {
                bad = true;
                disarm();
                buf.release();
                ctx.fireUserEventTriggered(new BadHead(problem));
                return;
            }
        }
        ctx.fireChannelRead(buf);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf b) metrics.bytesOut(b.readableBytes());
        ctx.write(msg, promise);
    }

    /** Scans head bytes; switches to pass-through at the blank line ending the head. */
    private String scan(ByteBuf buf) {
        problem = null;
        // One forEachByte call, not a getByte per byte: cheaper, and under leak detection one access record.
        buf.forEachByte(stepper);
        return problem;
    }

    /** One byte of a head; false stops the scan (head complete, or a problem found). */
    private boolean step(byte b) {
        if (b == '\n') {
            if (lineLen == 0) {
                if (lineNo == 0) return true; // empty lines before the request line are allowed (RFC 9112 2.2)
                inHead = false;
                disarm();
                return false;
            }
            if (inName) {
                problem = "header line without a colon";
                return false;
            }
            lineNo++;
            lineLen = 0;
            inName = true;
            nameLen = 0;
            return true;
        }
        if (b == '\r') return true;
        if (lineLen == 0 && lineNo > 0 && (b == ' ' || b == '\t')) {
            problem = "obsolete line folding in headers";
            return false;
        }
        if ((b < 0x20 && b != '\t') || b == 0x7f) {
            problem = "control character in request head";
            return false;
        }
        lineLen++;
        if (lineNo > 0 && inName) {
            if (b == ':') {
                inName = false;
                if (matches(CONTENT_LENGTH)) sawContentLength = true;
                if (matches(TRANSFER_ENCODING)) sawTransferEncoding = true;
                if (sawContentLength && sawTransferEncoding) {
                    problem = "both Content-Length and Transfer-Encoding";
                    return false;
                }
            } else if (nameLen < name.length) {
                name[nameLen++] = (byte) (b >= 'A' && b <= 'Z' ? b + 32 : b);
            } else {
                nameLen = name.length + 1; // too long to be one of ours
            }
        }
        return true;
    }

    private boolean matches(byte[] expected) {
        if (nameLen != expected.length) return false;
        for (int i = 0; i < nameLen; i++) if (name[i] != expected[i]) return false;
        return true;
    }
}
