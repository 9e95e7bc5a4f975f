package io.switchyard.dataplane.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.unix.Socket;
import io.netty.util.concurrent.ScheduledFuture;
import io.switchyard.config.Route;
import io.switchyard.dataplane.accesslog.AccessLog;
import io.switchyard.dataplane.channel.DirectSend;
import io.switchyard.dataplane.channel.IoTimeoutHandler;
import io.switchyard.dataplane.channel.PipelineNames;
import io.switchyard.dataplane.status.Metrics;
import io.switchyard.dataplane.upstream.UpstreamHandler;
import io.switchyard.routing.TargetState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * An established WebSocket tunnel: a byte relay between a client channel and an upstream channel that share one
 * event loop (the upstream was connected with the client's loop), so every field here is confined to that loop and
 * needs no synchronization; other threads act through {@link #close}. It is two {@link Direction}s of one kind,
 * client to upstream and upstream to client, mirror images holding only their two channels (as Netty's
 * HexDumpProxy's two handlers).
 *
 * <p>Backpressure, the one mechanism used: both channels run with AUTO_READ off and a direction reads its next
 * buffer only after the previous one was written to the other side. A slow peer therefore stops reads from the fast
 * one, and the kernel's TCP window pushes back on the sender; no buffer grows without bound and none is held between
 * reads. Buffers are passed through as received, never copied. On plain (non-TLS) native channels a buffer goes
 * straight to the other socket with one send while nothing waits in that channel's outbound buffer; only what the
 * socket does not take goes through the pipeline's write (and from then on the rest, until it drained).
 *
 * <p>Each direction tracks frame boundaries so a close frame of our own (1001 on drain or shutdown) goes in between
 * two frames: if a frame is half relayed, the close waits until the byte where it ends. Internal.
 */
public final class Tunnel {
    private static final Logger LOG = LoggerFactory.getLogger(Tunnel.class);
    /** How long after our close frames the peers get to answer and close before we close the sockets. */
    private static final long CLOSE_LINGER_MS = 1000;
    /** Upper bound on waiting for a frame boundary (a peer stuck mid-frame) once a close was requested. */
    private static final long CLOSE_DEADLINE_MS = 5000;

    /** What a tunnel was opened with; it keeps all of it across any number of snapshots. */
    public record Opened(String routeName, Route route, TargetState target, String clientAddress, String uri,
                         long readMs, long sendMs, String requestId, String host) {
    }

    /** One way through the tunnel: reads {@code from}, writes {@code to}. */
    final class Direction {
        final Channel from;
        final Channel to;
        /** Close frames toward a server must be masked (RFC 6455 5.3). */
        final boolean towardUpstream;
        final FrameTracker frames = new FrameTracker();
        /** {@code to}'s socket once a write may skip its pipeline ({@link #directSocket}); null: every write takes it. */
        Socket direct;
        long bytes;
        boolean awaitingWritable;
        boolean closePending;
        boolean closeSent;

        Direction(Channel from, Channel to, boolean towardUpstream) {
            this.from = from;
            this.to = to;
            this.towardUpstream = towardUpstream;
        }

        void onRead(ByteBuf buf) {
            int n = buf.readableBytes();
            bytes += n;
            if (towardUpstream) metrics.bytesIn(n);
            if (finished || closeSent) {
                // After our own close frame nothing more may go this way; keep reading so the peer's close answer
                // and FIN are consumed (closing with unread bytes would make the kernel send RST).
                buf.release();
                from.read();
                return;
            }
            if (closePending) {
                int end = frames.advanceToBoundary(buf, buf.readerIndex(), buf.writerIndex());
                if (end >= 0) {
                    if (end > buf.readerIndex()) to.write(buf.retainedSlice(buf.readerIndex(), end - buf.readerIndex()));
                    buf.release();
                    sendClose();
                    from.read();
                    return;
                }
            } else {
                frames.advance(buf);
                if (firstCloser == null && frames.closeSeen()) firstCloser = this;
            }
            if (!towardUpstream) metrics.bytesOut(n);
            if (direct != null && sendDirect(buf)) return;
            // No promise and no listener per message: a failed write surfaces as exceptionCaught on `to`. The next read
            // is asked for at once while `to` takes more, else when it becomes writable again (its outbound buffer
            // drained below the low watermark), so at most a watermark's worth is ever buffered per direction.
            to.writeAndFlush(buf, to.voidPromise());
            if (to.isWritable()) from.read();
            else awaitingWritable = true;
        }

        /**
         * Sends {@code buf} straight to {@code to}'s socket when nothing waits in its outbound buffer: one {@code send}
         * call, none of the pipeline's write and flush machinery (the common case, a peer that keeps up). What the
         * socket does not take (its buffer is full) stays in {@code buf} for the pipeline's write, which waits for the
         * socket and starts the send limit; later reads take that path while anything waits, so order is kept.
         *
         * @return true when {@code buf} is done with (released): all of it sent and the next read asked for, or the send
         * failed and the tunnel is closing; false when what is left of it is for the pipeline's write
         */
        private boolean sendDirect(ByteBuf buf) {
            if (!DirectSend.idle(to) || !buf.hasMemoryAddress()) return false;
            boolean all;
            try {
                all = DirectSend.send(direct, buf);
            } catch (IOException e) {
                // As a failed pipeline write would: the side written to is gone.
                buf.release();
                onError(this == toUpstream ? toClient : toUpstream, e);
                return true;
            }
            if (all) from.read();
            return all;
        }

        /** {@code to} became writable again: resume reading {@code from} if this direction paused for it. */
        void writabilityChanged() {
            if (awaitingWritable && to.isWritable() && !finished) {
                awaitingWritable = false;
                from.read();
            }
        }

        /** Our close 1001 toward {@code to}, at a frame boundary of this direction. */
        void sendClose() {
            if (closeSent) return;
            closeSent = true;
            closePending = false;
            to.writeAndFlush(closeFrame(to.alloc(), 1001, reasonText(), towardUpstream));
            afterCloseSent();
        }

        Tunnel tunnel() {
            return Tunnel.this;
        }

        /** The reason a side going away gives the tunnel: the one reading {@code from}. */
        CloseReason fromSideClosed() {
            return towardUpstream ? CloseReason.CLIENT_CLOSED : CloseReason.UPSTREAM_CLOSED;
        }
    }

    private final Channel client;
    private final Channel upstream;
    private final Opened opened;
    private final AccessLog accessLog;
    private final Metrics metrics;
    private final TunnelRegistry registry;
    private final long openedNanos = System.nanoTime();
    private final long openedAtMillis = System.currentTimeMillis();
    /** 64 random bits: unique across a fleet without any coordination between nodes. */
    private final String id = hex16(ThreadLocalRandom.current().nextLong());
    private final Direction toUpstream;
    private final Direction toClient;

    private Direction firstCloser;
    private CloseReason reason;
    private boolean finished;
    private ScheduledFuture<?> closeTimer;
    // Set from the applying thread, read there too: a tunnel is scheduled for drain at most once.
    private final AtomicBoolean drainScheduled = new AtomicBoolean();

    public Tunnel(Channel client, Channel upstream, Opened opened, Metrics metrics, TunnelRegistry registry, AccessLog accessLog) {
        this.accessLog = accessLog;
        this.client = client;
        this.upstream = upstream;
        this.opened = opened;
        this.metrics = metrics;
        this.registry = registry;
        this.toUpstream = new Direction(client, upstream, true);
        this.toClient = new Direction(upstream, client, false);
    }

    public String routeName() {
        return opened.routeName();
    }

    /** This tunnel's id: 16 hex digits, random, so ids from different nodes do not collide. */
    public String id() {
        return id;
    }

    /** Wall-clock time (epoch ms) the tunnel opened. */
    public long openedAtMillis() {
        return openedAtMillis;
    }

    public String clientAddress() {
        return opened.clientAddress();
    }

    /**
     * Bytes relayed from the client so far. Written by the event loop and read here without a barrier: a reader on
     * another thread may see a value a few reads old, which a listing can live with (no lock on the relay path).
     */
    public long bytesIn() {
        return toUpstream.bytes;
    }

    /** Bytes relayed from the upstream so far; as {@link #bytesIn()}. */
    public long bytesOut() {
        return toClient.bytes;
    }

    /** The route's configuration when the tunnel opened (it keeps it across swaps). */
    public Route routeAtOpen() {
        return opened.route();
    }

    public TargetState target() {
        return opened.target();
    }

    /**
     * Turns both connections into this tunnel and writes {@code switching} (the 101, as the client's response encoder
     * takes it) to the client. Owns the pipeline rewiring. Order matters: removing a decoder hands the bytes it still
     * holds (frames that came in the same read as the 101, or early client frames) to the next handler at once, so
     * both tunnel handlers must be in place, the 101 written and the upstream encoder gone before either decoder goes.
     * Event loop only.
     */
    public void install(Object switching) {
        ChannelPipeline up = upstream.pipeline();
        // Each tunnel handler takes the place of the HTTP handler that ended the pipeline (one operation, not two).
        if (up.replace(PipelineNames.UPSTREAM_HANDLER, PipelineNames.TUNNEL, new TunnelHandler(toClient)) instanceof UpstreamHandler uh)
            uh.detach();
        up.remove(PipelineNames.UPSTREAM_ENCODER); // from here on, frames go upstream as raw bytes
        client.writeAndFlush(switching);
        ChannelPipeline down = client.pipeline();
        down.replace(PipelineNames.PROXY, PipelineNames.TUNNEL, new TunnelHandler(toUpstream));
        start();
        down.remove(PipelineNames.CODEC);
        if (down.get(PipelineNames.GUARD) != null) down.remove(PipelineNames.GUARD);
        up.remove(PipelineNames.UPSTREAM_CODEC);
        toUpstream.direct = directSocket(upstream);
        toClient.direct = directSocket(client);
    }

    /**
     * {@code ch}'s socket when a relayed write may go to it directly: a native (epoll) channel whose pipeline is left
     * with this tunnel's handler and the timeout handler only, so no handler (TLS above all) would have changed the
     * bytes on their way out. Null otherwise (TLS, the NIO transport): those writes take the pipeline.
     */
    private static Socket directSocket(Channel ch) {
        Socket s = DirectSend.socketOf(ch);
        if (s == null) return null;
        for (Map.Entry<String, ChannelHandler> e : ch.pipeline()) {
            if (!(e.getValue() instanceof IoTimeoutHandler) && !(e.getValue() instanceof TunnelHandler)) return null;
        }
        return s;
    }

    /** Starts relaying: both handlers must be in place. Event loop only. */
    private void start() {
        registry.add(this);
        metrics.tunnelOpened();
        metrics.latency().tunnelOpened(opened.routeName());
        // The timeouts chosen when the tunnel opened stay with it: later snapshots do not change them.
        IoTimeoutHandler up = IoTimeoutHandler.of(upstream);
        if (up != null) up.arm(opened.readMs(), opened.sendMs());
        IoTimeoutHandler down = IoTimeoutHandler.of(client);
        if (down != null) down.arm(0, opened.sendMs());
        if (!client.isActive() || !upstream.isActive()) {
            closeNow(client.isActive() ? CloseReason.UPSTREAM_CLOSED : CloseReason.CLIENT_CLOSED);
            return;
        }
        client.read();
        upstream.read();
    }

    /**
     * Closes this tunnel with a WebSocket close 1001 to both ends, each at a frame boundary. Thread-safe:
     * runs on the tunnel's event loop after {@code delayMs}.
     */
    public void close(CloseReason why, long delayMs) {
        close(why, delayMs, () -> true);
    }

    /**
     * As {@link #close(CloseReason, long)}, if {@code stillWanted} holds when the delay is over (a drain is
     * called off when a later snapshot brought the target back); otherwise the tunnel may be drained again.
     */
    public void close(CloseReason why, long delayMs, BooleanSupplier stillWanted) {
        Runnable r = () -> {
            if (stillWanted.getAsBoolean()) requestClose(why);
            else drainScheduled.set(false);
        };
        if (delayMs <= 0) client.eventLoop().execute(r);
        else client.eventLoop().schedule(r, delayMs, TimeUnit.MILLISECONDS);
    }

    public boolean drainScheduled() {
        return drainScheduled.get();
    }

    /** @return true for the one caller that gets to schedule this tunnel's drain */
    public boolean markDrainScheduled() {
        return drainScheduled.compareAndSet(false, true);
    }

    public boolean isOpen() {
        return !finished;
    }

    /** The channel {@code side} reads became writable or not; the direction writing to it resumes. */
    void onWritabilityChanged(Direction side) {
        (side == toUpstream ? toClient : toUpstream).writabilityChanged();
    }

    void onInactive(Direction side) {
        closeNow(firstCloser != null ? firstCloser.fromSideClosed() : side.fromSideClosed());
    }

    void onError(Direction side, Throwable cause) {
        LOG.debug("tunnel {} {} side failed: {}", opened.routeName(), side.towardUpstream ? "client" : "upstream", cause.toString());
        closeNow(side.fromSideClosed());
    }

    void onTimeout(Direction side, IoTimeoutHandler.IoTimeout which) {
        if (reason == null && !side.towardUpstream)
            metrics.upstreamError(io.switchyard.dataplane.status.UpstreamError.of(which));
        closeNow(CloseReason.IDLE_TIMEOUT);
        // A send timeout means a peer takes nothing: waiting for a flush would wait forever.
        if (which == IoTimeoutHandler.IoTimeout.SEND) abort();
    }

    private void requestClose(CloseReason why) {
        if (finished || reason != null) return;
        reason = why;
        toClient.closePending = true;
        toUpstream.closePending = true;
        if (toClient.frames.atBoundary()) toClient.sendClose();
        if (toUpstream.frames.atBoundary()) toUpstream.sendClose();
        closeTimer = client.eventLoop().schedule(() -> closeNow(why), CLOSE_DEADLINE_MS, TimeUnit.MILLISECONDS);
    }

    private void afterCloseSent() {
        if (toClient.closeSent && toUpstream.closeSent) {
            if (closeTimer != null) closeTimer.cancel(false);
            CloseReason r = reason;
            closeTimer = client.eventLoop().schedule(() -> closeNow(r), CLOSE_LINGER_MS, TimeUnit.MILLISECONDS);
        }
    }

    private String reasonText() {
        return switch (reason) {
            case SHUTDOWN -> "proxy shutting down";
            case TARGET_DRAINING -> "target draining";
            case TARGET_UNHEALTHY -> "target unhealthy";
            case CLOSED_BY_OPERATOR -> "closed by operator";
            default -> "target removed";
        };
    }

    /** Closes both sockets once what was written to them is flushed (a peer that takes nothing gets 5 s). */
    private void closeNow(CloseReason r) {
        if (reason == null) reason = r;
        if (finished) return;
        if (closeTimer != null) closeTimer.cancel(false);
        boolean waits = closeWhenFlushed(client) | closeWhenFlushed(upstream);
        if (waits) {
            // A peer that takes nothing gets a bounded wait; the timer goes with the channel, not kept per tunnel.
            ScheduledFuture<?> abort = client.eventLoop().schedule(this::abort, CLOSE_DEADLINE_MS, TimeUnit.MILLISECONDS);
            client.closeFuture().addListener(f -> {
                if (!upstream.isActive()) abort.cancel(false);
            });
            upstream.closeFuture().addListener(f -> {
                if (!client.isActive()) abort.cancel(false);
            });
        }
        finish(reason);
    }

    /**
     * Closes {@code ch} once what was written to it is flushed: at once when nothing waits in its outbound buffer (the
     * common case: no promise, listener or timer per closed tunnel), else after the flush.
     *
     * @return whether bytes were waiting (the close then depends on the peer taking them)
     */
    private static boolean closeWhenFlushed(Channel ch) {
        ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        if (out == null || out.totalPendingWriteBytes() == 0) {
            ch.close();
            return false;
        }
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        return true;
    }

    /** Closes both sockets now, dropping whatever they could not send. */
    private void abort() {
        client.close();
        upstream.close();
    }

    private void finish(CloseReason r) {
        if (finished) return;
        finished = true;
        if (reason == null) reason = r;
        registry.remove(this);
        metrics.latency().tunnelClosed(opened.routeName());
        opened.target().closed();
        metrics.tunnelClosed(opened.routeName(), reason.wire());
        if (!accessLog.on()) return;
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - openedNanos);
        // The first close frame seen decides code and side; otherwise the side that went away, or the proxy itself.
        int code;
        String by;
        if (reason == CloseReason.DRAINED || reason == CloseReason.SHUTDOWN || reason == CloseReason.IDLE_TIMEOUT
                || reason == CloseReason.TARGET_DRAINING || reason == CloseReason.TARGET_UNHEALTHY
                || reason == CloseReason.CLOSED_BY_OPERATOR) {
            code = reason == CloseReason.IDLE_TIMEOUT ? -1 : 1001;
            by = "proxy";
        } else if (firstCloser != null) {
            code = firstCloser.frames.closeCode();
            by = firstCloser.towardUpstream ? "client" : "upstream";
        } else {
            code = -1;
            by = reason == CloseReason.CLIENT_CLOSED ? "client" : "upstream";
        }
        accessLog.log(new AccessLog.Tunnel(System.currentTimeMillis(), opened.requestId(), opened.clientAddress(), opened.host(),
                opened.uri(), opened.routeName(), opened.target().upstream(), opened.target().address(), toUpstream.bytes,
                toClient.bytes, ms, code, reason.wire(), by));
    }

    /** A close frame (RFC 6455 5.5.1); frames toward a server must be masked (5.3), so upstream-bound ones are. */
    static ByteBuf closeFrame(ByteBufAllocator alloc, int code, String text, boolean masked) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[2 + t.length];
        payload[0] = (byte) (code >> 8);
        payload[1] = (byte) code;
        System.arraycopy(t, 0, payload, 2, t.length);
        ByteBuf b = alloc.buffer(2 + (masked ? 4 : 0) + payload.length);
        b.writeByte(0x88);
        b.writeByte((masked ? 0x80 : 0) | payload.length);
        if (masked) {
            byte[] key = new byte[4];
            ThreadLocalRandom.current().nextBytes(key);
            b.writeBytes(key);
            for (int i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
        }
        b.writeBytes(payload);
        return b;
    }

    /** 16 lower-case hex digits (String.format's parsing and Formatter cost more than the rest of a tunnel's setup). */
    static String hex16(long v) {
        char[] out = new char[16];
        for (int i = 15; i >= 0; i--) {
            out[i] = Character.forDigit((int) (v & 0xf), 16);
            v >>>= 4;
        }
        return new String(out);
    }
}
