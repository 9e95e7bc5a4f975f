package io.switchyard.dataplane.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpResponse;
import io.switchyard.dataplane.channel.PipelineNames;
import io.switchyard.dataplane.upstream.UpstreamHandler;
import io.netty.util.concurrent.ScheduledFuture;
import io.switchyard.config.Route;
import io.switchyard.dataplane.status.Metrics;
import io.switchyard.dataplane.channel.IoTimeoutHandler;
import io.switchyard.routing.TargetState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * An established WebSocket tunnel: a byte relay between a client channel and an upstream channel that
 * share one event loop (the upstream was connected with the client's loop), so every field here is
 * confined to that loop and needs no synchronization; other threads act through {@link #close}.
 *
 * <p>Backpressure, the one mechanism used: both channels run with AUTO_READ off and a side reads its next
 * buffer only after the previous one was written to the other side (as Netty's HexDumpProxy). A slow peer
 * therefore stops reads from the fast one, and the kernel's TCP window pushes back on the sender; no
 * buffer grows without bound. Buffers are passed through as received, never copied.
 *
 * <p>Each direction has a {@link FrameTracker} so a close frame of our own (1001 on drain or shutdown)
 * goes in between two frames: if a frame is half relayed, the close waits until the byte where it ends.
 * Internal.
 */
public final class Tunnel {
    private static final Logger ACCESS = LoggerFactory.getLogger("switchyard.access");
    private static final Logger LOG = LoggerFactory.getLogger(Tunnel.class);
    /** How long after our close frames the peers get to answer and close before we close the sockets. */
    private static final long CLOSE_LINGER_MS = 1000;
    /** Upper bound on waiting for a frame boundary (a peer stuck mid-frame) once a close was requested. */
    private static final long CLOSE_DEADLINE_MS = 5000;

    private final Channel client;
    private final Channel upstream;
    private final String routeName;
    private final Route routeAtOpen;
    private final TargetState target;
    private final String clientAddress;
    private final String uri;
    private final long readMs;
    private final long sendMs;
    private final Metrics metrics;
    private final TunnelRegistry registry;
    private final long openedNanos = System.nanoTime();
    private final FrameTracker fromClient = new FrameTracker();
    private final FrameTracker fromUpstream = new FrameTracker();

    private long bytesFromClient;
    private long bytesFromUpstream;
    private Boolean firstCloseFromClient;
    private CloseReason reason;
    private boolean closeToClientPending;
    private boolean closeToUpstreamPending;
    private boolean closeSentToClient;
    private boolean closeSentToUpstream;
    private boolean finished;
    private ScheduledFuture<?> closeTimer;
    // Set from the applying thread, read there too: a tunnel is scheduled for drain at most once.
    private final java.util.concurrent.atomic.AtomicBoolean drainScheduled = new java.util.concurrent.atomic.AtomicBoolean();

    public Tunnel(Channel client, Channel upstream, String routeName, Route routeAtOpen, TargetState target,
                  String clientAddress, String uri, long readMs, long sendMs, Metrics metrics, TunnelRegistry registry) {
        this.client = client;
        this.upstream = upstream;
        this.routeName = routeName;
        this.routeAtOpen = routeAtOpen;
        this.target = target;
        this.clientAddress = clientAddress;
        this.uri = uri;
        this.readMs = readMs;
        this.sendMs = sendMs;
        this.metrics = metrics;
        this.registry = registry;
    }

    public String routeName() {
        return routeName;
    }

    /** The route's configuration when the tunnel opened (it keeps it across swaps). */
    public Route routeAtOpen() {
        return routeAtOpen;
    }

    public TargetState target() {
        return target;
    }

    /**
     * Turns both connections into this tunnel and writes {@code switching} (the 101) to the client. Owns the
     * pipeline rewiring. Order matters: removing a decoder hands the bytes it still holds (frames that came in the
     * same read as the 101, or early client frames) to the next handler at once, so both tunnel handlers must be in
     * place, the 101 written and the upstream encoder passing raw bytes before either codec goes. Event loop only.
     */
    public void install(FullHttpResponse switching) {
        ChannelPipeline up = upstream.pipeline();
        UpstreamHandler uh = UpstreamHandler.of(upstream);
        if (uh != null) uh.detach();
        up.addAfter(PipelineNames.UPSTREAM_CODEC, PipelineNames.TUNNEL, new TunnelHandler(this, false));
        up.remove(PipelineNames.UPSTREAM_HANDLER);
        up.remove(PipelineNames.UPSTREAM_ENCODER); // from here on, frames go upstream as raw bytes
        client.writeAndFlush(switching);
        ChannelPipeline down = client.pipeline();
        down.addAfter(PipelineNames.CODEC, PipelineNames.TUNNEL, new TunnelHandler(this, true));
        start();
        down.remove(PipelineNames.PROXY);
        down.remove(PipelineNames.CODEC);
        if (down.get(PipelineNames.GUARD) != null) down.remove(PipelineNames.GUARD);
        up.remove(PipelineNames.UPSTREAM_CODEC);
    }

    /** Starts relaying: both handlers must be in place. Event loop only. */
    private void start() {
        registry.add(this);
        metrics.tunnelOpened();
        // The timeouts chosen when the tunnel opened stay with it: later snapshots do not change them.
        IoTimeoutHandler up = upstream.pipeline().get(IoTimeoutHandler.class);
        if (up != null) up.arm(readMs, sendMs);
        IoTimeoutHandler down = client.pipeline().get(IoTimeoutHandler.class);
        if (down != null) down.arm(0, sendMs);
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
    public void close(CloseReason why, long delayMs, java.util.function.BooleanSupplier stillWanted) {
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

    void onRead(boolean fromClientSide, ByteBuf buf) {
        Channel from = fromClientSide ? client : upstream;
        Channel to = fromClientSide ? upstream : client;
        FrameTracker tracker = fromClientSide ? fromClient : fromUpstream;
        int n = buf.readableBytes();
        if (fromClientSide) {
            bytesFromClient += n;
            metrics.bytesIn(n);
        } else {
            bytesFromUpstream += n;
        }
        boolean sent = fromClientSide ? closeSentToUpstream : closeSentToClient;
        if (finished || sent) {
            // After our own close frame nothing more may go that way; keep reading so the peer's close
            // answer and FIN are consumed (closing with unread bytes would make the kernel send RST).
            buf.release();
            from.read();
            return;
        }
        boolean pending = fromClientSide ? closeToUpstreamPending : closeToClientPending;
        if (pending) {
            int end = tracker.advanceToBoundary(buf, buf.readerIndex(), buf.writerIndex());
            if (end >= 0) {
                if (end > buf.readerIndex()) to.write(buf.retainedSlice(buf.readerIndex(), end - buf.readerIndex()));
                buf.release();
                sendClose(fromClientSide);
                from.read();
                return;
            }
        } else {
            tracker.advance(buf);
            if (firstCloseFromClient == null && tracker.closeSeen()) firstCloseFromClient = fromClientSide;
        }
        if (!fromClientSide) metrics.bytesOut(n);
        to.writeAndFlush(buf).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) from.read();
            else closeNow(fromClientSide ? CloseReason.UPSTREAM_CLOSED : CloseReason.CLIENT_CLOSED);
        });
    }

    void onInactive(boolean clientSide) {
        CloseReason r;
        if (firstCloseFromClient != null) r = firstCloseFromClient ? CloseReason.CLIENT_CLOSED : CloseReason.UPSTREAM_CLOSED;
        else r = clientSide ? CloseReason.CLIENT_CLOSED : CloseReason.UPSTREAM_CLOSED;
        closeNow(r);
    }

    void onError(boolean clientSide, Throwable cause) {
        LOG.debug("tunnel {} {} side failed: {}", routeName, clientSide ? "client" : "upstream", cause.toString());
        closeNow(clientSide ? CloseReason.CLIENT_CLOSED : CloseReason.UPSTREAM_CLOSED);
    }

    void onTimeout(boolean clientSide, IoTimeoutHandler.IoTimeout which) {
        if (reason == null && !clientSide)
            metrics.upstreamError(which == IoTimeoutHandler.IoTimeout.READ ? "read_timeout" : "send_timeout");
        closeNow(CloseReason.IDLE_TIMEOUT);
        // A send timeout means a peer takes nothing: waiting for a flush would wait forever.
        if (which == IoTimeoutHandler.IoTimeout.SEND) abort();
    }

    private void requestClose(CloseReason why) {
        if (finished || reason != null) return;
        reason = why;
        closeToClientPending = true;
        closeToUpstreamPending = true;
        if (fromUpstream.atBoundary()) sendClose(false);
        if (fromClient.atBoundary()) sendClose(true);
        closeTimer = client.eventLoop().schedule(() -> closeNow(why), CLOSE_DEADLINE_MS, TimeUnit.MILLISECONDS);
    }

    /** Sends our close 1001 toward the upstream ({@code toUpstream}) or the client, at a boundary. */
    private void sendClose(boolean toUpstream) {
        if (toUpstream) {
            if (closeSentToUpstream) return;
            closeSentToUpstream = true;
            closeToUpstreamPending = false;
            upstream.writeAndFlush(closeFrame(upstream.alloc(), 1001, reasonText(), true));
        } else {
            if (closeSentToClient) return;
            closeSentToClient = true;
            closeToClientPending = false;
            client.writeAndFlush(closeFrame(client.alloc(), 1001, reasonText(), false));
        }
        if (closeSentToClient && closeSentToUpstream) {
            if (closeTimer != null) closeTimer.cancel(false);
            CloseReason r = reason;
            closeTimer = client.eventLoop().schedule(() -> closeNow(r), CLOSE_LINGER_MS, TimeUnit.MILLISECONDS);
        }
    }

    private String reasonText() {
        return reason == CloseReason.SHUTDOWN ? "proxy shutting down" : "target removed";
    }

    /** Closes both sockets once what was written to them is flushed (a peer that takes nothing gets 5 s). */
    private void closeNow(CloseReason r) {
        if (reason == null) reason = r;
        if (finished) return;
        if (closeTimer != null) closeTimer.cancel(false);
        client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        upstream.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        client.eventLoop().schedule(this::abort, CLOSE_DEADLINE_MS, TimeUnit.MILLISECONDS);
        finish(reason);
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
        target.closed();
        metrics.tunnelClosed(routeName, reason.wire());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - openedNanos);
        ACCESS.info("{} tunnel {} route={} target={} duration_ms={} bytes_from_client={} bytes_from_upstream={} close={}",
                clientAddress, uri, routeName, target.address(), ms, bytesFromClient, bytesFromUpstream, reason.wire());
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
}
