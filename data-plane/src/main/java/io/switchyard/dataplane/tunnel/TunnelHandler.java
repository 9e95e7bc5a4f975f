package io.switchyard.dataplane.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.switchyard.dataplane.channel.IoTimeoutHandler;

/** One side of a {@link Tunnel}: hands the bytes and events of its channel to the direction that reads it. Internal. */
final class TunnelHandler extends ChannelInboundHandlerAdapter {
    private final Tunnel.Direction direction;

    TunnelHandler(Tunnel.Direction direction) {
        this.direction = direction;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            direction.onRead(buf);
        } else {
            // Leftovers of the HTTP codecs removed at the switch (e.g. the empty last content of the 101).
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        direction.tunnel().onWritabilityChanged(direction);
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        direction.tunnel().onInactive(direction);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        direction.tunnel().onError(direction, cause);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IoTimeoutHandler.IoTimeout t) direction.tunnel().onTimeout(direction, t);
        else ReferenceCountUtil.release(evt);
    }
}
