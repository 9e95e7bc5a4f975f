package io.switchyard.dataplane.health;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.switchyard.config.Health;
import io.switchyard.config.Target;
import io.switchyard.config.Upstream;
import io.switchyard.dataplane.tunnel.CloseReason;
import io.switchyard.dataplane.tunnel.Tunnel;
import io.switchyard.dataplane.tunnel.TunnelRegistry;
import io.switchyard.dataplane.upstream.UpstreamPool;
import io.switchyard.routing.RoutingTable;
import io.switchyard.routing.TargetHealth;
import io.switchyard.routing.TargetState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The health of every target of one node: active probes on the event loops, passive failures reported by the request
 * path, and what follows a change (one log line per transition; with {@code on_unhealthy: drain}, the target's tunnels
 * closed with 1001 paced over the upstream's {@code drain_ms}). It also drains the tunnels of targets the operator set
 * {@code draining}. The verdicts live in each target's {@link TargetHealth}, which the routing tables share, so the
 * request path reads them without asking this class. Thread-safe: {@link #update} and {@link #close} are serialized
 * by the caller (the data plane's apply lock) and by this object's monitor; probes run on their event loops.
 */
public final class HealthMonitor {
    private static final Logger LOG = LoggerFactory.getLogger(HealthMonitor.class);

    private final EventLoopGroup loops;
    private final UpstreamPool pool;
    private final TunnelRegistry tunnels;
    private final Supplier<RoutingTable> serving;
    // Guarded by this: the probers running, by upstream and address.
    private final Map<String, Prober> probers = new HashMap<>();
    private boolean closed;

    /** @param serving the table serving now (read when a change needs the upstream's settings) */
    public HealthMonitor(EventLoopGroup loops, UpstreamPool pool, TunnelRegistry tunnels, Supplier<RoutingTable> serving) {
        this.loops = loops;
        this.pool = pool;
        this.tunnels = tunnels;
        this.serving = serving;
    }

    // ---- passive: called by the request path on its event loop ----

    /** Real traffic to {@code target} failed ({@code why}: what). Allocation-free unless the target turns unhealthy. */
    public void failed(TargetState target, String why) {
        TargetHealth.Change c = target.failed(why);
        if (c != TargetHealth.Change.NONE) changed(target.upstream(), target.address(), target.health(), c, "passive");
    }

    /** Real traffic to {@code target} succeeded. */
    public void succeeded(TargetState target) {
        TargetHealth.Change c = target.succeeded();
        if (c != TargetHealth.Change.NONE) changed(target.upstream(), target.address(), target.health(), c, "passive");
    }

    private void changed(String upstream, String address, TargetHealth health, TargetHealth.Change c, String source) {
        if (c == TargetHealth.Change.BECAME_HEALTHY) {
            LOG.info("target {} of upstream {} is healthy again ({} check)", address, upstream, source);
            return;
        }
        Upstream u = serving.get().config().upstream(upstream).orElse(null);
        LOG.warn("target {} of upstream {} is unhealthy ({} check: {}); it gets no new work", address, upstream, source,
                health.lastFailure());
        if (u != null && u.onUnhealthy() == Upstream.OnUnhealthy.DRAIN)
            drain(upstream, address, CloseReason.TARGET_UNHEALTHY, u.drainMs(), () -> !health.healthy());
    }

    // ---- the operator's states and the active probes: called when a snapshot is applied ----

    /**
     * Follows the table just published ({@code addresses}: where its targets are, resolved when it was applied): starts probes for targets of upstreams with {@code health.active}, stops the
     * others (a probe's settings changed: it starts again with them; the target's health stays), and drains the
     * tunnels of targets set {@code draining}.
     */
    public synchronized void update(RoutingTable table, Function<TargetState, InetSocketAddress> addresses) {
        if (closed) return;
        Map<String, Prober> wanted = new HashMap<>();
        for (Upstream u : table.config().upstreams()) {
            Health.Active a = u.active();
            for (Target t : u.targets()) {
                TargetState ts = table.target(u.name(), t.address());
                if (t.state() == Target.State.DRAINING) {
                    BooleanSupplier still = () -> {
                        TargetState now = serving.get().target(u.name(), t.address());
                        return now == null || now.state() == Target.State.DRAINING;
                    };
                    drain(u.name(), t.address(), CloseReason.TARGET_DRAINING, u.drainMs(), still);
                }
                if (a == null) continue;
                String key = u.name() + '\u0000' + t.address();
                InetSocketAddress address = addresses.apply(ts);
                Prober p = probers.remove(key);
                if (p != null && !p.sameAs(u, a, address)) {
                    p.stop();
                    p = null;
                }
                wanted.put(key, p != null ? p : new Prober(u, a, t.address(), address, ts.health()).start());
            }
        }
        for (Prober gone : probers.values()) {
            gone.stop();
            TargetState still = table.target(gone.upstream.name(), gone.target);
            // Probes no longer run for it: their last verdict must not keep it out forever.
            if (still != null) still.health().probesStopped();
        }
        probers.clear();
        probers.putAll(wanted);
    }

    /** Stops every probe. Idempotent. */
    public synchronized void close() {
        closed = true;
        for (Prober p : probers.values()) p.stop();
        probers.clear();
    }

    /**
     * Closes the open tunnels of one target with 1001, tunnel i of n at i * overMs / n, each unless
     * {@code stillWanted} no longer holds by then. The walk over every tunnel runs on Netty's global executor, not
     * on the caller's thread, which may be an event loop.
     */
    private void drain(String upstream, String address, CloseReason why, long overMs, BooleanSupplier stillWanted) {
        GlobalEventExecutor.INSTANCE.execute(() -> {
            List<Tunnel> ts = new ArrayList<>();
            for (Tunnel t : tunnels.snapshot()) {
                if (!t.isOpen() || t.drainScheduled()) continue;
                if (t.target().upstream().equals(upstream) && t.target().address().equals(address)) ts.add(t);
            }
            int n = ts.size();
            if (n == 0) return;
            LOG.info("closing {} tunnels of target {} of upstream {} ({}) over {} ms", n, address, upstream, why.wire(), overMs);
            for (int i = 0; i < n; i++) {
                Tunnel t = ts.get(i);
                if (t.markDrainScheduled()) t.close(why, overMs * i / n, stillWanted);
            }
        });
    }

    /** Probes one target again and again, on one event loop, until stopped. */
    private final class Prober {
        final Upstream upstream;
        final Health.Active active;
        final String target;
        final InetSocketAddress address;
        final TargetHealth health;
        final EventLoop loop;
        private volatile boolean stopped;
        private volatile ScheduledFuture<?> next;

        Prober(Upstream upstream, Health.Active active, String target, InetSocketAddress address, TargetHealth health) {
            this.upstream = upstream;
            this.active = active;
            this.target = target;
            this.address = address;
            this.health = health;
            this.loop = loops.next();
        }

        boolean sameAs(Upstream u, Health.Active a, InetSocketAddress addr) {
            return a.equals(active) && addr.equals(address) && u.tls().equals(upstream.tls())
                    && java.util.Objects.equals(u.sni(), upstream.sni()) && u.verify().equals(upstream.verify())
                    && java.util.Objects.equals(u.caPem(), upstream.caPem());
        }

        /** The first probe at a random point of the first interval, so targets are not all probed at once. */
        Prober start() {
            schedule(ThreadLocalRandom.current().nextLong(active.intervalMs()));
            return this;
        }

        void stop() {
            stopped = true;
            ScheduledFuture<?> f = next;
            if (f != null) f.cancel(false);
        }

        private void schedule(long delayMs) {
            if (stopped || loop.isShuttingDown()) return;
            next = loop.schedule(this::probe, delayMs, TimeUnit.MILLISECONDS);
        }

        private void probe() {
            if (stopped) return;
            Probe.run(loop, pool, upstream, active, target, address, why -> {
                if (stopped) return;
                TargetHealth.Change c = health.probed(why, active.healthyThreshold(), active.unhealthyThreshold());
                if (c != TargetHealth.Change.NONE) changed(upstream.name(), target, health, c, active.type().wire());
                else if (why != null) LOG.debug("probe of target {} of upstream {} failed: {}", target, upstream.name(), why);
                // The next probe an interval after this one ended, give or take 10%: probes never overlap and spread out.
                long interval = active.intervalMs();
                long jitter = interval / 10;
                schedule(interval - jitter + ThreadLocalRandom.current().nextLong(2 * jitter + 1));
            });
        }
    }
}
