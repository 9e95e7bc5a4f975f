package io.switchyard.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;

/**
 * The floor under any proxy built on Netty's epoll transport: a TCP relay that parses nothing. Each accepted
 * connection gets one upstream connection on the same event loop (one loop in all), and every read is written to the
 * other side and flushed at the read's end; reading pauses while the other side cannot take more. No HTTP, no
 * routing, no timers, no checks: what it costs per message, request or handshake is what Netty's channels, pipeline
 * and system calls cost, which Switchyard's data plane pays too. {@code bench/processes.sh} runs it with
 * {@code TARGET=bare} beside Switchyard and nginx, so a gap can be split into Netty's part and Switchyard's own.
 * Not a proxy: the bytes of a WebSocket handshake or HTTP request simply pass to the echo upstream, which answers them.
 *
 * <pre>java -cp bench/target/switchyard-bench.jar io.switchyard.bench.BareRelay LISTEN_PORT UPSTREAM_PORT</pre>
 * Prints {@code ready} once listening on 127.0.0.1.
 */
public final class BareRelay {
    private BareRelay() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: BareRelay LISTEN_PORT UPSTREAM_PORT");
            System.exit(2);
        }
        Running relay = start(Integer.parseInt(args[0]), Integer.parseInt(args[1]));
        System.out.println("ready");
        System.out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(relay::close));
        Thread.currentThread().join();
    }

    /** A started relay: the port it listens on (127.0.0.1), and its stop. */
    public record Running(int port, EpollEventLoopGroup loop) implements AutoCloseable {
        @Override
        public void close() {
            loop.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Listens on 127.0.0.1:{@code listen} (0: any free port), relaying each connection to 127.0.0.1:{@code upstream}. */
    public static Running start(int listen, int upstream) throws InterruptedException {
        EpollEventLoopGroup loop = new EpollEventLoopGroup(1);
        Channel server = new ServerBootstrap().group(loop).channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel client) {
                        new Bootstrap().group(client.eventLoop()).channel(EpollSocketChannel.class)
                                .option(ChannelOption.AUTO_READ, false)
                                .handler(new ChannelInboundHandlerAdapter())
                                .connect("127.0.0.1", upstream)
                                .addListener((ChannelFutureListener) f -> {
                                    if (!f.isSuccess()) {
                                        client.close();
                                        return;
                                    }
                                    Channel up = f.channel();
                                    up.pipeline().addLast(new Pipe(client));
                                    client.pipeline().addLast(new Pipe(up));
                                    up.config().setAutoRead(true);
                                    client.config().setAutoRead(true);
                                });
                    }
                })
                .bind("127.0.0.1", listen).sync().channel();
        return new Running(((java.net.InetSocketAddress) server.localAddress()).getPort(), loop);
    }

    /** Relays what one side reads to the other; pauses reading while the other side is not writable. */
    private static final class Pipe extends ChannelInboundHandlerAdapter {
        private final Channel other;

        Pipe(Channel other) {
            this.other = other;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            other.write(msg, other.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            other.flush();
            if (!other.isWritable()) ctx.channel().config().setAutoRead(false);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // this side drained: let the other side read again
            if (ctx.channel().isWritable()) other.config().setAutoRead(true);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            other.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
