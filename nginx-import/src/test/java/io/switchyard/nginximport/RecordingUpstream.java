package io.switchyard.nginximport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Queue;
import java.util.concurrent.TimeUnit;

/**
 * A backend for the differential test on 127.0.0.1 port 0 that records, for each request or WebSocket
 * handshake, what a backend of nginx sees: the path and the Host, X-Real-IP, X-Forwarded-For and Upgrade
 * headers. It answers HTTP with its name, accepts WebSocket handshakes and answers the text
 * {@code whoami} with its name. Records go to a queue shared by all upstreams of a test, in arrival
 * order, before the answer is written (so a client holding the answer finds the record there).
 */
final class RecordingUpstream implements AutoCloseable {
    /** What one upstream saw of one request. Header values are null when absent. */
    record Seen(String target, String uri, String host, String realIp, String forwardedFor, String upgrade) {
    }

    private final String name;
    private final Queue<Seen> seen;
    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Channel server;

    RecordingUpstream(String name, Queue<Seen> seen) {
        this.name = name;
        this.seen = seen;
        this.server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Recorder());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
    }

    String name() {
        return name;
    }

    String address() {
        return "127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        channels.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Recorder extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            var h = req.headers();
            seen.add(new Seen(name, req.uri(), h.get(HttpHeaderNames.HOST), h.get("X-Real-IP"), h.get("X-Forwarded-For"),
                    h.get(HttpHeaderNames.UPGRADE)));
            boolean upgrade = "websocket".equalsIgnoreCase(h.get(HttpHeaderNames.UPGRADE))
                    && h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
            if (upgrade) {
                WebSocketServerHandshaker hs = new WebSocketServerHandshakerFactory("ws://" + h.get(HttpHeaderNames.HOST) + req.uri(), null, false)
                        .newHandshaker(req);
                if (hs == null) {
                    WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
                    return;
                }
                hs.handshake(ctx.channel(), req).addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) return;
                    f.channel().pipeline().addLast(new WhoAmI(hs));
                    f.channel().pipeline().remove(Recorder.this);
                });
                return;
            }
            ByteBuf body = Unpooled.copiedBuffer(name, StandardCharsets.UTF_8);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            if (!keepAlive) r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            var w = ctx.writeAndFlush(r);
            if (!keepAlive) w.addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private final class WhoAmI extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final WebSocketServerHandshaker hs;

        WhoAmI(WebSocketServerHandshaker hs) {
            this.hs = hs;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof TextWebSocketFrame t) {
                ctx.writeAndFlush(new TextWebSocketFrame(t.text().equals("whoami") ? name : t.text()));
            } else if (frame instanceof CloseWebSocketFrame c) {
                hs.close(ctx.channel(), c.retain());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
