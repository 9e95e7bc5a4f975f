package io.switchyard.dataplane.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.switchyard.dataplane.codec.Chunks;

/**
 * Encodes the requests on an upstream connection. The exchange hands it each request's head already as bytes
 * ({@link Head}: it wrote them from the guard's parse of the client's head, edited for the target), then the body's
 * contents, which this encoder frames as the head said: as they are (a {@code Content-Length} body, or none) or
 * chunk by chunk (a chunked body, whose trailers are never forwarded). No header map is encoded. Anything else
 * passes through as it is. Event-loop confined. Internal.
 */
public final class UpstreamRequestEncoder extends ChannelOutboundHandlerAdapter {
    /** A request head, as bytes, and whether its body goes out chunked. */
    public record Head(ByteBuf bytes, boolean chunked) {
    }

    private boolean chunked;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof Head h) {
            chunked = h.chunked();
            ctx.write(h.bytes(), promise);
            return;
        }
        if (msg instanceof HttpContent c) {
            boolean last = c instanceof LastHttpContent;
            ByteBuf data = c.content();
            if (!chunked) {
                ctx.write(data, promise);
            } else if (!Chunks.write(ctx, data, last, promise)) {
                Chunks.writeLast(ctx, promise);
            }
            if (last) chunked = false;
            return;
        }
        ctx.write(msg, promise);
    }
}
