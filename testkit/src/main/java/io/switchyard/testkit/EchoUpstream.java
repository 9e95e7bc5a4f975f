package io.switchyard.testkit;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A real upstream for tests, on 127.0.0.1 port 0, speaking HTTP/1.1 and WebSocket (any path; {@code wss}/{@code https}
 * only when built with {@link Builder#tls}). What it answers depends on its {@link Replies}:
 * <ul>
 * <li>{@link Replies#ECHO_REQUEST} (the default): HTTP answered with a body that lists the request line and every
 *     header the upstream received, then the request body; WebSocket text answered as
 *     {@code "Server received from client: " + text}, {@code "whoami"} with the upstream's name.</li>
 * <li>{@link Replies#NAMED}: HTTP answered {@code "<name> <uri>"}, WebSocket text {@code "<name>|<text>"}: every
 *     answer says which upstream gave it.</li>
 * </ul>
 * Binary frames are echoed byte for byte. Every request head is logged ({@link #log}) and, when built with
 * {@link Builder#onRequest}, handed to the test before it is answered. Paths with special behaviour:
 * {@code /switch-unasked} (answers 101 to a plain request), {@code /refuse/403}, {@code /refuse/200}, {@code /refuse/bad-accept} (answers a WebSocket handshake
 * that way), {@code /sleep?ms=N} (answers after N ms), {@code /drop} (closes without answering),
 * {@code /bytes?n=N} (streams N bytes, chunked), {@code /one-per-connection} (closes a connection that
 * already served a request instead of answering), {@code /healthz} (answers {@link #healthStatus}). A test can make
 * it sick: {@link #die()}/{@link #revive()}, {@link #silent}, {@link #refuseUpgrades}. Close it after the test.
 */
public final class EchoUpstream implements AutoCloseable {
    public static final String PREFIX = "Server received from client: ";

    /** How the upstream answers; see the class comment. */
    public enum Replies { ECHO_REQUEST, NAMED }

    /** One request head as the upstream received it (a WebSocket handshake too). */
    public record Received(String upstream, String method, String uri, HttpHeaders headers) {
        /** The first value of header {@code name}, or null. */
        public String header(String name) {
            return headers.get(name);
        }
    }

    private static final io.netty.util.AttributeKey<Boolean> SERVED = io.netty.util.AttributeKey.valueOf("served");
    private final String name;
    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final ServerBootstrap bootstrap;
    private volatile Channel server;
    private final int port;
    /** What {@code GET /healthz} answers (200 unless a test makes the target sick). */
    public volatile int healthStatus = 200;
    /** When true, every WebSocket handshake is answered 503 (a target that refuses upgrades). */
    public volatile boolean refuseUpgrades;
    /** When true, requests and handshakes are read and never answered (a hung target that still accepts TCP). */
    public volatile boolean silent;
    public final AtomicInteger handshakes = new AtomicInteger();
    public final AtomicInteger requests = new AtomicInteger();
    public final AtomicInteger connections = new AtomicInteger();
    /** Request heads received, newest last: "METHOD uri" then headers, for tests that inspect them. */
    public final ConcurrentLinkedQueue<String> log = new ConcurrentLinkedQueue<>();
    /** WebSocket text messages received, and "close <code>" for each close frame received. */
    public final ConcurrentLinkedQueue<String> frames = new ConcurrentLinkedQueue<>();
    /** Bytes of binary frames written so far by "flood" (see {@link WsEcho}). */
    public final java.util.concurrent.atomic.AtomicLong flooded = new java.util.concurrent.atomic.AtomicLong();

    private final Replies replies;
    private final Consumer<Received> onRequest;

    /** An upstream answering with {@link Replies#ECHO_REQUEST}, over plain HTTP. */
    public EchoUpstream(String name) {
        this(builder(name));
    }

    /** An upstream of this name; {@link Builder#start()} starts it. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** What to start; each part is optional. */
    public static final class Builder {
        private final String name;
        private SslContext tls;
        private Replies replies = Replies.ECHO_REQUEST;
        private Consumer<Received> onRequest = r -> { };

        private Builder(String name) {
            this.name = name;
        }

        /** Speaks https/wss only, with this server context. */
        public Builder tls(SslContext tls) {
            this.tls = tls;
            return this;
        }

        public Builder replies(Replies replies) {
            this.replies = replies;
            return this;
        }

        /** Called with every request head (handshakes included) before it is answered, on the upstream's thread. */
        public Builder onRequest(Consumer<Received> onRequest) {
            this.onRequest = onRequest;
            return this;
        }

        public EchoUpstream start() {
            return new EchoUpstream(this);
        }
    }

    private EchoUpstream(Builder b) {
        this.name = b.name;
        this.replies = b.replies;
        this.onRequest = b.onRequest;
        SslContext tls = b.tls;
        this.bootstrap = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(io.netty.channel.ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        connections.incrementAndGet();
                        if (tls != null) ch.pipeline().addLast("ssl", tls.newHandler(ch.alloc()));
                        ch.pipeline().addLast("codec", new HttpServerCodec(16384, 65536, 8192));
                        ch.pipeline().addLast("agg", new HttpObjectAggregator(64 << 20));
                        ch.pipeline().addLast("http", new HttpHandler());
                    }
                });
        this.server = bootstrap.bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
        this.port = ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Dies: stops listening and closes every connection (connects are refused until {@link #revive()}). */
    public void die() {
        server.close().syncUninterruptibly();
        channels.close().syncUninterruptibly();
    }

    /** Listens again on the same port after {@link #die()}. */
    public void revive() {
        server = bootstrap.bind(new InetSocketAddress("127.0.0.1", port)).syncUninterruptibly().channel();
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    /** "127.0.0.1:port", as a target address. */
    public String address() {
        return "127.0.0.1:" + port();
    }

    /** Closes every connection the server holds (tunnels included), keeps listening. */
    public void dropConnections() {
        channels.close().syncUninterruptibly();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        channels.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (silent) return; // read, never answered
            requests.incrementAndGet();
            StringBuilder head = new StringBuilder(req.method() + " " + req.uri() + " " + req.protocolVersion() + "\n");
            for (Map.Entry<String, String> e : req.headers()) head.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
            log.add(head.toString());
            onRequest.accept(new Received(name, req.method().name(), req.uri(), req.headers().copy()));
            QueryStringDecoder q = new QueryStringDecoder(req.uri());
            String path = q.path();
            boolean upgrade = "websocket".equalsIgnoreCase(req.headers().get(HttpHeaderNames.UPGRADE))
                    && req.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
            if (path.equals("/healthz")) {
                ctx.writeAndFlush(text(HttpResponseStatus.valueOf(healthStatus), "health of " + name + "\n"));
                return;
            }
            if (upgrade && refuseUpgrades) {
                ctx.writeAndFlush(text(HttpResponseStatus.SERVICE_UNAVAILABLE, "no upgrades now, says " + name + "\n"));
                return;
            }
            if (path.startsWith("/refuse/")) {
                refuse(ctx, req, path.substring("/refuse/".length()));
                return;
            }
            if (path.equals("/switch-unasked")) {
                // 101 to a request that asked for no upgrade: an upstream out of step with its client.
                DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
                r.headers().set(HttpHeaderNames.UPGRADE, "websocket").set(HttpHeaderNames.CONNECTION, "upgrade");
                ctx.writeAndFlush(r);
                return;
            }
            if (path.equals("/one-per-connection") && ctx.channel().hasAttr(SERVED) ) {
                ctx.close(); // as if it had closed an idle keep-alive connection just as the request arrived
                return;
            }
            ctx.channel().attr(SERVED).set(Boolean.TRUE);
            if (path.equals("/until-close")) {
                // An old-style answer: no Content-Length, no chunking, the end of the body is the end of the connection.
                DefaultHttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_0, HttpResponseStatus.OK);
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
                ctx.write(r);
                ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer("part one, ", StandardCharsets.UTF_8)));
                ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer("part two", StandardCharsets.UTF_8)))
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
            if (path.equals("/drop")) {
                ctx.close();
                return;
            }
            if (path.equals("/sleep")) {
                long ms = Long.parseLong(param(q, "ms", "1000"));
                FullHttpResponse r = text(HttpResponseStatus.OK, "slept " + ms + "\n");
                ctx.executor().schedule(() -> ctx.writeAndFlush(r), ms, TimeUnit.MILLISECONDS);
                return;
            }
            if (path.equals("/bytes")) {
                streamBytes(ctx, Integer.parseInt(param(q, "n", "0")));
                return;
            }
            if (upgrade && path.equals("/greet")) {
                greet(ctx, req);
                return;
            }
            if (upgrade) {
                WebSocketServerHandshakerFactory f = new WebSocketServerHandshakerFactory(
                        "ws://" + req.headers().get(HttpHeaderNames.HOST) + req.uri(), null, true, 64 << 20);
                WebSocketServerHandshaker hs = f.newHandshaker(req);
                if (hs == null) {
                    WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
                    return;
                }
                handshakes.incrementAndGet();
                ctx.pipeline().remove("agg");
                hs.handshake(ctx.channel(), req).addListener((ChannelFutureListener) fut -> {
                    if (!fut.isSuccess()) return;
                    fut.channel().pipeline().addLast("ws-agg", new WebSocketFrameAggregator(64 << 20));
                    fut.channel().pipeline().addLast("ws", new WsEcho(hs));
                    fut.channel().pipeline().remove(HttpHandler.this);
                });
                return;
            }
            ByteBuf body = Unpooled.buffer();
            if (replies == Replies.NAMED) {
                body.writeCharSequence(name + " " + req.uri(), StandardCharsets.UTF_8);
            } else {
                body.writeCharSequence(head, StandardCharsets.UTF_8);
                body.writeByte('\n');
                body.writeBytes(req.content());
            }
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            r.headers().set("X-Echo-Server", name);
            r.headers().set("Keep-Alive", "timeout=5");
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            if (!keepAlive) r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            var w = ctx.writeAndFlush(r);
            if (!keepAlive) w.addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // e.g. the proxy cut a connection mid-request on purpose
        }

        /**
         * Accepts the handshake and sends a first text frame in the same write as the 101, so both reach the
         * proxy in one read: the frame bytes then follow the response inside the proxy's HTTP decoder.
         */
        private void greet(ChannelHandlerContext ctx, FullHttpRequest req) {
            handshakes.incrementAndGet();
            String key = req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
            String accept = WebSocketAccept.of(key);
            byte[] welcome = "welcome".getBytes(StandardCharsets.UTF_8);
            ByteBuf out = ctx.alloc().buffer();
            out.writeCharSequence("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n", StandardCharsets.US_ASCII);
            out.writeByte(0x81).writeByte(welcome.length).writeBytes(welcome);
            ChannelPipeline p = ctx.pipeline();
            p.remove("agg");
            p.remove("codec");
            p.addLast("ws-decoder", new io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder(true, false, 64 << 20));
            p.addLast("ws-encoder", new io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder(false));
            p.addLast("ws-agg", new WebSocketFrameAggregator(64 << 20));
            p.addLast("ws", new WsEcho(null));
            p.remove(this);
            ctx.writeAndFlush(out);
        }

        private void refuse(ChannelHandlerContext ctx, FullHttpRequest req, String how) {
            switch (how) {
                case "403" -> ctx.writeAndFlush(text(HttpResponseStatus.FORBIDDEN, "forbidden by " + name + "\n"));
                case "200" -> ctx.writeAndFlush(text(HttpResponseStatus.OK, "no websocket here, says " + name + "\n"));
                case "bad-accept" -> {
                    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
                    r.headers().set(HttpHeaderNames.UPGRADE, "websocket");
                    r.headers().set(HttpHeaderNames.CONNECTION, "Upgrade");
                    r.headers().set(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT, "dGhpcyBpcyB3cm9uZw==");
                    ctx.writeAndFlush(r);
                }
                default -> ctx.writeAndFlush(text(HttpResponseStatus.NOT_FOUND, "unknown refusal\n"));
            }
        }

        private void streamBytes(ChannelHandlerContext ctx, int n) {
            DefaultHttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            HttpUtil.setTransferEncodingChunked(r, true);
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
            ctx.write(r);
            int left = n;
            int i = 0;
            while (left > 0) {
                int k = Math.min(left, 16384);
                byte[] chunk = new byte[k];
                for (int j = 0; j < k; j++) chunk[j] = (byte) (i++ * 31);
                // One bulk write: under paranoid leak detection every single-byte access records a stack trace.
                ByteBuf b = ctx.alloc().buffer(k).writeBytes(chunk);
                ctx.write(new DefaultHttpContent(b));
                left -= k;
            }
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        }

        private String param(QueryStringDecoder q, String name, String dflt) {
            List<String> v = q.parameters().get(name);
            return v == null || v.isEmpty() ? dflt : v.get(0);
        }

        private FullHttpResponse text(HttpResponseStatus s, String t) {
            ByteBuf b = Unpooled.copiedBuffer(t, StandardCharsets.UTF_8);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, s, b);
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, b.readableBytes());
            return r;
        }
    }

    private final class WsEcho extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final WebSocketServerHandshaker hs;

        WsEcho(WebSocketServerHandshaker hs) {
            this.hs = hs;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof TextWebSocketFrame t) {
                String text = t.text();
                frames.add(text);
                if (text.startsWith("flood ")) {
                    flood(ctx, Long.parseLong(text.substring(6)));
                    return;
                }
                String reply = replies == Replies.NAMED ? name + "|" + text : text.equals("whoami") ? name : PREFIX + text;
                ctx.writeAndFlush(new TextWebSocketFrame(reply));
            } else if (frame instanceof BinaryWebSocketFrame b) {
                ctx.writeAndFlush(new BinaryWebSocketFrame(b.content().retain()));
            } else if (frame instanceof PingWebSocketFrame p) {
                ctx.writeAndFlush(new PongWebSocketFrame(p.content().retain()));
            } else if (frame instanceof CloseWebSocketFrame c) {
                frames.add("close " + c.statusCode());
                if (hs != null) hs.close(ctx.channel(), c.retain());
                else ctx.writeAndFlush(c.retain()).addListener(ChannelFutureListener.CLOSE);
            }
        }

        /**
         * Writes 64 KiB binary frames for as long as the channel is writable, up to {@code limit} bytes:
         * how much gets written while the client reads nothing shows whether anything on the way buffers.
         */
        private void flood(ChannelHandlerContext ctx, long limit) {
            byte[] chunk = new byte[64 * 1024];
            while (ctx.channel().isWritable() && flooded.get() < limit) {
                ctx.write(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(chunk)));
                flooded.addAndGet(chunk.length);
            }
            ctx.flush();
            if (flooded.get() < limit && ctx.channel().isActive())
                ctx.executor().schedule(() -> flood(ctx, limit), 5, TimeUnit.MILLISECONDS);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
