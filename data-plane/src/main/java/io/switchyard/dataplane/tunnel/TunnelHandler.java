package io.switchyard.dataplane.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.switchyard.dataplane.channel.IoTimeoutHandler;

/** One side of a {@link Tunnel}: hands bytes and events of its channel to the tunnel. Internal. */
public final class TunnelHandler extends ChannelInboundHandlerAdapter {
    private final Tunnel tunnel;
    private final boolean clientSide;

    TunnelHandler(Tunnel tunnel, boolean clientSide) {
        this.tunnel = tunnel;
        this.clientSide = clientSide;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            tunnel.onRead(clientSide, buf);
        } else {
            // Leftovers of the HTTP codecs removed at the switch (e.g. the empty last content of the 101).
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        tunnel.onInactive(clientSide);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        tunnel.onError(clientSide, cause);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IoTimeoutHandler.IoTimeout t) tunnel.onTimeout(clientSide, t);
        else ReferenceCountUtil.release(evt);
    }
}
