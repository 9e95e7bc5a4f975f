package io.switchyard.dataplane.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObject;
import io.netty.util.ReferenceCountUtil;
import io.switchyard.dataplane.channel.IoTimeoutHandler;

/**
 * Last handler of an upstream connection while it speaks HTTP: hands responses to the exchange that leased the
 * connection. While the connection idles in the pool nobody is attached; any byte arriving then is a protocol error
 * (an upstream may not answer what was not asked) and closes it.
 *
 * <p>A connection goes back to the pool only if its last response was framed exactly. The decoder turns every byte
 * of one read into messages before the read completes, so an exchange that ends inside a read hands the connection
 * back at that read's end ({@link #releaseAfterRead}): if anything followed the response in the same read (a body
 * on a {@code HEAD} answer or a 204/304, bytes past {@code Content-Length}), the connection is closed instead of
 * pooled, and the next client never reads another's leftovers. Event-loop confined. Internal.
 */
public final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private final IoTimeoutHandler timeout;
    private final UpstreamRequestEncoder encoder;
    private final UpstreamResponseDecoder decoder;
    private UpstreamListener listener;
    private boolean inRead;
    private UpstreamPool releaseTo;
    private String releaseKey;
    private boolean trailing;

    /** @param timeout, {@code encoder} and {@code decoder}: the handlers of the same pipeline, so a request never walks it to find them */
    UpstreamHandler(IoTimeoutHandler timeout, UpstreamRequestEncoder encoder, UpstreamResponseDecoder decoder) {
        this.timeout = timeout;
        this.encoder = encoder;
        this.decoder = decoder;
    }

    /**
     * The handler of {@code ch}'s pipeline, or null once removed (a tunnel replaced it). It is the pipeline's last
     * handler, so this is one read, not a walk of the pipeline.
     */
    public static UpstreamHandler of(Channel ch) {
        return ch.pipeline().last() instanceof UpstreamHandler h ? h : null;
    }

    /** The connection's timeout handler. */
    public IoTimeoutHandler timeout() {
        return timeout;
    }

    /** The connection's request encoder. */
    public UpstreamRequestEncoder encoder() {
        return encoder;
    }

    /** The connection's response decoder. */
    public UpstreamResponseDecoder decoder() {
        return decoder;
    }

    public void attach(UpstreamListener l) {
        this.listener = l;
        this.releaseTo = null;
        this.trailing = false;
    }

    public void detach() {
        this.listener = null;
    }

    /** The exchange is over and the connection may be reused: pool it now, or at the end of the current read. */
    public void releaseAfterRead(UpstreamPool pool, String key) {
        listener = null;
        if (!inRead) {
            pool.release(channelOf(), key);
            return;
        }
        releaseTo = pool;
        releaseKey = key;
    }

    private Channel ch;
    // Pool bookkeeping in fields, not channel attributes (an attribute lookup per request showed in profiles).
    private java.util.ArrayDeque<Channel> pooledIn;
    private boolean inPool;
    private long idleSince;
    private io.netty.util.concurrent.ScheduledFuture<?> idleTimer;

    /** @return true the first time this connection enters a pool (to hook its removal on close once) */
    boolean enteredPool(java.util.ArrayDeque<Channel> q) {
        inPool = true;
        idleSince = System.nanoTime();
        boolean first = pooledIn == null;
        pooledIn = q;
        return first;
    }

    void leftPool() {
        inPool = false;
    }

    /**
     * Closes the connection once it has idled in the pool for {@code idleMs}. One timer per connection, not one per
     * release: a lease leaves it running, and when it fires on a busy connection it re-arms for the idle time left.
     */
    void armIdleTimer(long idleMs) {
        if (idleTimer != null) return;
        idleTimer = ch.eventLoop().schedule(() -> checkIdle(idleMs), idleMs, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void checkIdle(long idleMs) {
        idleTimer = null;
        if (!inPool || !ch.isActive()) return; // leased: the next release arms again
        long left = idleSince + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(idleMs) - System.nanoTime();
        if (left <= 0) {
            if (pooledIn.remove(ch)) ch.close();
            return;
        }
        idleTimer = ch.eventLoop().schedule(() -> checkIdle(idleMs), left, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    private Channel channelOf() {
        return ch;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ch = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        inRead = true;
        UpstreamListener l = listener;
        if (l == null || !(msg instanceof HttpObject || msg instanceof ResponseHead || msg instanceof UpstreamResponseDecoder.Malformed)) {
            ReferenceCountUtil.release(msg);
            if (releaseTo != null) {
                trailing = true; // bytes after a complete response: not reusable
                return;
            }
            ctx.close();
            return;
        }
        l.onResponse(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inRead = false;
        UpstreamPool pool = releaseTo;
        if (pool != null) {
            releaseTo = null;
            if (trailing || decoder.buffered() > 0 || !ctx.channel().isActive()) ctx.close();
            else pool.release(ctx.channel(), releaseKey);
            return;
        }
        UpstreamListener l = listener;
        if (l != null) l.onUpstreamReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseTo = null;
        UpstreamListener l = listener;
        listener = null;
        if (l != null) l.onUpstreamClosed(null);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        releaseTo = null;
        UpstreamListener l = listener;
        listener = null;
        ctx.close();
        if (l != null) l.onUpstreamClosed(cause);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IoTimeoutHandler.IoTimeout t) {
            UpstreamListener l = listener;
            if (l != null) l.onUpstreamTimeout(t);
            return;
        }
        ReferenceCountUtil.release(evt);
    }
}
