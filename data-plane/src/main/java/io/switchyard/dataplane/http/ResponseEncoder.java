package io.switchyard.dataplane.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.switchyard.dataplane.codec.Chunks;

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
 * the server codec of the HTTP library does. Event-loop confined. Internal.
 */
public final class ResponseEncoder extends HttpResponseEncoder {
    /** How a relayed response's body is written: nothing of it, its bytes as they are, or as chunks. */
    enum Body { NONE, RAW, CHUNKED }

    /** A relayed response head, as bytes, and how the body that follows it is framed. */
    record Relayed(ByteBuf head, Body body) {
    }

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] COLON_SP = {':', ' '};

    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);
    private HttpMethod method;
    private Body relaying; // null: no relayed body in progress

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
