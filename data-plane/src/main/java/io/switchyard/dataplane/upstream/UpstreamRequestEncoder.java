package io.switchyard.dataplane.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.unix.Socket;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.switchyard.dataplane.channel.DirectSend;
import io.switchyard.dataplane.codec.Chunks;

/**
 * Encodes the requests on an upstream connection. The exchange hands it each request's head already as bytes
 * ({@link Head}: it wrote them from the guard's parse of the client's head, edited for the target), then the body's
 * contents, which this encoder frames as the head said: as they are (a {@code Content-Length} body, or none) or
 * chunk by chunk (a chunked body, whose trailers are never forwarded). No header map is encoded. Anything else
 * passes through as it is. On a plain native connection a head goes out in one {@code send} past the pipeline while
 * nothing waits to go ({@link #sendHead}). Event-loop confined. Internal.
 */
public final class UpstreamRequestEncoder extends ChannelOutboundHandlerAdapter {
    /** A request head, as bytes, and whether its body goes out chunked. */
    public record Head(ByteBuf bytes, boolean chunked) {
    }

    private final boolean plain;
    private ChannelHandlerContext ctx;
    /** The target's socket when heads may be sent to it directly: plain (no TLS) and native; else null. */
    private Socket direct;
    private boolean chunked;

    /** @param plain whether the connection's bytes go out as written (no TLS handler below this encoder) */
    UpstreamRequestEncoder(boolean plain) {
        this.plain = plain;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (plain) direct = DirectSend.socketOf(ctx.channel());
    }

    /**
     * Sends a request head straight to the target's socket with one {@code send} while nothing waits to go to it: no
     * promise, outbound entry or flush through the pipeline for it. Its body (if any) follows through the pipeline.
     *
     * @return true when all of it went (released); false when nothing or only part of it did, and the rest is for
     * the pipeline's write ({@code h} as it is now), which then waits for the socket under the send limit, or fails
     * as any write to a connection that is gone fails
     */
    public boolean sendHead(Head h) {
        if (direct == null || !h.bytes().hasMemoryAddress() || !DirectSend.idle(ctx.channel())) return false;
        chunked = h.chunked();
        return DirectSend.sendOrLeave(direct, h.bytes());
    }

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
