package io.switchyard.dataplane.status;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.switchyard.dataplane.reply.LocalReply;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The status listener's pipeline: {@code GET /status} (JSON), {@code GET /metrics} (Prometheus text) and
 * {@code GET /ready} (200 while serving, 503 while starting or draining: what a load balancer's health check
 * asks). Requests are tiny, so they are aggregated; the answers are computed per request. Internal.
 */
public final class StatusServer extends ChannelInitializer<SocketChannel> {
    private static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";
    private final Supplier<String> statusJson;
    private final Supplier<String> metricsText;
    private final BooleanSupplier ready;

    public StatusServer(Supplier<String> statusJson, Supplier<String> metricsText, BooleanSupplier ready) {
        this.statusJson = statusJson;
        this.metricsText = metricsText;
        this.ready = ready;
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
            boolean keepAlive = HttpUtil.isKeepAlive(req) && req.decoderResult().isSuccess();
            var alloc = ctx.alloc();
            FullHttpResponse r;
            if (!req.decoderResult().isSuccess()) {
                r = LocalReply.text(alloc, HttpResponseStatus.BAD_REQUEST, null, true);
            } else if (!path.equals("/status") && !path.equals("/metrics") && !path.equals("/ready")) {
                r = LocalReply.text(alloc, HttpResponseStatus.NOT_FOUND, "try /status, /metrics or /ready", !keepAlive);
            } else if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.HEAD)) {
                r = LocalReply.text(alloc, HttpResponseStatus.METHOD_NOT_ALLOWED, "expected: GET", !keepAlive);
                r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            } else if (path.equals("/status")) {
                r = LocalReply.of(alloc, HttpResponseStatus.OK, statusJson.get(), "application/json", !keepAlive);
            } else if (path.equals("/ready")) {
                r = ready.getAsBoolean() ? LocalReply.text(alloc, HttpResponseStatus.OK, "serving", !keepAlive)
                        : LocalReply.text(alloc, HttpResponseStatus.SERVICE_UNAVAILABLE, "starting or draining", !keepAlive);
            } else {
                r = LocalReply.of(alloc, HttpResponseStatus.OK, metricsText.get(), PROMETHEUS, !keepAlive);
            }
            var f = ctx.writeAndFlush(r);
            if (!keepAlive) f.addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
