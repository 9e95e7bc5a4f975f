package io.switchyard.dataplane;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Passing listening sockets from a running process to its successor over a Unix socket in the state directory, as
 * HAProxy ({@code expose-fd listeners}) and Envoy (hot restart) do. The descriptors travel as {@code SCM_RIGHTS}, so
 * both processes hold the same kernel socket: its accept queue is never closed, and no connection waiting in it is
 * reset (plain {@code SO_REUSEPORT} would reset them when the old socket closes).
 *
 * <p>The exchange, in order: the successor connects and sends {@code TAKE}; the running process answers with the
 * descriptors of its listeners (plain, then TLS); the successor starts accepting on them and sends {@code GO}; the
 * running process stops accepting, stops writing its state, answers {@code RELEASED} and drains on its own. Only then
 * does the successor start writing state, so two processes never write the state file at once. Linux (epoll) only.
 */
public final class Handover {
    private static final Logger LOG = LoggerFactory.getLogger(Handover.class);
    private static final String TAKE = "TAKE\n";
    private static final String GO = "GO\n";
    private static final String RELEASED = "RELEASED\n";

    private Handover() {
    }

    /** The socket file in a state directory. */
    public static Path socketIn(Path stateDir) {
        return stateDir.resolve("handover.sock");
    }

    /** The running process's side; close it to stop offering. */
    public static final class Offer implements AutoCloseable {
        private final Channel server;
        private final Path path;

        private Offer(Channel server, Path path) {
            this.server = server;
            this.path = path;
        }

        @Override
        public void close() {
            server.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            try {
                Files.deleteIfExists(path);
            } catch (IOException ignored) {
                // a stale file is replaced by the next offer
            }
        }
    }

    /**
     * Offers the descriptors {@code fds} supplies (plain listener first, then TLS) on {@code path}. When a successor
     * has taken them and says {@code GO}, {@code release} runs (stop accepting, stop writing state; it may block),
     * then the successor is told {@code RELEASED} and {@code afterRelease} runs on a thread of its own (the drain).
     */
    public static Offer offer(EventLoopGroup group, Path path, Supplier<List<Integer>> fds, Runnable release, Runnable afterRelease) {
        try {
            Files.createDirectories(path.toAbsolutePath().getParent());
            Files.deleteIfExists(path); // a previous process's leftover; a live one answered nobody, or we would be it
        } catch (IOException e) {
            throw new IllegalStateException("handover socket " + path + ": " + e.getMessage(), e);
        }
        Channel server = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            private final StringBuilder got = new StringBuilder();
                            private boolean sent;

                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                try {
                                    if (msg instanceof ByteBuf b) got.append(b.toString(StandardCharsets.US_ASCII));
                                } finally {
                                    ReferenceCountUtil.release(msg);
                                }
                                if (!sent && got.toString().startsWith(TAKE)) {
                                    sent = true;
                                    got.delete(0, TAKE.length());
                                    List<Integer> list = fds.get();
                                    LOG.info("handover: a successor takes {} listening socket(s)", list.size());
                                    for (int fd : list) ctx.write(new FileDescriptor(fd));
                                    ctx.flush();
                                }
                                if (sent && got.toString().startsWith(GO)) {
                                    got.setLength(0);
                                    // Off the event loop: releasing closes listeners and waits for the agent to stop.
                                    Thread t = new Thread(() -> {
                                        release.run();
                                        ctx.writeAndFlush(Unpooled.copiedBuffer(RELEASED, StandardCharsets.US_ASCII))
                                                .awaitUninterruptibly(2, TimeUnit.SECONDS);
                                        afterRelease.run();
                                    }, "switchyard-handover");
                                    t.start();
                                }
                            }
                        });
                    }
                }).bind(new DomainSocketAddress(path.toFile())).syncUninterruptibly().channel();
        return new Offer(server, path);
    }

    /** Descriptors taken from a running process; {@link #release()} tells it to stop accepting and drain. */
    public static final class Taken {
        private final Channel channel;
        private final List<Integer> fds;
        private final CompletableFuture<Void> released;

        private Taken(Channel channel, List<Integer> fds, CompletableFuture<Void> released) {
            this.channel = channel;
            this.fds = fds;
            this.released = released;
        }

        public List<Integer> fds() {
            return fds;
        }

        /** Sends {@code GO} and waits until the old process stopped accepting and writing state. */
        public void release(Duration timeout) {
            channel.config().setOption(EpollChannelOption.DOMAIN_SOCKET_READ_MODE, DomainSocketReadMode.BYTES);
            channel.writeAndFlush(Unpooled.copiedBuffer(GO, StandardCharsets.US_ASCII));
            try {
                released.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("handover: the running process did not release its listeners within " + timeout, e);
            } finally {
                channel.close();
            }
        }
    }

    /**
     * Takes {@code expected} listening descriptors from the process offering them on {@code path}; null when no process
     * offers (no socket file, or nobody answering: start normally).
     *
     * @throws IllegalStateException when a process answers with another number of listeners (different flags)
     */
    public static Taken take(EventLoopGroup group, Path path, int expected, Duration timeout) {
        if (!Files.exists(path)) return null;
        List<Integer> fds = new ArrayList<>();
        CompletableFuture<List<Integer>> all = new CompletableFuture<>();
        CompletableFuture<Void> released = new CompletableFuture<>();
        Channel ch;
        try {
            ch = new Bootstrap().group(group).channel(EpollDomainSocketChannel.class)
                    .option(EpollChannelOption.DOMAIN_SOCKET_READ_MODE, DomainSocketReadMode.FILE_DESCRIPTORS)
                    .handler(new ChannelInboundHandlerAdapter() {
                        private final StringBuilder got = new StringBuilder();

                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            if (msg instanceof FileDescriptor fd) {
                                fds.add(fd.intValue());
                                if (fds.size() == expected) all.complete(List.copyOf(fds));
                                return;
                            }
                            try {
                                if (msg instanceof ByteBuf b) got.append(b.toString(StandardCharsets.US_ASCII));
                            } finally {
                                ReferenceCountUtil.release(msg);
                            }
                            if (got.toString().startsWith(RELEASED)) released.complete(null);
                        }

                        @Override
                        public void channelInactive(ChannelHandlerContext ctx) {
                            all.completeExceptionally(new IOException("the running process closed the handover socket"));
                            released.completeExceptionally(new IOException("the running process closed the handover socket"));
                        }
                    }).connect(new DomainSocketAddress(path.toFile())).syncUninterruptibly().channel();
        } catch (Exception e) {
            LOG.info("handover: nobody offers listeners on {} ({}); starting normally", path, e.getMessage());
            return null;
        }
        ch.writeAndFlush(Unpooled.copiedBuffer(TAKE, StandardCharsets.US_ASCII));
        try {
            List<Integer> got = all.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new Taken(ch, got, released);
        } catch (Exception e) {
            ch.close();
            throw new IllegalStateException("handover: expected " + expected + " listening socket(s) from the running process, got "
                    + fds.size() + " (are both started with the same --listen/--tls-listen?)", e);
        }
    }
}
