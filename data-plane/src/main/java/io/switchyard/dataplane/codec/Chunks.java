package io.switchyard.dataplane.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Chunked framing of a body the proxy relays (RFC 9112 7.1), shared by both directions: the client's answers
 * re-chunked by the response encoder and the requests sent upstream. A chunk is its size line, its bytes as they came
 * (never copied) and a CRLF; an empty content writes no chunk. Stateless. Internal.
 */
public final class Chunks {
    private static final byte[] CRLF = {'\r', '\n'};
    private static final ByteBuf CRLF_BUF = Unpooled.unreleasableBuffer(Unpooled.directBuffer(2).writeBytes(CRLF)).asReadOnly();
    private static final ByteBuf LAST_CHUNK_BUF =
            Unpooled.unreleasableBuffer(Unpooled.directBuffer(5).writeBytes(new byte[]{'0', '\r', '\n', '\r', '\n'})).asReadOnly();

    private Chunks() {
    }

    /**
     * Writes {@code data} (released or passed on) as one chunk. A content that is not the body's last completes
     * {@code promise} here and returns true; for the last one nothing more is written and false returned: the caller
     * ends the body ({@link #writeLast}, or a last chunk with trailers) with {@code promise}.
     */
    public static boolean write(ChannelHandlerContext ctx, ByteBuf data, boolean last, ChannelPromise promise) {
        int n = data.readableBytes();
        if (n > 0) {
            ByteBuf size = ctx.alloc().buffer(10);
            ByteBufUtil.writeAscii(size, Integer.toHexString(n));
            size.writeBytes(CRLF);
            ctx.write(size, ctx.voidPromise());
            ctx.write(data, ctx.voidPromise());
            ctx.write(CRLF_BUF.duplicate(), last ? ctx.voidPromise() : promise);
        } else {
            data.release();
            if (!last) ctx.write(Unpooled.EMPTY_BUFFER, promise);
        }
        return !last;
    }

    /** The last chunk without trailers: {@code 0 CRLF CRLF}. */
    public static void writeLast(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.write(LAST_CHUNK_BUF.duplicate(), promise);
    }
}
