package io.switchyard.dataplane.reply;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/**
 * The one builder of answers made by the data plane itself (not relayed from a target): the proxy's errors
 * and refusals and the status listener's documents. Text answers read {@code "<code> <reason>: <detail>\n"} so
 * a curl user sees why in one line. Stateless.
 */
public final class LocalReply {
    public static final String TEXT = "text/plain; charset=utf-8";

    private LocalReply() {
    }

    /** {@code "404 Not Found: no route for h/x\n"}; the detail is left out when empty or equal to the reason. */
    public static FullHttpResponse text(ByteBufAllocator alloc, HttpResponseStatus status, String detail, boolean close) {
        String body = status.code() + " " + status.reasonPhrase()
                + (detail == null || detail.isEmpty() || detail.equals(status.reasonPhrase()) ? "" : ": " + detail) + "\n";
        return of(alloc, status, body, TEXT, close);
    }

    /** An answer with {@code body} of {@code contentType}, framed by Content-Length. */
    public static FullHttpResponse of(ByteBufAllocator alloc, HttpResponseStatus status, String body, String contentType,
                                      boolean close) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ByteBuf buf = alloc.buffer(bytes.length).writeBytes(bytes);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, buf);
        if (contentType != null) r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        if (close) r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return r;
    }

    /** A body-less answer (redirects, 204s). */
    public static FullHttpResponse empty(ByteBufAllocator alloc, HttpResponseStatus status, boolean close) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, alloc.buffer(0));
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        if (close) r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return r;
    }
}
