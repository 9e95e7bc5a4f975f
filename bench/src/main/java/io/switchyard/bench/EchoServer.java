package io.switchyard.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.SocketChannel;
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
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The upstream of every benchmark: answers any plain HTTP request with a small 200 (keep-alive)
 * and echoes every WebSocket data frame back unchanged. It does as little as possible so that the
 * proxy, not the upstream, is what a run measures.
 */
public final class EchoServer implements AutoCloseable {
    /** Maximum echoed frame payload; the largest scenario uses 16 KiB. */
    static final int MAX_FRAME = 1 << 20;
    private static final byte[] BODY = "hello, bench\n".getBytes(StandardCharsets.US_ASCII);

    private final EventLoopGroup group;
    private final Channel server;

    private EchoServer(EventLoopGroup group, Channel server) {
        this.group = group;
        this.server = server;
    }

    /** Binds {@code host:port} (port 0 picks one) with {@code threads} event loops. */
    public static EchoServer start(String host, int port, int threads) throws InterruptedException {
        EventLoopGroup group = Transports.group(threads, "echo");
        try {
            ServerBootstrap b = new ServerBootstrap()
                    .group(group)
                    .channel(Transports.server())
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                                    new HttpHandler());
                        }
                    });
            Channel ch = b.bind(host, port).sync().channel();
            return new EchoServer(group, ch);
        } catch (RuntimeException | InterruptedException e) {
            group.shutdownGracefully();
            throw e;
        }
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Plain HTTP answers, or the switch to WebSocket when the request asks for it. */
    private static final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
                String url = "ws://" + req.headers().get(HttpHeaderNames.HOST, "localhost") + req.uri();
                WebSocketServerHandshakerFactory f = new WebSocketServerHandshakerFactory(url, null, false, MAX_FRAME);
                WebSocketServerHandshaker hs = f.newHandshaker(req);
                if (hs == null) {
                    WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
                    return;
                }
                // Replace ourselves before the handshake so the first echoed frame cannot race the 101.
                ctx.pipeline().replace(this, "ws-echo", new FrameEcho(hs));
                hs.handshake(ctx.channel(), req);
                return;
            }
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(BODY));
            resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, BODY.length);
            if (!keepAlive) {
                resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.write(resp).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.write(resp);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            // One flush per read batch: pipelined keep-alive requests (wrk) cost one syscall, not N.
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Echoes data frames; answers ping and close. */
    private static final class FrameEcho extends ChannelInboundHandlerAdapter {
        private final WebSocketServerHandshaker hs;

        FrameEcho(WebSocketServerHandshaker hs) {
            this.hs = hs;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof WebSocketFrame frame)) {
                // Leftover HTTP content of the upgrade request (empty); nothing to echo.
                io.netty.util.ReferenceCountUtil.release(msg);
                return;
            }
            if (frame instanceof CloseWebSocketFrame close) {
                hs.close(ctx.channel(), close);
            } else if (frame instanceof PingWebSocketFrame) {
                ctx.write(new PongWebSocketFrame(frame.content()));
            } else if (frame instanceof PongWebSocketFrame) {
                frame.release();
            } else {
                // The frame's buffer goes straight back out: no copy on the echo path.
                ctx.write(frame);
                if (!ctx.channel().isWritable()) {
                    // Backpressure: a client that does not read must not grow our outbound buffer.
                    ctx.channel().config().setAutoRead(false);
                }
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) ctx.channel().config().setAutoRead(true);
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
