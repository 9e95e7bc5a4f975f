package io.switchyard.dataplane.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObject;
import io.netty.util.ReferenceCountUtil;

/**
 * Last handler of an upstream connection while it speaks HTTP: hands responses to the exchange that
 * leased the connection. While the connection idles in the pool nobody is attached; any byte arriving
 * then is a protocol error (an upstream may not answer what was not asked) and closes it.
 * Event-loop confined. Internal.
 */
public final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private UpstreamListener listener;

    public void attach(UpstreamListener l) {
        this.listener = l;
    }

    public void detach() {
        this.listener = null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamListener l = listener;
        if (l == null || !(msg instanceof HttpObject)) {
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        l.onResponse((HttpObject) msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        UpstreamListener l = listener;
        if (l != null) l.onUpstreamReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        UpstreamListener l = listener;
        listener = null;
        if (l != null) l.onUpstreamClosed(null);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
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
