package io.switchyard.nginximport;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.switchyard.testkit.RawHttp;
import io.switchyard.testkit.TestCerts;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The differential test's clients: HTTP/1.1 over a plain or TLS socket (so the test picks the Host
 * header and the SNI name freely), and Netty's WebSocket client with a chosen Host. Both trust any
 * certificate: the test compares proxies, not certificate chains. HTTP goes through the test kit's raw client.
 */
final class Clients implements AutoCloseable {
    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final SslContext nettyTls;
    private final SSLContext jdkTls;

    Clients() throws IOException {
        nettyTls = SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        jdkTls = TestCerts.trustingAll();
    }

    /** The outcome of one request: the status (0 when the connection failed) and, for WebSockets, the whoami answer. */
    record Answer(int status, String body) {
    }

    /** {@code GET path} with {@code Host: host} and {@code Connection: close}; over TLS with SNI {@code host} when {@code tls}. */
    Answer get(InetSocketAddress to, boolean tls, String host, String path, Map<String, String> headers) throws IOException {
        Socket s;
        if (tls) {
            SSLSocket ssl = (SSLSocket) jdkTls.getSocketFactory().createSocket();
            SSLParameters p = ssl.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(host)));
            ssl.setSSLParameters(p);
            s = ssl;
        } else {
            s = new Socket();
        }
        s.connect(to, 5000);
        try (RawHttp http = new RawHttp(s)) {
            StringBuilder req = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n");
            headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
            req.append("\r\n");
            RawHttp.Response r;
            try {
                r = http.send(req.toString()).read();
            } catch (IOException closedWithoutAnswer) {
                return new Answer(0, String.valueOf(closedWithoutAnswer.getMessage()));
            }
            return new Answer(r.status(), r.text());
        }
    }

    /**
     * A WebSocket handshake for {@code path} with {@code Host: host}; when it succeeds, sends {@code whoami}
     * and returns the answer as the body (status 101). A refused handshake returns the status the proxy answered.
     */
    Answer websocket(InetSocketAddress to, boolean tls, String host, String path) throws Exception {
        URI uri = new URI((tls ? "wss" : "ws") + "://" + to.getHostString() + ":" + to.getPort() + path);
        WebSocketClientHandshaker hs = WebSocketClientHandshakerFactory.newHandshaker(uri, WebSocketVersion.V13, null, false,
                new DefaultHttpHeaders().set(HttpHeaderNames.HOST, host));
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        if (tls) c.pipeline().addLast(nettyTls.newHandler(c.alloc(), host, to.getPort()));
                        c.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 16), new SimpleChannelInboundHandler<Object>() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) throws Exception {
                                super.channelActive(ctx);
                                hs.handshake(ctx.channel());
                            }

                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
                                if (!hs.isHandshakeComplete() && msg instanceof FullHttpResponse r) {
                                    if (r.status().code() != 101) {
                                        answer.complete(new Answer(r.status().code(), r.content().toString(StandardCharsets.UTF_8)));
                                        ctx.close();
                                        return;
                                    }
                                    hs.finishHandshake(ctx.channel(), r);
                                    ctx.writeAndFlush(new TextWebSocketFrame("whoami"));
                                } else if (msg instanceof TextWebSocketFrame t) {
                                    answer.complete(new Answer(101, t.text()));
                                    ctx.writeAndFlush(new CloseWebSocketFrame(1000, "bye"));
                                }
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                answer.complete(new Answer(0, "closed"));
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                answer.complete(new Answer(0, cause.toString()));
                                ctx.close();
                            }
                        });
                    }
                })
                .connect(to).syncUninterruptibly().channel();
        try {
            return answer.get(15, TimeUnit.SECONDS);
        } finally {
            ch.close().syncUninterruptibly();
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
