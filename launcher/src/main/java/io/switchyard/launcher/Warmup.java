package io.switchyard.launcher;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.switchyard.config.ConfigCodec;
import io.switchyard.config.Snapshot;
import io.switchyard.dataplane.DataPlane;
import io.switchyard.dataplane.DataPlaneSettings;
import io.switchyard.dataplane.Handover;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Start-up warm-up: before the real listeners open, drives HTTP keep-alive requests, WebSocket handshakes and echoed
 * messages through a throw-away data plane on loopback (to a small upstream in this process), so that the JIT compiles
 * the proxy's hot paths before the first client arrives. The clients and the upstream are non-blocking and share one
 * event loop: on a process pinned to one core the proxy, not the warm-up's own traffic, gets most of the time, and
 * the hot paths pass the compiler's thresholds within the budget (blocking clients on threads of their own reached a
 * tenth of the volume in the same time, and the first real load then paid for the compilation). Set by the system property {@code switchyard.warmup} (a
 * duration such as {@code 3s} or {@code 500ms}; {@code 0} or absent: none); {@code dist/jvm.options} sets it. It never
 * stops a start: a failure is logged and the process goes on.
 */
final class Warmup {
    static final String PROPERTY = "switchyard.warmup";
    private static final Logger LOG = LoggerFactory.getLogger("switchyard.warmup");
    /**
     * Keep-alive connections sending one request after the other: more than a load generator's 64, so that the upstream
     * pool keeps as many idle connections per target as a real load makes it keep (its queue grows past its first size).
     */
    private static final int HTTP_CONNECTIONS = 72;
    /** Tunnels echoing messages of each size in turn, {@link #MESSAGES_PER_TUNNEL} per tunnel, then a new one. */
    private static final int ECHO_CONNECTIONS = 4;
    /** Loops of connect, upgrade, close frame, wait for the close: the handshake path on its own. */
    private static final int HANDSHAKE_LOOPS = 1;
    private static final int MESSAGES_PER_TUNNEL = 200;
    /** Sizes of the echoed messages in turn: mostly small, a large one now and then. */
    private static final int[] MESSAGE_SIZES = {32, 1024, 32, 1024, 32, 1024, 32, 16384};
    /** Routes of the throw-away configuration: lookups in a table, not the one-entry shortcut. */
    private static final int ROUTES = 10;
    /**
     * Every this many requests (of all connections) a keep-alive connection, every other echo tunnel after its messages and
     * every {@link #HANDSHAKE_ABORT_EVERY}th handshake-loop tunnel leaves as a load generator's clients do at the end of
     * its run: with a request or message in flight, by a plain close or by a reset
     * (closed with the answer unread). The proxy's paths for a client gone mid-exchange (a read or write error, an
     * answer for a closed connection, a timer removed twice, a pooled connection dropped) then get compiled with the rest.
     * Without them the compiled hot paths had never seen those branches: the first time a load ended, the JIT threw away
     * the event loop's compiled code (measured: 24 methods made not entrant at once, among them the event loop's
     * {@code processReady}) and compiled it again under the next load, on the core that serves it.
     */
    private static final int ABORT_EVERY = 50;
    private static final int HANDSHAKE_ABORT_EVERY = 16;
    /**
     * Every fourth echo tunnel, instead of leaving with a message in flight, leaves so that the proxy finds the client gone
     * and an answer for it from the upstream in the same turn of its event loop, in that order (see {@link HeldAnswer}):
     * a load generator's 64 connections closing together with messages in flight do that, and the tunnel's relay had
     * never seen a write toward a side that closed a moment before: the JIT threw its compiled code away at the end of a
     * load and compiled it again under the next one, on the core that serves. The first such tunnel leaves after one
     * message of each size (early, so that even a short warm-up has one), the others after their messages. More of them
     * (every fourth tunnel cut short) was tried: many more handshakes in the warm-up, and in some processes the first
     * real load then paid for dozens of C2 compilations (bench/PROFILE.md).
     */
    private static final int ANSWER_AFTER_CLOSE_EVERY = 4;
    /**
     * Every this many requests (the first half-way), a keep-alive connection does the same with a request (see
     * {@link HeldAnswer}): its answer reaches the proxy in the turn that finds the client gone, and the proxy meets a
     * client connection already closed where it would send a whole answer. Without it, the first load to end threw away
     * the compiled response path (an unstable branch in the check that nothing waits to go to the client) and compiled
     * it again under the next load. As often as the other leaves ({@link #ABORT_EVERY}) was tried first: a thousand
     * more reconnections in a warm-up, for a branch that needs to be seen only now and then.
     */
    private static final int REQUEST_AFTER_CLOSE_EVERY = 10 * ABORT_EVERY;

    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong handshakes = new AtomicLong();
    private final AtomicLong messages = new AtomicLong();
    private final AtomicLong aborts = new AtomicLong();
    private final AtomicLong scrapes = new AtomicLong();
    private final AtomicLong answersAfterClose = new AtomicLong();
    private final AtomicLong requestsAnsweredAfterClose = new AtomicLong();
    /** Requests the proxy answered itself: no route (404), a CORS preflight (204) or one it refused (403). */
    private final AtomicLong localAnswers = new AtomicLong();
    /** Keep-alive connections the upstream closed after an answer (see {@link #UPSTREAM_CLOSE_EVERY}). */
    private final AtomicLong upstreamCloses = new AtomicLong();
    private volatile int port;

    /** The access log format the warm-up's data plane writes to /dev/null, or null for none. */
    private final String logFormat;
    private final String logTo;

    private Warmup(String logFormat, String logTo) {
        this.logFormat = logFormat;
        this.logTo = logTo;
    }

    /**
     * What a warm-up proxied and how many snapshots it applied, the loopback port its data plane listened on (closed
     * when it returns), and what stopped it early (null: it ran until compiled or to its budget).
     */
    record Result(long requests, long handshakes, long messages, long aborts, long answersAfterClose,
                  long requestsAnsweredAfterClose, long localAnswers, long upstreamCloses, long snapshots, long scrapes,
                  long listens, int port, String stoppedBy) {
    }

    /** Runs the warm-up the system property asks for; null when it asks for none (or is not a duration). */
    static Result fromProperty() {
        return fromProperty(null);
    }

