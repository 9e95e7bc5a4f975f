package io.switchyard.dataplane.channel;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * nginx's {@code proxy_read_timeout}/{@code proxy_send_timeout} for one channel: the read limit is the
 * longest wait between asking for data ({@code read()}, since every channel here runs with AUTO_READ off)
 * and getting some; the send limit is the longest time a pending write makes no progress. Waiting caused by
 * our own backpressure (not asking to read because the peer is slow) therefore never counts as idle.
 * On expiry it fires {@link IoTimeout#READ} or {@link IoTimeout#SEND} as a user event and disarms that limit.
 * Guards client channels (send limit, and the read limit as client_body_timeout while a body streams in) and
 * upstream channels alike. Not thread-safe: all state is touched on the channel's event loop only. Internal.
 */
public final class IoTimeoutHandler extends ChannelDuplexHandler {
    /** A limit that expired. */
    public enum IoTimeout { READ, SEND }

    private ChannelHandlerContext ctx;
    private long readNanos;
    private long sendNanos;
    private long readWaitSince = -1;
    private int pendingWrites;
    private long lastWriteProgress;
    private long lastPendingBytes = -1;
    private ScheduledFuture<?> timer;
    private long timerDeadline;

    /** The timeout handler of {@code ch}'s pipeline (client or upstream), or null once removed. */
    public static IoTimeoutHandler of(io.netty.channel.Channel ch) {
        return ch.pipeline().get(IoTimeoutHandler.class);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    /** Sets both limits (0 = off) and restarts their clocks. Event loop only. */
    public void arm(long readMs, long sendMs) {
        readNanos = TimeUnit.MILLISECONDS.toNanos(readMs);
        sendNanos = TimeUnit.MILLISECONDS.toNanos(sendMs);
        long now = System.nanoTime();
        if (readWaitSince >= 0) readWaitSince = now;
        lastWriteProgress = now;
        schedule();
    }

    /** Turns both limits off (an idle pooled connection). Event loop only. */
    public void disarm() {
        readNanos = 0;
        sendNanos = 0;
        cancel();
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (readWaitSince < 0) {
            readWaitSince = System.nanoTime();
            schedule();
        }
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        readWaitSince = -1;
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (pendingWrites++ == 0) lastWriteProgress = System.nanoTime();
        // unvoid(): a void promise takes no listeners, and we must learn when this write finished.
        ChannelPromise p = promise.unvoid();
        p.addListener(f -> {
            pendingWrites--;
            lastWriteProgress = System.nanoTime();
        });
        ctx.write(msg, p);
        schedule();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    private void schedule() {
        if (ctx == null || !ctx.channel().isActive()) return;
        long deadline = Long.MAX_VALUE;
        if (readNanos > 0 && readWaitSince >= 0) deadline = readWaitSince + readNanos;
        if (sendNanos > 0 && pendingWrites > 0) deadline = Math.min(deadline, lastWriteProgress + sendNanos);
        if (deadline == Long.MAX_VALUE) return;
        // One timer per channel; a later deadline is handled when the earlier timer fires and re-checks.
        if (timer != null && timerDeadline <= deadline) return;
        cancel();
        timerDeadline = deadline;
        timer = ctx.executor().schedule(this::check, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void check() {
        timer = null;
        if (!ctx.channel().isActive()) return;
        long now = System.nanoTime();
        if (readNanos > 0 && readWaitSince >= 0 && now - readWaitSince >= readNanos) {
            readWaitSince = -1;
            ctx.fireUserEventTriggered(IoTimeout.READ);
            if (!ctx.channel().isActive()) return;
        }
        if (sendNanos > 0 && pendingWrites > 0 && now - lastWriteProgress >= sendNanos) {
            // A large write may be progressing without completing: count bytes leaving the buffer as progress.
            ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
            long pending = out == null ? 0 : out.totalPendingWriteBytes();
            if (pending != lastPendingBytes) {
                lastPendingBytes = pending;
                lastWriteProgress = now;
            } else {
                lastWriteProgress = now;
                ctx.fireUserEventTriggered(IoTimeout.SEND);
                if (!ctx.channel().isActive()) return;
            }
        }
        schedule();
    }
}
