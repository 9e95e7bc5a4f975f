package io.switchyard.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * WebSocket load generator on Netty. Three workloads:
 * <ul>
 *   <li>{@link #echo}: N connections each sending binary messages of a fixed size to an echo
 *   upstream, either closed loop (next message when the echo of the previous one arrives) or at a
 *   fixed total rate. At a fixed rate, latency is measured from the moment a message was
 *   <em>scheduled</em> to be sent, not from when it was actually written, so a stalled proxy is
 *   charged for every message it delayed (coordinated-omission correction);</li>
 *   <li>{@link #handshakes}: C concurrent loops of connect, upgrade, close: new tunnels per second;</li>
 *   <li>{@link IdleTunnels}: open many tunnels and hold them idle (memory per tunnel).</li>
 * </ul>
 * Latency is recorded in microseconds into an HdrHistogram {@link Recorder} (thread-safe, so any
 * number of event-loop threads may record).
 */
public final class LoadGen {
    static final long MAX_US = 60_000_000L;
    /** Period of the fixed-rate sender (see {@link #echo}). */
    static final long TICK_NS = 250_000L;

    private LoadGen() {
    }

    /**
     * What to run.
     *
     * @param url         {@code ws://host:port/path} or {@code wss://...}
     * @param connections echo: open connections; handshakes: concurrent handshake loops
     * @param size        message payload in bytes
     * @param rate        total messages per second over all connections; 0 means closed loop
     * @param warmupMs    run but do not measure
     * @param durationMs  measured window
     * @param threads     event-loop threads of the generator
     */
    public record Options(String url, int connections, int size, double rate, long warmupMs, long durationMs,
                          int threads) {
        public Options {
            if (connections < 1) throw new IllegalArgumentException("connections: " + connections + " (expected: >= 1)");
            if (size < 0 || size > EchoServer.MAX_FRAME) throw new IllegalArgumentException("size: " + size + " (expected: 0.." + EchoServer.MAX_FRAME + ")");
            if (rate < 0) throw new IllegalArgumentException("rate: " + rate + " (expected: >= 0)");
            if (threads < 1) threads = 1;
            URI u = URI.create(url);
            if (!"ws".equals(u.getScheme()) && !"wss".equals(u.getScheme()))
                throw new IllegalArgumentException("url: " + url + " (expected: ws:// or wss://)");
        }
    }

    /** One measured cell. Latencies in microseconds. */
    public record Result(String mode, int connectionsAsked, int connectionsOpen, long messages, double perSecond,
                         double payloadMiBPerSecond, double p50Us, double p90Us, double p99Us, double p999Us,
                         double maxUs, long errors, String firstError, double loadCpuCores, double targetRate) {
    }

    /** Called right before and right after the measured window (the runner samples proxy CPU there). */
    public interface Probe {
        Probe NONE = new Probe() {
            @Override
            public void begin() {
            }

            @Override
            public void end() {
            }
        };

        void begin();

        void end();
    }

    /** Shared state of one run: the counters every connection feeds. */
    private static final class Run {
        final Recorder latency = new Recorder(1, MAX_US, 3);
        final LongAdder received = new LongAdder();
        final LongAdder errors = new LongAdder();
        final AtomicReference<String> firstError = new AtomicReference<>();
        volatile boolean running = true;

        void error(String what) {
            errors.increment();
            firstError.compareAndSet(null, what);
        }

        void record(long nanos) {
            long us = Math.max(1, nanos / 1000);
            latency.recordValue(Math.min(us, MAX_US));
        }
    }

    private enum Mode { CLOSED, RATE, HANDSHAKE, IDLE }

    /** Minimal FIFO of longs (send timestamps) without boxing: echoes come back in send order. */
    private static final class LongRing {
        private long[] a = new long[16];
        private int head, size;

        void add(long v) {
            if (size == a.length) {
                long[] b = new long[a.length * 2];
                for (int i = 0; i < size; i++) b[i] = a[(head + i) % a.length];
                a = b;
                head = 0;
            }
            a[(head + size++) % a.length] = v;
        }

        long poll() {
            if (size == 0) return -1;
            long v = a[head];
            head = (head + 1) % a.length;
            size--;
            return v;
        }
    }

    /** One WebSocket connection; all its state is touched only on its event loop. */
    private static final class Conn extends ChannelInboundHandlerAdapter {
        final Run run;
        final Mode mode;
        final WebSocketClientHandshaker hs;
        final ByteBuf payload;
        final Runnable onOpen;
        final long connectStart = System.nanoTime();
        final LongRing sent = new LongRing();
        Channel ch;
        volatile boolean open;
        long next, interval;

        Conn(Run run, Mode mode, URI uri, ByteBuf payload, Runnable onOpen) {
            this.run = run;
            this.mode = mode;
            this.payload = payload;
            this.onOpen = onOpen;
            this.hs = WebSocketClientHandshakerFactory.newHandshaker(uri, WebSocketVersion.V13, null, false,
                    new DefaultHttpHeaders(), EchoServer.MAX_FRAME);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ch = ctx.channel();
            hs.handshake(ch);
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (!hs.isHandshakeComplete()) {
                    if (msg instanceof FullHttpResponse resp) {
                        try {
                            hs.finishHandshake(ch, resp);
                        } catch (RuntimeException e) {
                            run.error("handshake: " + resp.status());
                            ctx.close();
                            return;
                        }
                        open = true;
                        if (mode == Mode.HANDSHAKE) {
                            run.record(System.nanoTime() - connectStart);
                            run.received.increment();
                            // Close like a polite client; the proxy must tear down both sides.
                            ch.writeAndFlush(new CloseWebSocketFrame(1000, "")).addListener(ChannelFutureListener.CLOSE);
                        }
                        if (onOpen != null) onOpen.run();
                    }
                    return;
                }
                if (msg instanceof WebSocketFrame frame) {
                    if (frame instanceof CloseWebSocketFrame) {
                        ctx.close();
                    } else if (frame.isFinalFragment() && (mode == Mode.CLOSED || mode == Mode.RATE)) {
                        long start = sent.poll();
                        long now = System.nanoTime();
                        if (start >= 0) run.record(now - start);
                        run.received.increment();
                        if (mode == Mode.CLOSED && run.running) send(true);
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        void send(boolean flush) {
            sent.add(System.nanoTime());
            BinaryWebSocketFrame f = new BinaryWebSocketFrame(payload.retainedDuplicate());
            if (flush) ch.writeAndFlush(f, ch.voidPromise());
            else ch.write(f, ch.voidPromise());
        }

        /** Closed loop: one message in flight per connection. */
        void startClosed() {
            send(true);
        }

        /** Fixed rate: this connection's share of the total rate, phase-shifted so sends spread evenly. */
        void startRate(long t0, long intervalNs, long phaseNs) {
            interval = intervalNs;
            next = t0 + phaseNs;
        }

        /** Sends every message that is due by {@code now}; called by the event loop's ticker. */
        void sendDue(long now) {
            if (!run.running || !open || !ch.isActive()) return;
            boolean any = false;
            while (next <= now) {
                // Timestamp = when the message was due, not now: a late send is charged to the system.
                sent.add(next);
                ch.write(new BinaryWebSocketFrame(payload.retainedDuplicate()), ch.voidPromise());
                next += interval;
                any = true;
            }
            if (any) ch.flush();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (run.running && open && mode != Mode.HANDSHAKE) run.error("connection closed by peer");
            open = false;
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (run.running) run.error(cause.getClass().getSimpleName() + ": " + cause.getMessage());
            ctx.close();
        }
    }

    private static Bootstrap bootstrap(EventLoopGroup group, URI uri) throws Exception {
        // OpenSSL (BoringSSL) when it loads: TLS on the load core should cost as little as possible,
        // so that scenario G measures the proxy's TLS rather than the generator's.
        SslContext ssl = "wss".equals(uri.getScheme())
                ? SslContextBuilder.forClient().sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK)
                .trustManager(InsecureTrustManagerFactory.INSTANCE).build() : null;
        return new Bootstrap().group(group).channel(Transports.socket())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // An IP literal is never sent as SNI, so name the test certificate's host instead.
                        String sni = uri.getHost().matches("[0-9.]+|\\[.*\\]") ? "localhost" : uri.getHost();
                        if (ssl != null) ch.pipeline().addLast(ssl.newHandler(ch.alloc(), sni, port(uri)));
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(8192));
                    }
                });
    }

    static int port(URI uri) {
        return uri.getPort() > 0 ? uri.getPort() : ("wss".equals(uri.getScheme()) ? 443 : 80);
    }

    private static ChannelFuture connect(Bootstrap b, URI uri, Conn conn) {
        Bootstrap c = b.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) throws Exception {
                ch.pipeline().addLast(b.config().handler());
                ch.pipeline().addLast("conn", conn);
            }
        });
        return c.connect(uri.getHost(), port(uri));
    }

    static double cpuSeconds() {
        return ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0);
    }

    private static ByteBuf payload(int size) {
        byte[] b = new byte[size];
        ThreadLocalRandom.current().nextBytes(b);
        // Every frame sends a retained duplicate; the run releases this original when it ends.
        return Unpooled.directBuffer(Math.max(1, size)).writeBytes(b);
    }

    /** Echo throughput/latency cell; see the class comment. */
    public static Result echo(Options o) throws Exception {
        return echo(o, Probe.NONE);
    }

    /** Echo cell with a probe around the measured window. */
    public static Result echo(Options o, Probe probe) throws Exception {
        URI uri = URI.create(o.url());
        Run run = new Run();
        EventLoopGroup group = Transports.group(o.threads(), "load");
        ByteBuf payload = payload(o.size());
        List<Conn> conns = new ArrayList<>();
        try {
            Bootstrap b = bootstrap(group, uri);
            CountDownLatch opened = new CountDownLatch(o.connections());
            Mode mode = o.rate() > 0 ? Mode.RATE : Mode.CLOSED;
            for (int i = 0; i < o.connections(); i++) {
                Conn c = new Conn(run, mode, uri, payload, opened::countDown);
                conns.add(c);
                connect(b, uri, c).addListener(f -> {
                    if (!f.isSuccess()) {
                        run.error("connect: " + f.cause());
                        opened.countDown();
                    }
                });
            }
            opened.await(15, TimeUnit.SECONDS);
            int open = (int) conns.stream().filter(c -> c.open).count();
            long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
            int n = Math.max(1, open);
            long intervalNs = mode == Mode.RATE ? (long) (1e9 * n / o.rate()) : 0;
            int idx = 0;
            java.util.Map<io.netty.channel.EventLoop, List<Conn>> byLoop = new java.util.HashMap<>();
            for (Conn c : conns) {
                if (!c.open) continue;
                long phase = intervalNs * idx++ / n;
                if (mode == Mode.RATE) {
                    c.startRate(t0, intervalNs, phase);
                    byLoop.computeIfAbsent(c.ch.eventLoop(), k -> new ArrayList<>()).add(c);
                } else {
                    c.ch.eventLoop().execute(c::startClosed);
                }
            }
            // One ticker per event loop rather than a timer per connection: on a shared core,
            // tens of thousands of timer wake-ups a second would cost more than the sends. Sends
            // are due at exact times and latency is counted from those times, so the tick only
            // bounds how late a send may leave (TICK_NS), equally for every target.
            for (java.util.Map.Entry<io.netty.channel.EventLoop, List<Conn>> e : byLoop.entrySet()) {
                List<Conn> mine = e.getValue();
                e.getKey().scheduleAtFixedRate(() -> {
                    long now = System.nanoTime();
                    for (Conn c : mine) c.sendDue(now);
                }, Math.max(0, t0 - System.nanoTime()), TICK_NS, TimeUnit.NANOSECONDS);
            }
            Thread.sleep(o.warmupMs());
            run.latency.getIntervalHistogram();
            run.received.sumThenReset();
            long errorsBefore = run.errors.sum();
            probe.begin();
            double cpu0 = cpuSeconds();
            long w0 = System.nanoTime();
            Thread.sleep(o.durationMs());
            probe.end();
            Histogram h = run.latency.getIntervalHistogram();
            long msgs = run.received.sumThenReset();
            double secs = (System.nanoTime() - w0) / 1e9;
            double cpu = (cpuSeconds() - cpu0) / secs;
            int stillOpen = (int) conns.stream().filter(c -> c.open).count();
            run.running = false;
            long errors = run.errors.sum() - errorsBefore + (o.connections() - open);
            return new Result(mode == Mode.RATE ? "rate" : "closed", o.connections(), Math.min(open, stillOpen), msgs,
                    msgs / secs, msgs * (double) o.size() / secs / (1 << 20),
                    pct(h, 50), pct(h, 90), pct(h, 99), pct(h, 99.9), h.getTotalCount() == 0 ? 0 : h.getMaxValue(),
                    errors, run.firstError.get(), cpu, o.rate());
        } finally {
            run.running = false;
            for (Conn c : conns) if (c.ch != null) c.ch.close();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
            payload.release();
        }
    }

    private static double pct(Histogram h, double p) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(p);
    }

    /**
     * New tunnels per second: {@code o.connections()} concurrent loops of connect, upgrade (101),
     * close. Latency is connect-to-101.
     */
    public static Result handshakes(Options o) throws Exception {
        return handshakes(o, Probe.NONE);
    }

    /** Handshake cell with a probe around the measured window. */
    public static Result handshakes(Options o, Probe probe) throws Exception {
        URI uri = URI.create(o.url());
        Run run = new Run();
        EventLoopGroup group = Transports.group(o.threads(), "load");
        AtomicInteger live = new AtomicInteger();
        try {
            Bootstrap b = bootstrap(group, uri);
            for (int i = 0; i < o.connections(); i++) loop(b, uri, run, live);
            Thread.sleep(o.warmupMs());
            run.latency.getIntervalHistogram();
            run.received.sumThenReset();
            long errorsBefore = run.errors.sum();
            probe.begin();
            double cpu0 = cpuSeconds();
            long w0 = System.nanoTime();
            Thread.sleep(o.durationMs());
            probe.end();
            Histogram h = run.latency.getIntervalHistogram();
            long n = run.received.sumThenReset();
            double secs = (System.nanoTime() - w0) / 1e9;
            double cpu = (cpuSeconds() - cpu0) / secs;
            run.running = false;
            return new Result("handshakes", o.connections(), live.get(), n, n / secs, 0,
                    pct(h, 50), pct(h, 90), pct(h, 99), pct(h, 99.9), h.getTotalCount() == 0 ? 0 : h.getMaxValue(),
                    run.errors.sum() - errorsBefore, run.firstError.get(), cpu, 0);
        } finally {
            run.running = false;
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }

    /** One handshake loop: when a connection ends (after its 101 or an error) the next one starts. */
    private static void loop(Bootstrap b, URI uri, Run run, AtomicInteger live) {
        if (!run.running) return;
        Conn c = new Conn(run, Mode.HANDSHAKE, uri, null, null);
        live.incrementAndGet();
        connect(b, uri, c).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                run.error("connect: " + f.cause());
                live.decrementAndGet();
                // Back off a little so a refusing proxy does not turn into a busy loop.
                f.channel().eventLoop().schedule(() -> loop(b, uri, run, live), 10, TimeUnit.MILLISECONDS);
                return;
            }
            f.channel().closeFuture().addListener(cf -> {
                live.decrementAndGet();
                if (!c.open && run.running && !c.hs.isHandshakeComplete()) run.error("closed before 101");
                loop(b, uri, run, live);
            });
        });
    }

    /** Idle tunnels held open for memory measurements. Not thread-safe; call from one thread. */
    public static final class IdleTunnels implements AutoCloseable {
        private final URI uri;
        private final Run run = new Run();
        private final EventLoopGroup group;
        private final Bootstrap b;
        private final List<Conn> conns = new ArrayList<>();

        public IdleTunnels(String url, int threads) throws Exception {
            this.uri = URI.create(url);
            this.group = Transports.group(threads, "idle");
            this.b = bootstrap(group, uri);
        }

        /**
         * Opens tunnels until {@code total} are open (at most {@code concurrency} handshakes in
         * flight, so the proxy's accept queue is never the limit) and returns how many are open.
         */
        public int growTo(int total, int concurrency) throws InterruptedException {
            Semaphore inFlight = new Semaphore(concurrency);
            int toOpen = total - conns.size();
            CountDownLatch done = new CountDownLatch(Math.max(0, toOpen));
            for (int i = 0; i < toOpen; i++) {
                inFlight.acquire();
                Conn c = new Conn(run, Mode.IDLE, uri, null, () -> {
                    inFlight.release();
                    done.countDown();
                });
                conns.add(c);
                connect(b, uri, c).addListener((ChannelFuture f) -> {
                    if (!f.isSuccess()) {
                        run.error("connect: " + f.cause());
                        inFlight.release();
                        done.countDown();
                    } else {
                        f.channel().closeFuture().addListener(cf -> {
                            if (!c.open && !c.hs.isHandshakeComplete()) {
                                inFlight.release();
                                done.countDown();
                            }
                        });
                    }
                });
            }
            done.await(60, TimeUnit.SECONDS);
            return open();
        }

        public int open() {
            return (int) conns.stream().filter(c -> c.open).count();
        }

        public long errors() {
            return run.errors.sum();
        }

        public String firstError() {
            return run.firstError.get();
        }

        @Override
        public void close() throws InterruptedException {
            run.running = false;
            for (Conn c : conns) if (c.ch != null) c.ch.close();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        }
    }
}
