package io.switchyard.dataplane.channel;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;

import java.net.SocketAddress;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * nginx's {@code proxy_read_timeout}/{@code proxy_send_timeout} for one channel: the read limit is the
 * longest wait between asking for data ({@code read()}, since every channel here runs with AUTO_READ off)
 * and getting some; the send limit is the longest time bytes wait in the outbound buffer without any of them
 * leaving. Waiting caused by our own backpressure (not asking to read because the peer is slow) therefore never
 * counts as idle. On expiry it fires {@link IoTimeout#READ} or {@link IoTimeout#SEND} as a user event and disarms
 * that limit. Guards client channels (send limit, and the read limit as client_body_timeout while a body streams in)
 * and upstream channels alike.
 *
 * <p>On an upstream connection it also holds the connect limit ({@link #connectWithin}): a connect still pending at
 * its deadline fails with {@link ConnectTimeoutException} and the channel closes, as Netty's own
 * {@code CONNECT_TIMEOUT_MILLIS} would do with a timer of its own scheduled and cancelled per connect.
 *
 * <p>Cost per message: no listener per write and no timer per request. One timer per channel holds the earliest
 * deadline; it re-checks when it fires and re-arms itself for what is left, as Netty's {@code IdleStateHandler} does.
 * It runs only while something can expire: a read waited for under a read limit, or bytes a flush left waiting under
 * a send limit; a channel whose flushes all leave at once (a client's side of a handshake, most tunnels) schedules
 * none and reads no clock per write. Write progress is read off the channel's outbound buffer when the timer fires.
 * Not thread-safe: all state is touched on the channel's event loop only. Internal.
 */
public final class IoTimeoutHandler extends ChannelDuplexHandler {
    /** A limit that expired. */
    public enum IoTimeout { READ, SEND }

    private ChannelHandlerContext ctx;
    private long readNanos;
    private long sendNanos;
    private long readWaitSince = -1;
    private boolean writeAfterIdle;  // a write found nothing waiting; its flush may start the send clock
    private long lastWriteProgress;
    private long lastPendingBytes = -1;
    private ScheduledFuture<?> timer;
    private long timerDeadline;
    private long connectMs;
    private ChannelPromise connecting;  // a connect in progress under the connect limit
    private SocketAddress connectingTo;
    private long connectDeadline;

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

    /** The connect limit of this (upstream) channel's connect, 0 for none; set before connecting. */
    public IoTimeoutHandler connectWithin(long connectMs) {
        this.connectMs = connectMs;
        return this;
    }

    @Override
    public void connect(ChannelHandlerContext ctx, SocketAddress remote, SocketAddress local, ChannelPromise promise) {
        if (connectMs > 0) {
            connecting = promise;
            connectingTo = remote;
            connectDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(connectMs);
            timerDeadline = connectDeadline;
            // The timer is kept once connected: the limits armed next have later deadlines, and it re-checks them.
            timer = ctx.executor().schedule(this::check, connectMs, TimeUnit.MILLISECONDS);
        }
        ctx.connect(remote, local, promise);
    }

    /** Sets both limits (0 = off) and restarts their clocks. Event loop only. */
    public void arm(long readMs, long sendMs) {
        readNanos = TimeUnit.MILLISECONDS.toNanos(readMs);
        sendNanos = TimeUnit.MILLISECONDS.toNanos(sendMs);
        long now = System.nanoTime();
        if (readWaitSince >= 0) readWaitSince = now;
        lastWriteProgress = now;
        lastPendingBytes = -1;
        schedule();
    }

    /**
     * Turns both limits off (an idle pooled connection). The timer is left to lapse rather than cancelled: the next
     * lease usually arms again before it fires, and then it is reused. Event loop only.
     */
    public void disarm() {
        readNanos = 0;
        sendNanos = 0;
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (readWaitSince < 0) {
            if (readNanos > 0) {
                readWaitSince = System.nanoTime();
                schedule();
            } else {
                readWaitSince = 0; // waiting, with no limit to time it by (arm() starts the clock if one is set)
            }
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
        // Nothing was waiting: if this write's bytes are still waiting after the flush, the send clock starts then.
        if (sendNanos > 0 && pendingBytes() == 0) writeAfterIdle = true;
        ctx.write(msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        ctx.flush();
        if (sendNanos <= 0) return;
        // Most flushes leave nothing behind: no clock read and no timer then. Bytes left waiting arm the send limit.
        boolean fresh = writeAfterIdle;
        writeAfterIdle = false;
        if (pendingBytes() == 0) return;
        if (fresh) {
            lastWriteProgress = System.nanoTime();
            lastPendingBytes = -1;
        }
        schedule();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    private long pendingBytes() {
        ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    private void schedule() {
        if (ctx == null || !ctx.channel().isActive()) return;
        long deadline = Long.MAX_VALUE;
        if (readNanos > 0 && readWaitSince >= 0) deadline = readWaitSince + readNanos;
        // The send limit only needs a timer while bytes wait (a flush that leaves some behind schedules it).
        if (sendNanos > 0 && pendingBytes() > 0) deadline = Math.min(deadline, lastWriteProgress + sendNanos);
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
        long now = System.nanoTime();
        ChannelPromise c = connecting;
        if (c != null) {
            connecting = null;
            if (!c.isDone() && now - connectDeadline < 0) {
                connecting = c; // early: wait for the rest
                timerDeadline = connectDeadline;
                timer = ctx.executor().schedule(this::check, connectDeadline - now, TimeUnit.NANOSECONDS);
                return;
            }
            if (!c.isDone()) {
                c.tryFailure(new ConnectTimeoutException("connection timed out after " + connectMs + " ms: " + connectingTo));
                ctx.close();
                return;
            }
        }
        if (!ctx.channel().isActive()) return;
        if (readNanos > 0 && readWaitSince >= 0 && now - readWaitSince >= readNanos) {
            readWaitSince = -1;
            ctx.fireUserEventTriggered(IoTimeout.READ);
            if (!ctx.channel().isActive()) return;
        }
        if (sendNanos > 0) {
            long pending = pendingBytes();
            if (pending == 0) {
                lastWriteProgress = now; // nothing waits: nothing can be late
                lastPendingBytes = -1;
            } else if (pending != lastPendingBytes) {
                // A large write may be progressing without completing: bytes leaving the buffer are progress.
                lastPendingBytes = pending;
                lastWriteProgress = now;
            } else if (now - lastWriteProgress >= sendNanos) {
                lastWriteProgress = now;
                ctx.fireUserEventTriggered(IoTimeout.SEND);
                if (!ctx.channel().isActive()) return;
            }
            if (pending == 0 && (readNanos == 0 || readWaitSince < 0)) return; // idle both ways: the next write or read re-arms
        }
        schedule();
    }
}