    /**
     * As {@link #fromProperty()}, with the process's access log: when it is on ({@code logFormat} "text" or "json"), the
     * warm-up's data plane writes its lines in that format to {@code /dev/null}, so that formatting and writing them are
     * compiled with the rest (measured: with the log on and the warm-up's log off, the JIT was still compiling the
     * formatting 25 s after start, a third of the core). Null: the log is off.
     */
    static Result fromProperty(String logFormat) {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank() || v.trim().equals("0")) return null;
        Duration d;
        try {
            d = new DurationConverter().convert(v.trim());
        } catch (Exception e) {
            LOG.warn("-D{}={}: not a duration (e.g. 3s, 500ms); no warm-up", PROPERTY, v);
            return null;
        }
        if (d.isZero() || d.isNegative()) return null;
        return run(d, logFormat != null && new java.io.File("/dev/null").canWrite() ? logFormat : null, "/dev/null");
    }

    /**
     * Drives traffic through a loopback data plane until the JIT has compiled it, for at most {@code budget}; a failure
     * stops it early and is logged.
     */
    static Result run(Duration budget) {
        return run(budget, null, null);
    }

    /** @param logTo where the warm-up's data plane writes its access log when {@code logFormat} is not null */
    static Result run(Duration budget, String logFormat, String logTo) {
        Warmup w = new Warmup(logFormat, logTo);
        long t0 = System.nanoTime();
        String stoppedBy = null;
        try {
            w.drive(budget);
            loopStarts(LOOP_STARTS);
            // A second, short round on a fresh data plane and event loop: the first round's end (its loop shut down, its
            // channels closed from another thread) and a fresh plane's start (a new thread, pool and table used for the
            // first time) take branches the compiled code had not seen, and the JIT throws that code away. Without this
            // round that happened as the real data plane started, and the first seconds of real traffic paid for the
            // recompilation; now it happens here, and the recompiled code has seen both.
            w.drive(SECOND_ROUND.compareTo(budget) < 0 ? SECOND_ROUND : budget);
        } catch (Exception e) {
            stoppedBy = Main.oneLine(e);
            LOG.warn("start-up warm-up stopped early: {}", stoppedBy);
        }
        long traffic = (System.nanoTime() - t0) / 1_000_000;
        // The JIT goes on compiling what the traffic made hot: let it finish before serving, so the first clients
        // meet compiled code. Its freed work memory goes back to the OS in the background (-XX:TrimNativeHeapInterval)
        // while the process serves: start-up does not wait for it.
        awaitQuietCompiler(JIT_QUIET_MAX);
        // What the warm-up allocated is garbage now: collect it so the heap starts small.
        System.gc();
        LOG.info("start-up warm-up done in {} ms ({} ms of traffic): {} HTTP requests, {} WebSocket handshakes, {} messages, {} clients left mid-exchange ({} tunnels and {} requests with an answer on its way), {} answered by the proxy itself, {} upstream connections closed by the upstream, {} snapshots applied, {} status pages, {} listeners opened",
                (System.nanoTime() - t0) / 1_000_000, traffic, w.requests.get(), w.handshakes.get(), w.messages.get(), w.aborts.get(),
                w.answersAfterClose.get(), w.requestsAnsweredAfterClose.get(), w.localAnswers.get(), w.upstreamCloses.get(),
                w.snapshots.get(), w.scrapes.get(), w.listens.get());
        return new Result(w.requests.get(), w.handshakes.get(), w.messages.get(), w.aborts.get(), w.answersAfterClose.get(),
                w.requestsAnsweredAfterClose.get(), w.localAnswers.get(), w.upstreamCloses.get(), w.snapshots.get(), w.scrapes.get(),
                w.listens.get(), w.port, stoppedBy);
    }

    /**
     * Event loops started between the rounds, each making one gathering write (two buffers in one flush) on a
     * connection of its own and shut down. A fresh event loop's first gathering write finds its vector of buffers not
     * yet made, a branch the compiled flush path had never taken (the warm-up's loops were made once): the real data
     * plane's first answer, often a readiness check, threw the compiled flush path away and the first second of traffic
     * paid for recompiling it. Taken this often, the branch is compiled in ({@code -XX:+LogCompilation}: no trap there
     * after the first answer).
     */
    static final int LOOP_STARTS = 40;

    /** @return the bytes the sink received: each loop's two buffers, {@link #LOOP_WRITE} bytes in all */
    static long loopStarts(int n) throws InterruptedException {
        AtomicLong received = new AtomicLong();
        CountDownLatch drained = new CountDownLatch(n); // one per connection the sink read to its end
        EventLoopGroup sinkGroup = newLoop("switchyard-warmup-sink");
        try {
            Channel sink = new ServerBootstrap().group(sinkGroup).channel(listenerClass())
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    received.addAndGet(((ByteBuf) msg).readableBytes());
                                    ((ByteBuf) msg).release();
                                }

                                @Override
                                public void channelInactive(ChannelHandlerContext ctx) {
                                    drained.countDown();
                                }
                            });
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            for (int i = 0; i < n; i++) {
                EventLoopGroup g = newLoop("switchyard-warmup-loop");
                try {
                    Channel ch = new Bootstrap().group(g).channel(connectionClass())
                            .handler(new ChannelInboundHandlerAdapter())
                            .connect(sink.localAddress()).sync().channel();
                    ch.write(ascii(LOOP_WRITE_HEAD));
                    ch.writeAndFlush(ascii(LOOP_WRITE_REST)).sync();
                    ch.close().sync();
                } finally {
                    g.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).sync();
                }
            }
            // The last connections' bytes and ends may still be on their way to the sink (the count is the test's).
            drained.await(1, TimeUnit.SECONDS);
            sink.close().sync();
        } finally {
            sinkGroup.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).sync();
        }
        return received.get();
    }

    private static final String LOOP_WRITE_HEAD = "GET / HTTP/1.1\r\n";
    private static final String LOOP_WRITE_REST = "Host: warmup\r\n\r\n";
    static final int LOOP_WRITE = LOOP_WRITE_HEAD.length() + LOOP_WRITE_REST.length();

    /** The transport a node uses here: native epoll when the platform has it (the data plane's choice), else NIO. */
    private static final boolean EPOLL = Epoll.isAvailable();

    /** One event loop of that transport, its thread a daemon named {@code name}. */
    private static EventLoopGroup newLoop(String name) {
        DefaultThreadFactory threads = new DefaultThreadFactory(name, true);
        return EPOLL ? new EpollEventLoopGroup(1, threads) : new NioEventLoopGroup(1, threads);
    }

    private static Class<? extends ServerChannel> listenerClass() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    private static Class<? extends SocketChannel> connectionClass() {
        return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /** A listener's child pipeline with nothing in it (the listeners opened briefly take no connection). */
    private static final ChannelInitializer<Channel> NOTHING = new ChannelInitializer<>() {
        @Override
        protected void initChannel(Channel ch) {
        }
    };

    private static final Duration JIT_QUIET_MAX = Duration.ofSeconds(5);
    /** The second round's budget: at least a second of traffic, then until the JIT is quiet (as the first). */
    private static final Duration SECOND_ROUND = Duration.ofSeconds(3);

    /**
     * Returns once the compilers were idle for 400 ms (their work, {@link #compilerClock}, moved by at most a clock tick
     * of 10 ms per 200 ms), or after {@code max}.
     */
    static void awaitQuietCompiler(Duration max) {
        java.util.function.LongSupplier clock = compilerClock();
        if (clock == null) return;
        long deadline = System.nanoTime() + max.toNanos();
        long last = clock.getAsLong();
        int still = 0;
        try {
            while (still < 2 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                long now = clock.getAsLong();
                still = now - last <= 10 ? still + 1 : 0;
                last = now;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    /** Changes between two listeners opened and closed during the traffic (see {@link #listenBriefly}). */
    static final int LISTEN_EVERY = 10;
    private final AtomicLong listens = new AtomicLong();

    /**
     * Opens and closes a TCP listener and, with epoll, a Unix-socket one (in {@code dir}) on {@code group}, as a node's
     * start opens its listener, status listener and hand-over offer. A listener starting to read goes through the same
     * compiled code as every connection asking for its next read; compiled while only connections did, that code met
     * the real plane's listeners as classes it had never seen and was thrown away at the real start
     * ({@code -XX:+LogCompilation}: class checks in {@code AbstractEpollChannel.modifyEvents} and
     * {@code AbstractChannelHandlerContext.executor}).
     */
    private void listenBriefly(EventLoopGroup group, Path dir, long v) {
        Channel tcp = new ServerBootstrap().group(group).channel(listenerClass()).childHandler(NOTHING).bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
        tcp.close().syncUninterruptibly();
        if (EPOLL && dir != null) {
            Path socket = dir.resolve("listen-" + v + ".sock");
            Channel unix = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                    .childHandler(NOTHING).bind(new DomainSocketAddress(socket.toFile()))
                    .syncUninterruptibly().channel();
            unix.close().syncUninterruptibly();
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        listens.incrementAndGet();
    }

    private void drive(Duration budget) throws Exception {
        EventLoopGroup group = newLoop("switchyard-warmup-loop");
        held.client = null; // a round's end can leave a wait unfinished (its loop shut down)
        DataPlane plane = null;
        Path handoverDir = null;
        Handover.Offer offer = null;
        try {
            Channel upstream = new ServerBootstrap().group(group).channel(listenerClass())
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new Upstream());
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            int upstreamPort = ((InetSocketAddress) upstream.localAddress()).getPort();
            // With a status listener, as every node has: its handlers are classes of their own on the same event loop.
            plane = DataPlane.create(new DataPlaneSettings(new InetSocketAddress("127.0.0.1", 0), null,
                    new InetSocketAddress("127.0.0.1", 0), "warm-up", 1,
                    Duration.ZERO).withAccessLog(logFormat == null ? "off" : logTo, logFormat == null ? "text" : logFormat));
            plane.logApplies(false);
            plane.apply(new Snapshot(0, ConfigCodec.readConfig(document(upstreamPort, 0))));
            plane.listen();
            // A node offers a hand-over on its state directory once it serves (a Unix socket on its event loop); so does
            // the warm-up's plane, before its traffic: the offer is a channel class of its own, and registering it after
            // the JIT had compiled the traffic's paths for the TCP channels alone threw their compiled code away in the
            // first second of real load (measured: eight compiled methods at once, the event loop's among them).
            handoverDir = EPOLL ? Files.createTempDirectory("switchyard-warmup") : null;
            offer = handoverDir == null ? null
                    : plane.offerHandover(Handover.socketIn(handoverDir), () -> { }, DataPlane.DrainTunnels.CLOSE, () -> { });
            int port = plane.listenAddress().getPort();
            this.port = port;
            Bootstrap client = new Bootstrap().group(group)
                    .channel(connectionClass())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .remoteAddress(new InetSocketAddress("127.0.0.1", port));
            long start = System.nanoTime();
            stopAt = start + budget.toNanos();
            CountDownLatch loops = new CountDownLatch(HTTP_CONNECTIONS + ECHO_CONNECTIONS + HANDSHAKE_LOOPS);
            int n = 0;
            for (int i = 0; i < HTTP_CONNECTIONS; i++) open(client, Kind.HTTP, n++, loops);
            for (int i = 0; i < ECHO_CONNECTIONS; i++) open(client, Kind.ECHO, n++, loops);
            for (int i = 0; i < HANDSHAKE_LOOPS; i++) open(client, Kind.HANDSHAKE, n++, loops);
            // Configuration changes during the traffic, as a control plane pushes them: the decode, compile and swap of a
            // snapshot get compiled too (cold, one costs milliseconds of CPU, on the core that serves).
            DataPlane swapped = plane;
            InetSocketAddress status = plane.statusAddress();
            Path handoverDirFinal = handoverDir;
            Thread changes = new Thread(() -> {
                try {
                    for (long v = 1; System.nanoTime() - stopAt < 0 && failure.get() == null; v++) {
                        swapped.apply(new Snapshot(v, ConfigCodec.readConfig(document(upstreamPort, v))));
                        snapshots.incrementAndGet();
                        handOver(group);
                        if (v % SCRAPE_EVERY == 0) {
                            scrape(status, STATUS_PATHS[(int) (v / SCRAPE_EVERY % STATUS_PATHS.length)]);
                            scrapes.incrementAndGet();
                        }
                        if (v % LISTEN_EVERY == 0) listenBriefly(group, handoverDirFinal, v);
                        Thread.sleep(CHANGE_EVERY_MS);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException | IOException e) {
                    failure.compareAndSet(null, e);
                }
            }, "switchyard-warmup-changes");
            changes.setDaemon(true);
            changes.start();
            stopWhenCompiled(start, loops);
            boolean finished = loops.await(10_000, TimeUnit.MILLISECONDS);
            changes.join(5000);
            Throwable f = failure.get();
            if (f instanceof Exception e) throw e;
            if (f != null) throw new IOException(f);
            if (!finished) throw new IOException("warm-up connections did not finish within 10 s of the end of the traffic");
            upstream.close().sync();
        } finally {
            if (offer != null) offer.close();
            if (handoverDir != null) Files.deleteIfExists(handoverDir);
            if (plane != null) plane.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /**
     * Lets the traffic run until the JIT has compiled what it makes hot, or until the budget ends: the traffic stops
     * once the compilers spent less than a tenth of the last second compiling (after at least a second of traffic).
     * Measured on this project's two-core machine: compilation takes 250 to 370 ms of every 250 ms (two compiler
     * threads) for the first 4 to 5 s, falls to about 50 ms, then trickles under 30 ms; the rule stops the traffic at
     * about 7 s there. A process pinned to one core (the compilers share it with the proxy and the warm-up's own
     * clients) takes longer, up to the budget.
     *
     * <p>What the compilers spent is their threads' CPU time where the system says it ({@link #compilerCpuMillis}): the
     * JVM's own total counts a compilation only once it has finished, so a second in which one long C2 compilation ran
     * (hundreds of milliseconds on a shared core, with the rest of the queue waiting behind it) read as quiet, and the
     * traffic stopped with the hot paths still at the first tier (measured: 14 s of traffic instead of the budget's 18,
     * and the cold load then paid for 180 to 230 compilations, against 50 to 70).
     */
    private void stopWhenCompiled(long start, CountDownLatch loops) throws InterruptedException {
        java.util.function.LongSupplier clock = compilerClock();
        long[] window = new long[STEPS_PER_SECOND];
        long last = clock == null ? 0 : clock.getAsLong();
        int step = 0;
        while (!loops.await(1000 / STEPS_PER_SECOND, TimeUnit.MILLISECONDS)) {
            long now = System.nanoTime();
            if (now - stopAt >= 0) return; // the budget is over: the loops are stopping
            if (clock == null) continue;
            long total = clock.getAsLong();
            // A compiler thread that exits takes its time out of the sum: that step counts as none, not as less.
            window[step++ % STEPS_PER_SECOND] = Math.max(0, total - last);
            last = total;
            long lastSecond = 0;
            for (long ms : window) lastSecond += ms;
            if (step >= STEPS_PER_SECOND && lastSecond < QUIET_JIT_MS_PER_SECOND) {
                stopAt = now;
                return;
            }
        }
    }

    /**
     * The compilers' work so far, in ms: their threads' CPU time ({@link #compilerCpuMillis}) where the system says it,
     * else the JVM's total compilation time (which counts a compilation only once it finished); null where neither can
     * be read.
     */
    private static java.util.function.LongSupplier compilerClock() {
        if (compilerCpuMillis() >= 0) return Warmup::compilerCpuMillis;
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit::getTotalCompilationTime : null;
    }

    /**
     * CPU time (user and system, in ms) the JIT's compiler threads have used so far, summed from
     * {@code /proc/self/task} (Linux: thread names {@code C1 CompilerThre...} and {@code C2 CompilerThre...}, times in
     * clock ticks of 10 ms); -1 where that cannot be read.
     */
    static long compilerCpuMillis() {
        try (java.nio.file.DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            long ticks = 0;
            boolean found = false;
            for (Path t : tasks) {
                String stat;
                try {
                    stat = Files.readString(t.resolve("stat"), StandardCharsets.US_ASCII);
                } catch (IOException gone) {
                    continue; // the thread exited
                }
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                String name = stat.substring(open + 1, close);
                if (!name.startsWith("C1 CompilerThre") && !name.startsWith("C2 CompilerThre")) continue;
                String[] f = stat.substring(close + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime and stime, fields 14 and 15 of stat
                found = true;
            }
            return found ? ticks * 10 : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static final int STEPS_PER_SECOND = 4;
    /** Compilation below this many ms in the last second: the traffic's hot paths are compiled. */
    private static final long QUIET_JIT_MS_PER_SECOND = 100;

    /** When the clients stop (System.nanoTime); set when the budget starts, moved earlier once the JIT is done. */
    private volatile long stopAt;

    private static final long CHANGE_EVERY_MS = 20;
    /**
     * Every this many changes (100 ms) the status listener is asked for one of its pages in turn, as a monitor and a
     * readiness probe ask a node's from its first second: its handlers are classes of their own that Netty's shared
     * pipeline code dispatches to, on the event loop that serves, so they belong in the profile the JIT compiles from.
     */
    private static final int SCRAPE_EVERY = 5;
    private static final String[] STATUS_PATHS = {"/metrics", "/ready", "/status"};

    /** One GET on a connection of its own, answer read to its end, from the changes thread (blocking, as a monitor). */
    private static void scrape(InetSocketAddress status, String path) throws IOException {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(status, 2000);
            s.setSoTimeout(2000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] head = s.getInputStream().readAllBytes();
            boolean ok = head.length >= 12 && (head[9] == '2' || path.equals("/ready") && head[9] == '5'); // 503 until it serves
            if (!ok)
                throw new IOException("warm-up status " + path + " answered " + new String(head, 0, Math.min(head.length, 40), StandardCharsets.US_ASCII));
        }
    }

    /** Tasks handed to an event loop at once from another thread, more than the 64 it runs between two clock reads. */
    private static final int TASKS_AT_ONCE = 100;

    /**
     * Hands a batch of empty tasks to the event loop from another thread, as a control plane's change, a shutdown or
     * the end of a load (every closed connection queues its deregistration) do: the loop woken through its event file
     * descriptor and a task queue longer than one batch. The warm-up's own traffic never queues tasks from outside, and
     * the compiled event loop was thrown away the first time a real load's 64 connections closed at once.
     */
    private static void handOver(EventLoopGroup group) {
        io.netty.channel.EventLoop loop = group.next();
        for (int i = 0; i < TASKS_AT_ONCE; i++) loop.execute(() -> { });
    }

    private final AtomicLong snapshots = new AtomicLong();

    /**
     * The throw-away configuration: {@link #ROUTES} routes the traffic uses, and one whose prefix each change moves. The
     * routes take the settings real configurations take ({@link #ROUTE_SETTINGS}); two more give a host a root route and
     * put a key in the path table whose hash and length equal another path's ({@code Aa} and {@code BB} hash alike).
     */
    private static byte[] document(int upstreamPort, long change) {
        StringBuilder doc = new StringBuilder("{").append(TIMEOUTS[(int) (change % TIMEOUTS.length)])
                .append("\"upstreams\":[{\"name\":\"warmup\",\"balance\":\"").append(BALANCES[(int) (change % BALANCES.length)])
                .append("\",\"targets\":[{\"address\":\"127.0.0.1:")
                .append(upstreamPort).append("\"}]}],\"routes\":[");
        for (int i = 0; i < ROUTES; i++) {
            doc.append("{\"name\":\"warmup").append(i).append("\",\"path_prefix\":\"/warmup").append(i)
                    .append("/\",\"upstream\":\"warmup\"")
                    // Every other change has no wildcard host at all, as most configurations: the host lookup skips it then.
                    .append(i == WILDCARD_HOST_ROUTE && change % 2 == 1 ? "" : ROUTE_SETTINGS[i]).append("},");
        }
        doc.append("{\"name\":\"root\",\"hosts\":[\"").append(ROOT_HOST).append("\"],\"path_prefix\":\"/\",\"upstream\":\"warmup\"},");
        doc.append("{\"name\":\"collides\",\"path_prefix\":\"/warmup0/Aa\",\"upstream\":\"warmup\"},");
        doc.append("{\"name\":\"changed\",\"path_prefix\":\"/changed/").append(change).append("/\",\"upstream\":\"warmup\"}]}");
        return doc.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Route settings by route, as operators set them: the compiled request path branches on each (routing by exact and
     * by wildcard host, a path prefix taken off, the client's Host kept, slashes kept as sent, a CORS and WebSocket
     * origin policy), and a real configuration that used one the warm-up never did threw that path away at its first
     * request ({@code bench/traps.sh}: the host table's lookup, the prefix table's, the response head's CORS fields).
     */
    private static final String[] ROUTE_SETTINGS = {"",
            ",\"strip_prefix\":true",
            ",\"preserve_host\":true",
            ",\"merge_slashes\":false",
            ",\"origin\":{\"allow\":[\"https://*.warmup.test\",\"http://localhost:8080\"],\"credentials\":true,\"headers\":[\"X-Token\"]}",
            ",\"hosts\":[\"app.warmup.test\"]",
            ",\"hosts\":[\"*.warmup.test\"]",
            "", "", ""};
    /** The host whose root route takes every path sent to it (an exact host: before the wildcard above). */
    private static final String ROOT_HOST = "root.warmup.test";
    /** Routes of {@link #ROUTE_SETTINGS} that only a request for their host reaches. */
    private static final int EXACT_HOST_ROUTE = 5;
    private static final int WILDCARD_HOST_ROUTE = 6;
    private static final int ORIGIN_ROUTE = 4;

    /**
     * Timeouts in turn, from one change to the next: the defaults, and limits longer and shorter than them, as real
     * configurations set them (the timer code takes other branches when a limit is far off than when it is near). One
     * has a short connect limit: an upstream connection's one timer first fires at its connect deadline and then
     * re-checks whatever is armed by then, leased or idle in the pool. Under real load that first happens seconds after
     * the first connects (5 s with a 5 s limit), a path the warm-up's long-lived connections had not taken: the JIT threw
     * the timer code away then, in the middle of the bench's fixed-rate cells ({@code -XX:+LogCompilation}). A loopback
     * connect takes microseconds, far below the limit.
     */
    private static final String[] TIMEOUTS = {"",
            "\"timeouts\":{\"connect_ms\":5000,\"read_ms\":300000,\"send_ms\":300000},",
            "\"timeouts\":{\"connect_ms\":2000,\"read_ms\":20000,\"send_ms\":10000},",
            "\"timeouts\":{\"connect_ms\":500,\"read_ms\":60000,\"send_ms\":60000},"};

    /**
     * Balancing algorithms in turn, from one change to the next: a configuration's own (round robin, say) was a class the
     * compiled request path had never called when the warm-up used the default alone, and the first real request threw
     * that path away (a class check at the pick).
     */
    private static final String[] BALANCES = {"least_conn", "round_robin", "ip_hash"};

    /**
     * Request paths after a route's prefix, in turn: one segment, deeper than the deepest route (the prefix table's
     * lookup stops early), a query, segments no key has (probes that meet other keys), slashes and dot segments to
     * normalize (one that goes up a level), an escaped character, under {@code /warmup0} a segment whose prefix hashes like a route's key, and a
     * trailing slash (a directory's path, as real sites have).
     */
    private static final String[] TAILS = {"/hello", "/hello/a/b", "/x", "/hello?n=1", "/h7/i", "//hello", "/./hello",
            "/%68ello", "/BB/x", "/", "/hello/", "/a/bc/../hello"};
    /**
     * The warm-up's upstream closes the keep-alive connection of one answer in this many ({@code Upstream.closeSoon}):
     * without it the compiled code had never seen a pooled connection closed by its upstream, nor a loop's pool empty,
     * and a real node threw that code away the first time (a few seconds into real traffic with upstreams that close
     * idle connections).
     */
    private static final int UPSTREAM_CLOSE_EVERY = 200;
    /** One request in this many has a path no route takes (answered 404 by the proxy). */
    private static final int NOT_FOUND_EVERY = 37;

    private enum Kind { HTTP, ECHO, HANDSHAKE }

    /** Opens one client connection of a loop; the loop ends (counted down once) when a connection does not go on. */
    private void open(Bootstrap client, Kind kind, int index, CountDownLatch loops) {
        client.clone().handler(new Client(client, kind, index, loops)).connect().addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                failure.compareAndSet(null, f.cause());
                loops.countDown();
            }
        });
    }

    private static final ByteBuf CRLFCRLF = Unpooled.unreleasableBuffer(ascii("\r\n\r\n"));
    private static final ByteBuf CHUNKED_END = Unpooled.unreleasableBuffer(ascii("0\r\n\r\n"));

    /** Appends a read's bytes to a connection's buffer and releases them. */
    static void append(ByteBuf in, Object msg) {
        ByteBuf b = (ByteBuf) msg;
        try {
            in.writeBytes(b);
        } finally {
            b.release();
        }
    }

    /** The next complete head in {@code in} as text (its blank line taken too), or null while it is incomplete. */
    static String takeHead(ByteBuf in) {
        int end = ByteBufUtil.indexOf(CRLFCRLF, in);
        if (end < 0) return null;
        String head = in.toString(in.readerIndex(), end - in.readerIndex(), StandardCharsets.US_ASCII);
        in.readerIndex(end + CRLFCRLF.readableBytes());
        return head;
    }

    /**
     * The WebSocket frame at {@code in}'s reader index as {header length with the mask key, payload length}, or null
     * while it is incomplete (the warm-up's frames are under 64 KiB).
     */
    static int[] frameAt(ByteBuf in) throws IOException {
        if (in.readableBytes() < 2) return null;
        int b1 = in.getUnsignedByte(in.readerIndex() + 1);
        int len = b1 & 0x7f;
        int hdr = 2;
        if (len == 126) {
            if (in.readableBytes() < 4) return null;
            len = in.getUnsignedShort(in.readerIndex() + 2);
            hdr = 4;
        } else if (len == 127) {
            throw new IOException("warm-up frame of more than 64 KiB");
        }
        if ((b1 & 0x80) != 0) hdr += 4;
        return in.readableBytes() < hdr + len ? null : new int[] {hdr, len};
    }

    /**
     * A header's value in a head given as text (names compared without case), or null. Plain index arithmetic: the
     * warm-up's own parsing shares the core and the JIT with the proxy it warms (splitting each head on "\r\n" ran the
     * regex engine per head, which the JIT then compiled ahead of the proxy's own code).
     */
    static String header(String head, String name) {
        int at = 0;
        int n = head.length();
        while (at < n) {
            int eol = head.indexOf("\r\n", at);
            if (eol < 0) eol = n;
            int colon = head.indexOf(':', at);
            if (colon > at && colon < eol && head.regionMatches(true, at, name, 0, name.length())
                    && head.substring(at + name.length(), colon).isBlank()) {
                return head.substring(colon + 1, eol).trim();
            }
            at = eol + 2;
        }
        return null;
    }

    /** The first line of a head given as text. */
    static String firstLine(String head) {
        int eol = head.indexOf("\r\n");
        return eol < 0 ? head : head.substring(0, eol);
    }

    /** A client connection: HTTP keep-alive requests, or a WebSocket tunnel (echoed messages or only its handshake). */
    private final class Client extends ChannelInboundHandlerAdapter {
        private final Bootstrap bootstrap;
        private final Kind kind;
        private final int index;
        private final CountDownLatch loops;
        private ByteBuf in;
        /** 0: waiting for a response head (or the 101), 1: echoing, 2: our close frame sent. */
        private int state;
        private int sent;
        /** The status the request in flight is answered with. */
        private int expect = 200;
        private boolean goOn;
        /**
         * Leaving mid-exchange (see {@link #leave}): a read that still comes closes the connection with the answer unread,
         * and its close is expected, not a failure.
         */
        private boolean leaving;
        private Channel channel;

        Client(Bootstrap bootstrap, Kind kind, int index, CountDownLatch loops) {
            this.bootstrap = bootstrap;
            this.kind = kind;
            this.index = index;
            this.loops = loops;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            channel = ctx.channel();
            in = ctx.alloc().buffer(4096);
            if (kind == Kind.HTTP) {
                sendRequest(ctx);
            } else {
                int route = index % ROUTES;
                // A browser's handshake names its page's origin; the origin route's policy allows this one.
                ctx.writeAndFlush(ascii("GET /warmup" + route + "/ws HTTP/1.1\r\nHost: " + host(route, index) + "\r\n"
                        + (route == ORIGIN_ROUTE ? "Origin: https://chat.warmup.test\r\n" : "")
                        + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + newKey()
                        + "\r\nSec-WebSocket-Version: 13\r\n\r\n"));
            }
        }

        /**
         * The Host of the {@code n}th request for {@code route}: the routes bound to a host get theirs (in any case, with
         * or without a port); the others get, in turn, hosts without a port (a browser's on a default port), with a
         * trailing dot, bound to routes that do not have the path (the lookup falls through from the exact host to the
         * wildcard to the routes for any host), or with a root route that takes every path.
         */
        private String host(int route, int n) {
            if (route == EXACT_HOST_ROUTE) return n % 2 == 0 ? "app.warmup.test" : "APP.Warmup.Test:" + port;
            if (route == WILDCARD_HOST_ROUTE) return "t" + (n % 3) + ".warmup.test" + (n % 2 == 0 ? "" : ":" + port);
            return switch (n % 6) {
                case 0 -> "localhost";
                case 1 -> "App.Warmup.Test.";
                case 2 -> "t.warmup.test:" + port;
                case 3 -> route == ORIGIN_ROUTE ? "localhost:" + port : ROOT_HOST; // the root route has no origin policy
                default -> "127.0.0.1:" + port;
            };
        }

        /**
         * The fields a browser sends to a site it has cookies for, as {@code loadgen --browser} in bench/ does: long
         * names (hashed and compared past the short names' branches) and a Cookie line longer than a head parser's
         * first line array (which then grows), so real browsers' first requests meet compiled code.
         */
        private static final String BROWSER_FIELDS = "Connection: keep-alive\r\n"
                + "sec-ch-ua: \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\nsec-ch-ua-mobile: ?0\r\nsec-ch-ua-platform: \"Linux\"\r\n"
                + "Upgrade-Insecure-Requests: 1\r\n"
                + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n"
                + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n"
                + "Sec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-User: ?1\r\nSec-Fetch-Dest: document\r\n"
                + "Referer: http://warmup.test/\r\nAccept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US,en;q=0.9\r\n"
                + "Cookie: _ga=GA1.1.1234567890.1700000000; session=" + "s".repeat(160) + "; prefs=" + "p".repeat(120) + "\r\n\r\n";

        private void sendRequest(ChannelHandlerContext ctx) {
            int route = (index + sent) % ROUTES;
            String host = host(route, sent);
            String tail = TAILS[sent % TAILS.length];
            expect = 200;
            // Shapes as clients send them: a bare one (a load generator's); a browser's (BROWSER_FIELDS) and a shorter
            // one with more headers, both with a chunked answer from the upstream; the JDK's HttpClient's first request on a connection (an h2c upgrade
            // offer, whose Connection names another field, and Content-Length: 0 on a GET), which health checkers and
            // Java services send; one whose Connection names a field of its own and with a name the proxy holds back; and
            // curl's, end-to-end fields and no Connection at all (every field but Host then reaches the Connection check).
            // Paths of every depth and shape (TAILS), now and then one no route takes, and on the origin route a
            // browser's preflights and requests from its own and other origins.
            // A request path that real traffic takes and the warm-up did not throws away the compiled request path
            // at its first real use, and a node then recompiles it under load.
            String req;
            if (sent % NOT_FOUND_EVERY == NOT_FOUND_EVERY - 1) {
                expect = 404;
                req = "GET /nowhere" + tail + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUser-Agent: scanner\r\n\r\n";
            } else if (route == ORIGIN_ROUTE && sent % 5 < 4) {
                String path = "/warmup" + route + tail;
                req = switch (sent % 5) {
                    case 0 -> {
                        expect = 204;
                        yield "OPTIONS " + path + " HTTP/1.1\r\nHost: " + host + "\r\nOrigin: https://chat.warmup.test\r\n"
                                + "Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: x-token\r\n\r\n";
                    }
                    case 1 -> {
                        expect = 403;
                        yield "OPTIONS " + path + " HTTP/1.1\r\nHost: " + host + "\r\nOrigin: https://elsewhere.test\r\n"
                                + "Access-Control-Request-Method: DELETE\r\n\r\n";
                    }
                    case 2 -> "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nOrigin: https://chat.warmup.test\r\n"
                            + "Cookie: s=1\r\nX-Token: t\r\n\r\n";
                    default -> "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nOrigin: https://elsewhere.test\r\n\r\n";
                };
            } else {
                req = switch (sent % 8) {
                    case 3 -> "GET /warmup" + route + "/chunked?n=" + sent + " HTTP/1.1\r\nHost: " + host + "\r\n" + BROWSER_FIELDS;
                    case 7 -> "GET /warmup" + route + "/chunked?n=" + sent + " HTTP/1.1\r\nHost: " + host
                            + "\r\nUser-Agent: switchyard-warmup\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\n"
                            + "Connection: keep-alive\r\n\r\n";
                    case 5 -> "GET /warmup" + route + tail + " HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                            + "Content-Length: 0\r\nHost: " + host + "\r\nHTTP2-Settings: AAEAAEAAAAIAAAAAAAMAAAAAAAQBAAAAAAUAAEAA\r\n"
                            + "Upgrade: h2c\r\nUser-Agent: Java-http-client/17\r\n\r\n";
                    case 1 -> sent % 16 == 1
                            ? "GET /warmup" + route + tail + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: keep-alive, X-Hop\r\n"
                            + "X-Hop: 1\r\nX_Real_IP: 10.0.0.1\r\nCookie: a=b\r\nX-Forwarded-For: 10.0.0.2\r\n\r\n"
                            : "GET /warmup" + route + tail + " HTTP/1.1\r\nHost: " + host
                            + "\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n";
                    default -> "GET /warmup" + route + tail + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
                };
            }
            sent++;
            ctx.writeAndFlush(ascii(req));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (leaving) {
                ((ByteBuf) msg).release();
                ctx.close();
                return;
            }
            append(in, msg);
            try {
                if (kind == Kind.HTTP) readResponses(ctx);
                else readTunnel(ctx);
                in.discardSomeReadBytes();
            } catch (Exception e) {
                failure.compareAndSet(null, e);
                ctx.close();
            }
        }

        private boolean over() {
            return System.nanoTime() - stopAt >= 0 || failure.get() != null;
        }

        private void readResponses(ChannelHandlerContext ctx) throws IOException {
            // One request in flight: the head stays in the buffer until its body is complete too.
            int start = in.readerIndex();
            String head = takeHead(in);
            if (head == null) return;
            if (!head.startsWith("HTTP/1.1 " + expect + " ")) {
                throw new IOException("warm-up request answered " + firstLine(head) + " (expected " + expect + ")");
            }
            String length = header(head, "Content-Length");
            int end;
            if (length != null) {
                end = in.readerIndex() + Integer.parseInt(length);
            } else if (expect == 204) {
                end = in.readerIndex();
            } else {
                int last = ByteBufUtil.indexOf(CHUNKED_END, in);
                end = last < 0 ? -1 : last + CHUNKED_END.readableBytes();
            }
            if (end < 0 || in.writerIndex() < end) {
                in.readerIndex(start);
                return;
            }
            in.readerIndex(end);
            if (expect != 200) localAnswers.incrementAndGet();
            long n = requests.incrementAndGet();
            if (over()) {
                ctx.close();
            } else if (n % REQUEST_AFTER_CLOSE_EVERY == REQUEST_AFTER_CLOSE_EVERY / 2 && held.client == null) {
                // A request the upstream holds instead of answering; when it has it, it calls leaveBeforeAnswer.
                leaving = true;
                held.client = this;
                expect = 200;
                ctx.writeAndFlush(ascii("GET /warmup" + (index % ROUTES) + HOLD_PATH + " HTTP/1.1\r\nHost: "
                        + host(index % ROUTES, sent) + "\r\n\r\n"));
            } else {
                sendRequest(ctx);
                if (n % ABORT_EVERY == 0) leave(ctx, true);
            }
        }

        private void readTunnel(ChannelHandlerContext ctx) throws IOException {
            if (state == 0) {
                String head = takeHead(in);
                if (head == null) return;
                if (!head.startsWith("HTTP/1.1 101")) throw new IOException("warm-up handshake answered " + firstLine(head));
                long n = handshakes.incrementAndGet();
                if (kind == Kind.HANDSHAKE && n % HANDSHAKE_ABORT_EVERY == 0 && !over()) {
                    // A tunnel cut right after its 101, without a close frame.
                    leave(ctx, false);
                    return;
                }
                if (kind == Kind.HANDSHAKE && n % HANDSHAKE_ABORT_EVERY == HANDSHAKE_ABORT_EVERY / 2 && !over()) {
                    // A close frame and the connection closed at once, without waiting for the answer, as a load
                    // generator's handshake loop does: the proxy's tunnel ends with the client's close frame seen first
                    // (the JIT threw the tunnel's close path away at the end of such a load, bench/traps.sh).
                    sendClose(ctx);
                    leaving = true;
                    aborts.incrementAndGet();
                    ctx.close();
                    return;
                }
                if (kind == Kind.HANDSHAKE || over()) {
                    sendClose(ctx);
                } else {
                    state = 1;
                    sendMessage(ctx);
                }
            }
            int[] f;
            while (state >= 1 && (f = frameAt(in)) != null) {
                int opcode = in.getUnsignedByte(in.readerIndex()) & 0x0f;
                in.skipBytes(f[0] + f[1]);
                if (opcode == 0x8) {
                    // The close answered: the proxy closes the connection next; close our side too.
                    goOn = state == 2 && !over();
                    ctx.close();
                    return;
                }
                if (state == 2) continue;
                if (opcode != 0x2) throw new IOException("warm-up echo answered opcode " + opcode);
                messages.incrementAndGet();
                if (sent >= (answersAfterClose.get() == 0 ? MESSAGE_SIZES.length : MESSAGES_PER_TUNNEL)
                        && index % ANSWER_AFTER_CLOSE_EVERY == 3 && held.client == null && !over()) {
                    // A ping the upstream holds instead of answering; when it has it, it calls leaveBeforeAnswer.
                    leaving = true;
                    held.client = this;
                    ctx.writeAndFlush(Unpooled.wrappedBuffer(HOLD_FRAME));
                    return;
                }
                if (sent >= MESSAGES_PER_TUNNEL && index % 2 == 1 && !over()) {
                    sendMessage(ctx);
                    leave(ctx, true);
                    return;
                }
                if (sent >= MESSAGES_PER_TUNNEL || over()) sendClose(ctx);
                else sendMessage(ctx);
            }
        }

        /**
         * Leaves with something in flight, in turn by a reset (at the next read, or now when nothing more is coming) and by
         * a plain close now.
         */
        private void leave(ChannelHandlerContext ctx, boolean answerComing) {
            boolean reset = aborts.incrementAndGet() % 2 == 0;
            leaving = true;
            if (reset) ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
            // A reset waits for the answer to arrive, so that it is closed unread, as a load generator's last requests are.
            if (!reset || !answerComing) ctx.close();
        }

        /**
         * Called by the upstream holding this client's ping or request ({@link HeldAnswer}): closes this connection,
         * then has the upstream send the answer toward it at once (a message, or a whole 200). Both ends are on the
         * warm-up's one event loop, so nothing runs between the two: the proxy's next turn finds this side closed, then
         * that answer.
         */
        void leaveBeforeAnswer(Channel upstream) {
            aborts.incrementAndGet();
            channel.close();
            upstream.writeAndFlush(Unpooled.wrappedBuffer(kind == Kind.HTTP ? OK : ANSWER_FRAME));
            (kind == Kind.HTTP ? requestsAnsweredAfterClose : answersAfterClose).incrementAndGet();
        }

        private void sendMessage(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(FRAMES[sent++ % FRAMES.length]));
        }

        private void sendClose(ChannelHandlerContext ctx) {
            state = 2;
            ctx.writeAndFlush(Unpooled.wrappedBuffer(CLOSE_FRAME));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failure.compareAndSet(null, cause);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (held.client == this) held.client = null; // closed before its ping reached the upstream
            if (leaving) {
                if (!over()) open(bootstrap, kind, index + 1, loops);
                else loops.countDown();
                return;
            }
            if (kind != Kind.HTTP && state != 2 && !over()) {
                failure.compareAndSet(null, new IOException("warm-up tunnel closed before its close handshake"));
            }
            if (kind == Kind.HTTP && !over()) {
                failure.compareAndSet(null, new IOException("warm-up keep-alive connection closed by the proxy"));
            }
            if (goOn && !over()) open(bootstrap, kind, index + 1, loops);
            else loops.countDown();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            if (in != null) {
                in.release();
                in = null;
            }
        }
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static String newKey() {
        byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    /** Masked binary client frames of each size (one mask for all: the warm-up's bytes are not secret). */
    private static final byte[][] FRAMES = new byte[MESSAGE_SIZES.length][];
    private static final byte[] CLOSE_FRAME = maskedFrame(0x8, new byte[]{0x03, (byte) 0xE8});
    /** A ping the warm-up's upstream holds (see {@link HeldAnswer}), and the unmasked message it sends instead, later. */
    private static final byte[] HOLD_FRAME = maskedFrame(0x9, new byte[]{1, 2, 3, 4});
    private static final byte[] ANSWER_FRAME = new byte[34];
    /** The path of a request the warm-up's upstream holds (see {@link HeldAnswer}). */
    private static final String HOLD_PATH = "/held";

    static {
        ANSWER_FRAME[0] = (byte) 0x82;
        ANSWER_FRAME[1] = 32;
    }

    static {
        for (int i = 0; i < MESSAGE_SIZES.length; i++) {
            byte[] payload = new byte[MESSAGE_SIZES[i]];
            ThreadLocalRandom.current().nextBytes(payload);
            FRAMES[i] = maskedFrame(0x2, payload);
        }
    }

    static byte[] maskedFrame(int opcode, byte[] payload) {
        int hdr = payload.length < 126 ? 2 : 4;
        byte[] f = new byte[hdr + 4 + payload.length];
        f[0] = (byte) (0x80 | opcode);
        if (hdr == 2) {
            f[1] = (byte) (0x80 | payload.length);
        } else {
            f[1] = (byte) (0x80 | 126);
            f[2] = (byte) (payload.length >>> 8);
            f[3] = (byte) payload.length;
        }
        byte[] mask = {0x37, (byte) 0xfa, 0x21, 0x3d};
        System.arraycopy(mask, 0, f, hdr, 4);
        for (int i = 0; i < payload.length; i++) f[hdr + 4 + i] = (byte) (payload[i] ^ mask[i & 3]);
        return f;
    }

    private static final byte[] OK = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n")
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OK_CHUNKED = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "3\r\nok\n\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

    private final HeldAnswer held = new HeldAnswer();
    /**
     * Requests the upstream answered so far, on all its connections (see {@link #UPSTREAM_CLOSE_EVERY}). Confined to
     * the warm-up's event loop.
     */
    private long upstreamAnswers;

    /**
     * The upstream side of the one tunnel or keep-alive connection (at a time) whose client is about to leave before its
     * answer: the upstream holds a ping or a request for {@link #HOLD_PATH} instead of answering it and, when it has it,
     * has that client close and then sends the answer ({@code Client.leaveBeforeAnswer}). Confined to the warm-up's
     * event loop.
     */
    private static final class HeldAnswer {
        /** The client whose ping is on its way to the upstream, or null. */
        Client client;
    }

    /**
     * The loopback upstream, non-blocking like the clients: 200 "ok" to any request (chunked for paths with
     * {@code /chunked}, held for {@link #HOLD_PATH}), on an upgrade a 101 with the right accept key and then every
     * frame echoed with server framing (its payload bytes as they came), a ping held instead ({@link HeldAnswer}), a
     * close answered and the connection closed.
     */
    private final class Upstream extends ChannelInboundHandlerAdapter {
        private ByteBuf in;
        private boolean tunnel;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            in = ctx.alloc().buffer(4096);
        }

        /**
         * Closes this keep-alive connection a moment after its answer, as upstreams do when their keep-alive timeout
         * ends (Node.js's is 5 s): by then the proxy has put it back in its pool, where it sees the close, or leased it
         * for a next request, which it sends again on another connection.
         */
        private void closeSoon(ChannelHandlerContext ctx) {
            ctx.executor().schedule(() -> {
                if (tunnel || !ctx.channel().isActive()) return;
                upstreamCloses.incrementAndGet();
                ctx.close();
            }, 1, TimeUnit.MILLISECONDS);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            append(in, msg);
            boolean close = false;
            String head;
            while (!tunnel && (head = takeHead(in)) != null) {
                String key = header(head, "Sec-WebSocket-Key");
                if (key != null && "websocket".equalsIgnoreCase(header(head, "Upgrade"))) {
                    ctx.write(ascii("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            + "Sec-WebSocket-Accept: " + accept(key) + "\r\n\r\n"));
                    tunnel = true;
                } else {
                    String line = firstLine(head);
                    if (line.contains(HOLD_PATH)) {
                        // Held for its client, which leaves before the answer (HeldAnswer).
                        Client c = held.client;
                        held.client = null;
                        if (c != null) c.leaveBeforeAnswer(ctx.channel());
                        continue;
                    }
                    ctx.write(Unpooled.wrappedBuffer(line.contains("/chunked") ? OK_CHUNKED : OK));
                    if (++upstreamAnswers % UPSTREAM_CLOSE_EVERY == 0) closeSoon(ctx);
                }
            }
            int[] f;
            while (tunnel && (f = frameAt(in)) != null) {
                int b0 = in.getUnsignedByte(in.readerIndex());
                int len = f[1];
                if ((b0 & 0x0f) == 0x9) {
                    // A ping: held for its client, which leaves before the answer (HeldAnswer).
                    in.skipBytes(f[0] + len);
                    Client c = held.client;
                    held.client = null;
                    if (c != null) c.leaveBeforeAnswer(ctx.channel());
                    continue;
                }
                // The payload goes back as it came (still masked: its content is no test here), unmasked framing.
                ByteBuf frameHead = ctx.alloc().buffer(4);
                frameHead.writeByte(b0);
                if (len < 126) frameHead.writeByte(len);
                else frameHead.writeByte(126).writeShort(len);
                ctx.write(frameHead);
                ctx.write(in.retainedSlice(in.readerIndex() + f[0], len));
                in.skipBytes(f[0] + len);
                if ((b0 & 0x0f) == 0x8) {
                    close = true;
                    break;
                }
            }
            in.discardSomeReadBytes();
            if (close) ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            else ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            in.release();
        }

        private static String accept(String key) throws NoSuchAlgorithmException {
            byte[] sha1 = MessageDigest.getInstance("SHA-1")
                    .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        }
    }
}
