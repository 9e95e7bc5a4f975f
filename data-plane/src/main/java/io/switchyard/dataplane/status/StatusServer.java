package io.switchyard.dataplane.status;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * The status listener's pipeline: {@code GET /status} (JSON) and {@code GET /metrics} (Prometheus
 * text). Requests are tiny, so they are aggregated; the answers are computed per request. Internal.
 */
public final class StatusServer extends ChannelInitializer<SocketChannel> {
    private final Supplier<String> statusJson;
    private final Supplier<String> metricsText;

    public StatusServer(Supplier<String> statusJson, Supplier<String> metricsText) {
        this.statusJson = statusJson;
        this.metricsText = metricsText;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.pipeline().addLast("codec", new HttpServerCodec(4096, 8192, 8192));
        ch.pipeline().addLast("aggregator", new HttpObjectAggregator(8192));
        ch.pipeline().addLast("status", new Handler());
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String path = req.uri();
            int q = path.indexOf('?');
            if (q >= 0) path = path.substring(0, q);
            FullHttpResponse r;
            if (!req.decoderResult().isSuccess()) {
                r = text(HttpResponseStatus.BAD_REQUEST, "400 Bad Request\n", "text/plain; charset=utf-8");
            } else if (!path.equals("/status") && !path.equals("/metrics")) {
                r = text(HttpResponseStatus.NOT_FOUND, "404 Not Found: try /status or /metrics\n", "text/plain; charset=utf-8");
            } else if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.HEAD)) {
                r = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "405 Method Not Allowed (expected: GET)\n", "text/plain; charset=utf-8");
                r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            } else if (path.equals("/status")) {
                r = text(HttpResponseStatus.OK, statusJson.get(), "application/json");
            } else {
                r = text(HttpResponseStatus.OK, metricsText.get(), "text/plain; version=0.0.4; charset=utf-8");
            }
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            if (!keepAlive) r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            var f = ctx.writeAndFlush(r);
            if (!keepAlive) f.addListener(ChannelFutureListener.CLOSE);
        }

        private FullHttpResponse text(HttpResponseStatus s, String body, String type) {
            ByteBuf b = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, s, b);
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, b.readableBytes());
            return r;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
