package io.switchyard.dataplane;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.util.internal.PlatformDependent;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.switchyard.config.ConfigCodec;
import io.switchyard.config.ConfigException;
import io.switchyard.config.OnTargetRemoved;
import io.switchyard.config.Route;
import io.switchyard.config.Snapshot;
import io.switchyard.dataplane.health.HealthMonitor;
import io.switchyard.dataplane.http.ProxyHandler;
import io.switchyard.dataplane.internal.Context;
import io.switchyard.dataplane.internal.Serving;
import io.switchyard.dataplane.accesslog.AccessLog;
import io.switchyard.dataplane.channel.Transport;
import io.switchyard.dataplane.listener.ProxyInitializer;
import io.switchyard.dataplane.status.Metrics;
import io.switchyard.dataplane.status.StatusServer;
import io.switchyard.dataplane.tls.ServerCertificates;
import io.switchyard.dataplane.tunnel.CloseReason;
import io.switchyard.dataplane.tunnel.Tunnel;
import io.switchyard.dataplane.tunnel.TunnelRegistry;
import io.switchyard.dataplane.upstream.UpstreamPool;
import io.switchyard.routing.RoutingTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One running data plane: listeners bound, serving the last applied snapshot. Thread-safe: {@link #apply}
 * may be called from any thread (calls are serialized), the accessors read published state.
 *
 * <p>State a request needs (routing table, resolved addresses, certificates) is one immutable
 * {@code Serving} object behind one {@link AtomicReference}: {@code apply} builds the next one off the
 * event loops and swaps it in; every request or handshake reads the reference once. Established tunnels
 * hold their own route and target and are not affected, except by a route's
 * {@code on_target_removed: drain}, a target set {@code draining}, or {@code on_unhealthy: drain}.
 */
public final class DataPlane implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DataPlane.class);
    /** Slowloris guard: a client must complete each request head within this time. */
    static final long DEFAULT_HEADER_TIMEOUT_MS = 10_000;

    private final DataPlaneSettings settings;
    private final Transport transport;
    private final EventLoopGroup workers;
    private final Context ctx;
    private final List<Channel> listeners = new ArrayList<>();
    private final Map<String, Object> extras = Collections.synchronizedMap(new LinkedHashMap<>());
    // Guards the compile-and-swap sequence of apply(): two applies must not both build on the same previous table.
    private final Object applyLock = new Object();
    private volatile long appliedVersion = -1;
    private volatile InetSocketAddress listenAddress;
    private volatile InetSocketAddress tlsAddress;
    private volatile InetSocketAddress statusAddress;
    private volatile boolean closed;
    private volatile boolean listening;
    private volatile Channel statusListener;
    private final Object shutdownLock = new Object();
    private volatile Channel plainListener;
    private volatile Channel tlsListener;
    private final long startedNanos = System.nanoTime();

    private DataPlane(DataPlaneSettings settings, long headerTimeoutMs) {
        this.settings = settings;
        this.transport = Transport.detect();
        // 0 means one loop per core (Netty's own default would be two per core).
        int threads = settings.ioThreads() == 0 ? Runtime.getRuntime().availableProcessors() : settings.ioThreads();
        this.workers = transport.newGroup(threads, "switchyard-io");
        ChannelGroup connections = new DefaultChannelGroup("connections", GlobalEventExecutor.INSTANCE);
        AtomicReference<Serving> serving = new AtomicReference<>(Serving.EMPTY);
        TunnelRegistry tunnels = new TunnelRegistry();
        UpstreamPool pool = new UpstreamPool(transport);
        this.ctx = new Context(serving, new Metrics(), tunnels,
                pool, connections, new Context.Draining(), headerTimeoutMs, new AtomicInteger(),
                AccessLog.open(settings.accessLog(),
                        settings.accessLogFormat().equals("json") ? AccessLog.Format.JSON : AccessLog.Format.TEXT),
                new HealthMonitor(workers, pool, tunnels, () -> serving.get().table()));
        ctx.metrics().accessLogDropped(ctx.accessLog()::dropped);
    }

    /** Where a data plane is in its life; {@code GET /ready} answers 200 only while {@link #SERVING}. */
    public enum State {
        /** Status listener up; proxy listeners not yet open, or open with no snapshot applied yet (503s). */
        STARTING,
        /** Proxy listeners open and a snapshot applied. */
        SERVING,
        /** A graceful shutdown or handover runs: no new connections, the rest finish. */
        DRAINING;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Binds the status listener only: nothing answers traffic until {@link #listen()}. A node applies the snapshot
     * it has (file, cache) first and opens its proxy listeners after, so a client never meets a listener without
     * configuration (no 404 storm on a restart).
     */
    public static DataPlane create(DataPlaneSettings settings) {
        return create(settings, DEFAULT_HEADER_TIMEOUT_MS);
    }

    static DataPlane create(DataPlaneSettings settings, long headerTimeoutMs) {
        DataPlane dp = new DataPlane(settings, headerTimeoutMs);
        try {
            if (settings.status() != null)
                dp.statusAddress = (InetSocketAddress) dp.bind(settings.status(),
                        new StatusServer(dp::statusJson, dp::metricsText, dp::ready), "status", true).localAddress();
        } catch (RuntimeException e) {
            dp.close();
            throw e;
        }
        return dp;
    }

    /**
     * Opens the proxy listeners (plain and TLS). Until a snapshot is applied they answer 503 with {@code Retry-After},
     * never 404. Logs the data plane's ready line. Call once.
     */
    public DataPlane listen() {
        return listen(null);
    }

    /**
     * As {@link #listen()}, on listening sockets taken from the process this one replaces ({@code taken}: plain first,
     * then TLS), or bound afresh when {@code taken} is null.
     */
    public DataPlane listen(Handover.Taken taken) {
        try {
            if (taken != null && !"epoll".equals(transport.name()))
                throw new IllegalStateException("handover needs the epoll transport (Linux)");
            Integer plainFd = taken == null ? null : taken.fds().get(0);
            Integer tlsFd = taken == null || settings.tlsListen() == null ? null : taken.fds().get(1);
            if (settings.tlsListen() != null) {
                tlsListener = open(settings.tlsListen(), tlsFd, new ProxyInitializer(ctx, true), "tls-listen");
                tlsAddress = (InetSocketAddress) tlsListener.localAddress();
                ctx.tlsPort().set(tlsAddress.getPort());
                ServerCertificates.provider(); // a TLS listener serves: its provider is resolved now, and named below
            }
            plainListener = open(settings.listen(), plainFd, new ProxyInitializer(ctx, false), "listen");
            listenAddress = (InetSocketAddress) plainListener.localAddress();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        listening = true;
        LOG.info("data plane {} ready: listen={} tls={} status={} transport={} tls_provider={} version={}{}", settings.nodeId(),
                listenAddress, tlsAddress, statusAddress, transport.name(), ServerCertificates.providerName(), appliedVersion,
                taken == null ? "" : " (listening sockets taken over)");
        return this;
    }

    private Channel open(InetSocketAddress address, Integer inheritedFd, ProxyInitializer init, String what) {
        if (inheritedFd == null) return bind(address, init, what, false);
        ServerBootstrap b = serverBootstrap(init, false)
                .channelFactory(() -> new io.netty.channel.epoll.EpollServerSocketChannel(inheritedFd));
        Channel ch = b.register().syncUninterruptibly().channel();
        listeners.add(ch);
        return ch;
    }

    /**
     * Takes the listening sockets of the running process of this node offered on {@code path} (same flags: plain, and
     * TLS when this one has it). Null when no process offers any (then {@link #listen()} binds afresh).
     */
    public Handover.Taken takeOver(java.nio.file.Path path, java.time.Duration timeout) {
        if (!"epoll".equals(transport.name()))
            throw new IllegalStateException("--take-over needs the epoll transport (Linux); this platform has " + transport.name());
        return Handover.take(workers, path, settings.tlsListen() == null ? 1 : 2, timeout);
    }

    /**
     * Offers this process's listening sockets to a successor on {@code path} (see {@link Handover}). When it takes
     * them, this process stops accepting at once, runs {@code stopWritingState}, and drains as on SIGTERM with
     * {@code drainTunnels}, then runs {@code exit}. Null when the transport cannot pass sockets (not epoll).
     */
    public Handover.Offer offerHandover(java.nio.file.Path path, Runnable stopWritingState, DrainTunnels drainTunnels, Runnable exit) {
        if (!"epoll".equals(transport.name())) return null;
        return Handover.offer(workers, path, () -> {
            List<Integer> fds = new ArrayList<>();
            fds.add(((io.netty.channel.epoll.EpollServerSocketChannel) plainListener).fd().intValue());
            if (tlsListener != null) fds.add(((io.netty.channel.epoll.EpollServerSocketChannel) tlsListener).fd().intValue());
            return fds;
        }, () -> {
            stopAccepting();
            stopWritingState.run();
        }, () -> {
            shutdownGracefully(drainTunnels);
            exit.run();
        });
    }

    /** {@link #create} then {@link #listen} at once: for tests and embedding that apply afterwards. */
    public static DataPlane start(DataPlaneSettings settings) {
        return create(settings).listen();
    }

    /** As {@link #start(DataPlaneSettings)} with another header timeout (tests use a short one). */
    static DataPlane start(DataPlaneSettings settings, long headerTimeoutMs) {
        return create(settings, headerTimeoutMs).listen();
    }

    public State state() {
        if (ctx.draining().on()) return State.DRAINING;
        return listening && appliedVersion >= 0 ? State.SERVING : State.STARTING;
    }

    private boolean ready() {
        return state() == State.SERVING;
    }

    private ServerBootstrap serverBootstrap(ChannelInitializer<SocketChannel> init, boolean autoRead) {
        ServerBootstrap b = new ServerBootstrap()
                // Accepting on the worker loops, not a thread of its own: on a node pinned to one core, a separate
                // accept thread only adds a context switch per connection.
                .group(workers, workers)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, autoRead)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(init);
        // Netty's accepted channels start with TCP_NODELAY on where the platform allows it: a second setsockopt per
        // connection otherwise.
        if (!PlatformDependent.canEnableTcpNoDelayByDefault()) b.childOption(ChannelOption.TCP_NODELAY, true);
        return b;
    }

    /** @param autoRead false for proxy listeners, whose handlers pace every read themselves */
    private Channel bind(InetSocketAddress address, ChannelInitializer<SocketChannel> init, String what, boolean autoRead) {
        ServerBootstrap b = serverBootstrap(init, autoRead).channelFactory(() -> transport.newServerChannel(address));
        try {
            Channel ch = b.bind(address).sync().channel();
            // The status listener stays up while draining (GET /ready answers 503 then); proxy listeners close first.
            if (autoRead) statusListener = ch;
            else listeners.add(ch);
            return ch;
        } catch (Exception e) {
            String why = e instanceof BindException || String.valueOf(e.getMessage()).contains("in use")
                    ? "address already in use" : String.valueOf(e.getMessage());
            throw new IllegalStateException(what + " " + address.getHostString() + ":" + address.getPort()
                    + ": cannot bind (" + why + ")", e);
        }
    }

    private volatile boolean logApplies = true;

    /** Whether each applied snapshot is logged (on by default; a start-up warm-up applies hundreds and turns it off). */
    public void logApplies(boolean on) {
        logApplies = on;
    }

    /**
     * Validates and compiles {@code snapshot}, then swaps it in atomically. Established tunnels keep
     * the route and target they were opened with; those whose target is gone and whose route says
     * {@code on_target_removed: drain} are closed with 1001, spread over the route's {@code grace_ms}.
     *
     * @return false when {@code snapshot}'s config equals the one serving (only its version is recorded)
     * @throws ConfigException when it cannot be applied; the previous table keeps serving
     */
    public boolean apply(Snapshot snapshot) {
        if (snapshot == null) throw new ConfigException("", "null (expected: a snapshot)");
        synchronized (applyLock) {
            Serving current = ctx.serving().get();
            if (current.table().config().equals(snapshot.config())) {
                appliedVersion = snapshot.version();
                return false;
            }
            RoutingTable table = RoutingTable.compile(snapshot, current.table());
            // Everything that can reject the snapshot runs before anything shared is touched.
            Map<String, java.net.InetSocketAddress> addresses = Serving.resolve(table, current.addresses());
            ServerCertificates certs = ServerCertificates.compile(snapshot.config().certificates(), current.certificates());
            ctx.pool().prepare(snapshot.config().upstreams());
            // A listener may be open with nothing applied yet (a node waiting for its control plane): from the
            // first snapshot on it routes.
            Serving next = new Serving(table, addresses, certs);
            ctx.serving().set(next);
            appliedVersion = snapshot.version();
            drainRemovedTargets(table);
            // Probes follow the new table; targets set draining start closing their tunnels.
            ctx.health().update(table, next::address);
            if (logApplies) LOG.info("applied snapshot version {} ({} routes)", snapshot.version(), table.routeCount());
            return true;
        }
    }

    /** Issue 4: tunnels on a removed target whose route drains are closed with 1001, tunnel i of n at i*grace/n. */
    private void drainRemovedTargets(RoutingTable table) {
        Map<String, List<Tunnel>> byRoute = new LinkedHashMap<>();
        Map<String, Long> graceByRoute = new LinkedHashMap<>();
        for (Tunnel t : ctx.tunnels().snapshot()) {
            if (!t.isOpen() || t.drainScheduled()) continue;
            if (table.containsTarget(t.target().upstream(), t.target().address())) continue;
            // The route's new settings decide when it still exists; otherwise the settings it was opened with.
            Route r = table.config().route(t.routeName()).orElse(t.routeAtOpen());
            OnTargetRemoved otr = r.onTargetRemoved();
            if (!otr.drains()) continue;
            byRoute.computeIfAbsent(r.name(), k -> new ArrayList<>()).add(t);
            graceByRoute.put(r.name(), otr.graceMs());
        }
        for (Map.Entry<String, List<Tunnel>> e : byRoute.entrySet()) {
            List<Tunnel> ts = e.getValue();
            long grace = graceByRoute.get(e.getKey());
            int n = ts.size();
            for (int i = 0; i < n; i++) {
                Tunnel t = ts.get(i);
                if (!t.markDrainScheduled()) continue;
                long delay = n == 0 ? 0 : grace * i / n;
                LOG.info("draining tunnel on route {} (target {} removed) in {} ms", e.getKey(), t.target(), delay);
                String upstream = t.target().upstream();
                String address = t.target().address();
                t.close(CloseReason.DRAINED, delay, () -> !ctx.serving().get().table().containsTarget(upstream, address));
            }
        }
    }

    /** Version of the snapshot serving now; -1 before the first. */
    public long appliedVersion() {
        return appliedVersion;
    }

    public long openTunnels() {
        return ctx.tunnels().size();
    }

    /** The open tunnels now, oldest first; a moment's copy (tunnels may close meanwhile). */
    public List<TunnelInfo> tunnels() {
        List<TunnelInfo> out = new ArrayList<>();
        for (Tunnel t : ctx.tunnels().snapshot()) {
            if (!t.isOpen()) continue;
            out.add(new TunnelInfo(t.id(), t.routeName(), t.target().upstream(), t.target().address(), t.clientAddress(),
                    t.openedAtMillis(), t.bytesIn(), t.bytesOut()));
        }
        out.sort(java.util.Comparator.comparingLong(TunnelInfo::openedAtMillis).thenComparing(TunnelInfo::id));
        return out;
    }

    /**
     * Closes the tunnel {@code id} with a WebSocket close 1001 "closed by operator" to both ends, each at a frame
     * boundary. @return false when no open tunnel has that id
     */
    public boolean closeTunnel(String id) {
        for (Tunnel t : ctx.tunnels().snapshot()) {
            if (t.id().equals(id) && t.isOpen()) {
                // A tunnel already scheduled for a drain is closed now all the same: the operator asked for it.
                t.markDrainScheduled();
                LOG.info("closing tunnel {} on route {} (target {}): closed by operator", id, t.routeName(), t.target().address());
                t.close(CloseReason.CLOSED_BY_OPERATOR, 0);
                return true;
            }
        }
        return false;
    }

    /**
     * Closes, as {@link #closeTunnel}, every open tunnel on {@code route} and to {@code target} (a null filter matches
     * every tunnel), tunnel i of n after i*{@code pacedOverMs}/n, as a drain does, so clients do not all reconnect at
     * once. @return how many were scheduled to close
     */
    public int closeTunnels(String route, String target, long pacedOverMs) {
        if (pacedOverMs < 0) throw new IllegalArgumentException("pacedOverMs: " + pacedOverMs + " (expected: >= 0)");
        List<Tunnel> chosen = new ArrayList<>();
        for (Tunnel t : ctx.tunnels().snapshot()) {
            if (!t.isOpen()) continue;
            if (route != null && !route.equals(t.routeName())) continue;
            if (target != null && !target.equals(t.target().address())) continue;
            if (!t.markDrainScheduled()) continue; // a drain already has it
            chosen.add(t);
        }
        int n = chosen.size();
        for (int i = 0; i < n; i++) chosen.get(i).close(CloseReason.CLOSED_BY_OPERATOR, pacedOverMs * i / n);
        if (n > 0)
            LOG.info("closing {} tunnels (route {}, target {}) over {} ms: closed by operator", n,
                    route == null ? "any" : route, target == null ? "any" : target, pacedOverMs);
        return n;
    }

    /** Client connections open now, tunnels included. */
    public long openConnections() {
        return ctx.connections().size();
    }

    public InetSocketAddress listenAddress() {
        return listenAddress;
    }

    /**
     * The plain listener as {@code host:port}: the bound address once listening, else the configured one (port 0 until a
     * free port is picked). What a node tells its control plane, which may be before its listeners open.
     */
    public String advertisedListen() {
        InetSocketAddress a = listenAddress;
        if (a != null) return io.switchyard.config.HostPort.of(a).toString();
        InetSocketAddress c = settings.listen();
        String host = c.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + c.getPort();
    }

    /** Null when not configured. */
    public InetSocketAddress tlsAddress() {
        return tlsAddress;
    }

    /** Null when not configured. */
    public InetSocketAddress statusAddress() {
        return statusAddress;
    }

    /** Counters behind {@code /metrics}, for tests and embedding. */
    public Metrics metrics() {
        return ctx.metrics();
    }

    /** Adds a key/value pair to the JSON of {@code GET /status} (the node agent reports its control-plane state here). */
    public void putStatus(String key, Object value) {
        if (key == null || key.isBlank()) throw new IllegalArgumentException("key: empty (expected: a JSON field name)");
        extras.put(key, value);
    }

    /** The {@code /status} document. */
    public String statusJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node_id", settings.nodeId());
        m.put("applied_version", appliedVersion);
        m.put("open_connections", openConnections());
        m.put("open_tunnels", openTunnels());
        m.put("routes", ctx.serving().get().table().routeCount());
        m.put("listen", String.valueOf(listenAddress));
        if (tlsAddress != null) {
            m.put("tls_listen", String.valueOf(tlsAddress));
            m.put("tls_policy", ServerCertificates.POLICY);
            m.put("tls_protocols", ServerCertificates.PROTOCOLS);
        }
        m.put("uptime_ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos));
        m.put("transport", transport.name());
        m.put("tls_provider", ServerCertificates.providerName());
        m.put("state", state().wire());
        m.put("draining", ctx.draining().on());
        m.put("targets", targets());
        synchronized (extras) {
            m.putAll(extras);
        }
        return ConfigCodec.write(m);
    }

    private String metricsText() {
        List<Metrics.TargetGauge> gauges = new ArrayList<>();
        for (TargetReport t : targets()) gauges.add(new Metrics.TargetGauge(t.upstream(), t.target(), t.healthy(), t.tunnelsOpen()));
        return ctx.metrics().render(openConnections(), openTunnels(), appliedVersion, gauges);
    }

    /**
     * One target of the serving table as this node sees it.
     *
     * @param state           the operator's state: active, draining or disabled
     * @param healthy         what the health checks say (a draining target may be healthy)
     * @param lastCheckEpochMs wall-clock time of the last active probe; 0 when none ran
     * @param lastFailure     why the last failure (probe or traffic) was one; null when none
     */
    public record TargetReport(String upstream, String target, String state, boolean healthy, long lastCheckEpochMs,
                               String lastFailure, long tunnelsOpen) {
    }

    /** Every target of the serving table with its health and open tunnels (counted now, not kept per tunnel). */
    public List<TargetReport> targets() {
        Map<String, Long> open = new java.util.HashMap<>();
        for (Tunnel t : ctx.tunnels().snapshot())
            open.merge(t.target().upstream() + '\u0000' + t.target().address(), 1L, Long::sum);
        List<TargetReport> out = new ArrayList<>();
        for (io.switchyard.routing.TargetState t : ctx.serving().get().table().targets())
            out.add(new TargetReport(t.upstream(), t.address(), t.state().wire(), t.health().healthy(), t.health().lastCheckMillis(),
                    t.health().lastFailure(), open.getOrDefault(t.upstream() + '\u0000' + t.address(), 0L)));
        return out;
    }

    /** What a graceful shutdown or handover does with open tunnels ({@code --drain-tunnels}). */
    public enum DrainTunnels {
        /** When the grace period ends, tunnels still open get a WebSocket close 1001 (at a frame boundary). */
        CLOSE,
        /**
         * Tunnels are left to end by themselves; when the grace period ends, the process stops and whatever is still
         * open is closed without a close frame (for clients that reconnect on any close).
         */
        WAIT;

        public static DrainTunnels fromWire(String s) {
            return switch (s) {
                case "close" -> CLOSE;
                case "wait" -> WAIT;
                default -> throw new IllegalArgumentException("\"" + s + "\" (expected: close or wait)");
            };
        }
    }

    /**
     * Stops accepting: the proxy listeners close (a successor holding the same sockets keeps accepting on them), then
     * drain mode starts: every response carries {@code Connection: close}, idle keep-alive connections get one more
     * request. Connections already accepted are all served. Idempotent.
     */
    public void stopAccepting() {
        if (ctx.draining().on()) return;
        for (Channel l : listeners) l.close().syncUninterruptibly();
        ctx.draining().start();
        for (Channel ch : ctx.connections()) ch.pipeline().fireUserEventTriggered(ProxyHandler.Shutdown.EVENT);
    }

    /** {@link #shutdownGracefully(DrainTunnels)} with {@link DrainTunnels#CLOSE}. */
    public void shutdownGracefully() {
        shutdownGracefully(DrainTunnels.CLOSE);
    }

    /**
     * Graceful: stop accepting, let requests finish, and give tunnels the grace period; then close what remains as
     * {@code tunnels} says. Blocks until done. A second call (SIGTERM during a handover drain) waits for the first.
     */
    public void shutdownGracefully(DrainTunnels tunnels) {
        synchronized (shutdownLock) {
            if (closed) return;
            stopAccepting();
            long deadline = System.nanoTime() + settings.shutdownGrace().toNanos();
            while (System.nanoTime() < deadline && ctx.connections().size() > 0) sleep(20);
            List<Tunnel> left = ctx.tunnels().snapshot();
            if (!left.isEmpty() && tunnels == DrainTunnels.CLOSE) {
                LOG.info("grace period over: closing {} tunnels with 1001", left.size());
                for (Tunnel t : left) t.close(CloseReason.SHUTDOWN, 0);
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                while (System.nanoTime() < until && ctx.tunnels().size() > 0) sleep(20);
            } else if (!left.isEmpty()) {
                LOG.info("grace period over: {} tunnels still open are closed with the process", left.size());
            }
            close();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Immediate close of everything. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        ctx.health().close();
        for (Channel l : listeners) l.close();
        if (statusListener != null) statusListener.close();
        ctx.connections().close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        workers.terminationFuture().awaitUninterruptibly(3, TimeUnit.SECONDS);
        ctx.accessLog().close();
    }
}
