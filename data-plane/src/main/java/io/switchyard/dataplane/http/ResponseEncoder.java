package io.switchyard.dataplane.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.unix.Socket;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.switchyard.dataplane.channel.DirectSend;
import io.switchyard.dataplane.codec.Chunks;
import io.switchyard.dataplane.status.Metrics;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;

/**
 * Encodes the answers on a client connection. A target's response arrives as a {@link Relayed} head, already bytes
 * (the exchange edited the target's head as it copied it), followed by its body contents, which this encoder frames
 * as the exchange decided: as they are, chunk by chunk (with the trailers), or not at all. Answers made here
 * ({@code LocalReply}, the 1xx and 101 heads) are the HTTP library's messages and go through its encoder.
 *
 * <p>The {@link HeadGuardHandler} decodes the requests, so it tells this encoder each request's method as it passes
 * one on ({@link #requestDecoded}); the encoder takes them in order, one per response head, and knows a response to
 * {@code HEAD} has no body whatever its framing headers say (and a 2xx to {@code CONNECT} no Transfer-Encoding), as
 * the server codec of the HTTP library does. On a plain connection, an answer whose body is small and all here goes
 * out in one {@code send} past the pipeline ({@link #sendWhole}). Event-loop confined. Internal.
 */
public final class ResponseEncoder extends HttpResponseEncoder {
    /** How a relayed response's body is written: nothing of it, its bytes as they are, or as chunks. */
    enum Body { NONE, RAW, CHUNKED }

    /** A relayed response head, as bytes, and how the body that follows it is framed. */
    record Relayed(ByteBuf head, Body body) {
    }

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] COLON_SP = {':', ' '};

    /** Largest body copied behind its head into one send ({@link #sendWhole}); a larger one takes the pipeline. */
    static final int MAX_WHOLE_BODY = 4096;

    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);
    private final boolean plain;
    private final Metrics metrics;
    private ChannelHandlerContext ctx;
    /** The client's socket when whole answers may be sent to it directly: plain (no TLS) and native; else null. */
    private Socket direct;
    private HttpMethod method;
    private Body relaying; // null: no relayed body in progress

    /**
     * @param plain   whether the connection's bytes go out as written (no TLS handler below this encoder)
     * @param metrics counts the bytes of answers sent past the pipeline (the guard counts those that take it)
     */
    public ResponseEncoder(boolean plain, Metrics metrics) {
        this.plain = plain;
        this.metrics = metrics;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        super.handlerAdded(ctx);
        this.ctx = ctx;
        if (plain) direct = DirectSend.socketOf(ctx.channel());
    }

    /** Whether answers on this connection may ever be sent whole ({@link #sendWhole}): a plain native connection. */
    boolean sendsWhole() {
        return direct != null;
    }

    /**
     * Whether {@link #sendWhole} may take this answer now: its body is all here ({@code last}), sent as it is (or
     * none), at most {@link #MAX_WHOLE_BODY} bytes, no body of an earlier answer is still being relayed and nothing else
     * waits to go to the client (so no byte overtakes another).
     */
    boolean canSendWhole(Relayed r, LastHttpContent last) {
        return direct != null && relaying == null && r.body() != Body.CHUNKED && r.head().hasMemoryAddress()
                && (r.body() == Body.NONE || last.content().readableBytes() <= MAX_WHOLE_BODY)
                && last.trailingHeaders().isEmpty() && DirectSend.idle(ctx.channel());
    }

    /**
     * Sends an answer {@link #canSendWhole} took as one {@code send} on the client's socket, the body copied behind
     * the head: none of the pipeline's write and flush per part, and one system call where the pipeline makes a
     * gathering write. What the socket does not take, or all of it when the send fails, is written and flushed through
     * the pipeline, as any answer is: its send limit and its failure then work as for any other write.
     *
     * @return null when all of it went; else that pipeline write's future
     */
    ChannelFuture sendWhole(Relayed r, LastHttpContent last) {
        methods.poll(); // this answer's request, as a Relayed head's write takes it
        ByteBuf head = r.head();
        ByteBuf body = last.content();
        if (r.body() == Body.RAW && body.isReadable()) head.writeBytes(body, body.readerIndex(), body.readableBytes());
        last.release();
        int size = head.readableBytes();
        if (DirectSend.sendOrLeave(direct, head)) {
            metrics.bytesOut(size);
            return null;
        }
        metrics.bytesOut(size - head.readableBytes());
        return ctx.writeAndFlush(head);
    }

    /** A request with {@code m} was passed on; its response is the next one not yet matched. */
    void requestDecoded(HttpMethod m) {
        methods.add(m);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof Relayed r) {
            methods.poll(); // this response's request (the exchange framed the head for it)
            relaying = r.body();
            ctx.write(r.head(), promise);
            return;
        }
        if (relaying != null && msg instanceof HttpContent c) {
            boolean last = c instanceof LastHttpContent;
            Body b = relaying;
            if (last) relaying = null;
            writeBody(ctx, c, b, last, promise);
            return;
        }
        super.write(ctx, msg, promise);
    }

    private static void writeBody(ChannelHandlerContext ctx, HttpContent c, Body body, boolean last, ChannelPromise promise) {
        ByteBuf data = c.content();
        switch (body) {
            case NONE -> {
                data.release();
                ctx.write(Unpooled.EMPTY_BUFFER, promise);
            }
            case RAW -> ctx.write(data, promise);
            case CHUNKED -> {
                if (Chunks.write(ctx, data, last, promise)) return;
                HttpHeaders trailers = ((LastHttpContent) c).trailingHeaders();
                if (trailers.isEmpty()) {
                    Chunks.writeLast(ctx, promise);
                    return;
                }
                ByteBuf t = ctx.alloc().buffer(256);
                t.writeByte('0').writeBytes(CRLF);
                for (Iterator<Map.Entry<CharSequence, CharSequence>> it = trailers.iteratorCharSequence(); it.hasNext(); ) {
                    Map.Entry<CharSequence, CharSequence> e = it.next();
                    writeField(t, e.getKey(), e.getValue());
                }
                t.writeBytes(CRLF);
                ctx.write(t, promise);
            }
        }
    }

    /** Writes {@code name: value CRLF}, AsciiStrings byte for byte. */
    static void writeField(ByteBuf out, CharSequence name, CharSequence value) {
        writeText(out, name);
        out.writeBytes(COLON_SP);
        writeText(out, value);
        out.writeBytes(CRLF);
    }

    private static void writeText(ByteBuf out, CharSequence s) {
        if (s instanceof AsciiString a) out.writeBytes(a.array(), a.arrayOffset(), a.length());
        else ByteBufUtil.writeAscii(out, s);
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpResponse msg) {
        if (msg.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
            // An interim answer (100 Continue, 103): its request still waits for its final answer, which takes it.
            method = methods.peek();
            return true;
        }
        method = methods.poll();
        return HttpMethod.HEAD.equals(method) || super.isContentAlwaysEmpty(msg);
    }

    @Override
    protected void sanitizeHeadersBeforeEncode(HttpResponse msg, boolean isAlwaysEmpty) {
        if (!isAlwaysEmpty && HttpMethod.CONNECT.equals(method) && msg.status().codeClass() == HttpStatusClass.SUCCESS) {
            msg.headers().remove(HttpHeaderNames.TRANSFER_ENCODING); // RFC 9112 6.1
            return;
        }
        super.sanitizeHeadersBeforeEncode(msg, isAlwaysEmpty);
    }
}
