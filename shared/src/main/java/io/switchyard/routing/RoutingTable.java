package io.switchyard.routing;

import io.switchyard.config.Config;
import io.switchyard.config.Health;
import io.switchyard.config.Route;
import io.switchyard.config.Snapshot;
import io.switchyard.config.Target;
import io.switchyard.config.Upstream;
import io.switchyard.host.HostMapping;
import io.switchyard.host.HostNames;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A snapshot compiled for the request path: host lookup through one {@link HostMapping} (exact, then
 * {@code *.} wildcard, then routes without hosts as the fallback), then the longest segment-aware path prefix through a {@link PrefixTable} per host group.
 * Balancers are built here, once. Immutable and thread-safe: the data plane publishes one instance
 * through a single atomic reference and each request or handshake reads it once.
 *
 * <p>When the most specific host group has no prefix matching the path, the lookup falls through to
 * the wildcard group, then to the any-host group (so a catch-all {@code /} route still serves a host
 * that only has {@code /api}).
 */
public final class RoutingTable {
    public static final RoutingTable EMPTY = new RoutingTable();

    private final Snapshot snapshot;
    /** Exact and wildcard hosts' tries; the fallback is the any-host trie (never null). */
    private final HostMapping<PrefixTable> hosts;
    private final Set<String> targetKeys;
    private final Map<String, AtomicInteger> counters;
    private final Map<String, TargetHealth> healths;
    private final Map<String, TargetState> byKey;
    private final int routeCount;

    private RoutingTable() {
        this.snapshot = null;
        this.hosts = HostMapping.<PrefixTable>builder().fallback(new PrefixTable()).build();
        this.targetKeys = Set.of();
        this.counters = Map.of();
        this.healths = Map.of();
        this.byKey = Map.of();
        this.routeCount = 0;
    }

    private RoutingTable(Snapshot snapshot, RoutingTable previous) {
        Config config = snapshot.config();
        config.requireKeys();
        this.snapshot = snapshot;
        Map<String, AtomicInteger> oldCounters = previous == null ? Map.of() : previous.counters;
        Map<String, AtomicInteger> newCounters = new HashMap<>();
        Map<String, TargetHealth> oldHealths = previous == null ? Map.of() : previous.healths;
        Map<String, TargetHealth> newHealths = new HashMap<>();
        Map<String, TargetState> states = new HashMap<>();
        Set<String> keys = new HashSet<>();
        Map<String, Balancer> balancers = new HashMap<>();
        for (Upstream u : config.upstreams()) {
            List<TargetState> targets = new ArrayList<>(u.targets().size());
            // As nginx: a lone target is never held out by passive checks (there is nowhere else to send the work);
            // its failures are still recorded, and active checks still apply.
            Health.Passive passive = u.targets().size() == 1 ? new Health.Passive(0, u.passive().failTimeoutMs()) : u.passive();
            for (Target t : u.targets()) {
                String key = key(u.name(), t.address());
                AtomicInteger counter = oldCounters.getOrDefault(key, new AtomicInteger());
                newCounters.put(key, counter);
                TargetHealth health = oldHealths.get(key);
                if (health == null) health = new TargetHealth();
                newHealths.put(key, health);
                keys.add(key);
                TargetState ts = new TargetState(u.name(), t.address(), t.weight(), counter, t.state(), health, passive);
                states.put(key, ts);
                targets.add(ts);
            }
            balancers.put(u.name(), Balancers.of(u.balance(), targets, u.panic()));
        }
        Map<String, PrefixTable> byPattern = new HashMap<>();
        PrefixTable any = new PrefixTable();
        Map<String, Upstream> upstreams = config.upstreamsByName();
        for (Route r : config.routes()) {
            Upstream u = upstreams.get(r.upstream());
            CompiledRoute cr = CompiledRoute.of(r, u, balancers.get(u.name()), config.timeouts());
            if (r.hosts().isEmpty()) {
                any.put(r.pathPrefix(), cr);
            }
            for (String h : r.hosts()) byPattern.computeIfAbsent(h, k -> new PrefixTable()).put(r.pathPrefix(), cr);
        }
        HostMapping.Builder<PrefixTable> mapping = HostMapping.<PrefixTable>builder().fallback(any);
        byPattern.forEach(mapping::add);
        this.hosts = mapping.build();
        this.targetKeys = keys;
        this.counters = newCounters;
        this.healths = newHealths;
        this.byKey = states;
        this.routeCount = config.routes().size();
    }

    /**
     * Compiles {@code snapshot}. Connection counters and health of targets present in {@code previous}
     * (same upstream name and address) are carried over, so {@code least_conn} still sees tunnels opened
     * before the swap and a target found dead stays out.
     *
     * @throws io.switchyard.config.ConfigException when the snapshot cannot be served (e.g. a certificate without its key)
     */
    public static RoutingTable compile(Snapshot snapshot, RoutingTable previous) {
        if (snapshot == null) throw new IllegalArgumentException("snapshot: null");
        return new RoutingTable(snapshot, previous);
    }

    /** The version served; -1 for {@link #EMPTY}. */
    public long version() {
        return snapshot == null ? -1 : snapshot.version();
    }

    /** The compiled snapshot; null for {@link #EMPTY}. */
    public Snapshot snapshot() {
        return snapshot;
    }

    public Config config() {
        return snapshot == null ? Config.EMPTY : snapshot.config();
    }

    public int routeCount() {
        return routeCount;
    }

    /**
     * @param host the Host header as received (any case, optional {@code :port}, optional trailing dot); null or empty for none
     * @param path the raw request path without query
     * @return the route, or null when none matches
     */
    public CompiledRoute match(String host, String path) {
        String h = HostNames.normalize(host);
        PrefixTable t = hosts.exact(h);
        if (t != null) {
            CompiledRoute r = t.longest(path);
            if (r != null) return r;
        }
        t = hosts.wildcard(h);
        if (t != null) {
            CompiledRoute r = t.longest(path);
            if (r != null) return r;
        }
        return hosts.fallback().longest(path);
    }

    /** Whether this table still has {@code address} as a target of {@code upstream}. */
    public boolean containsTarget(String upstream, String address) {
        return targetKeys.contains(key(upstream, address));
    }

    /** The target {@code address} of {@code upstream} in this table, or null. */
    public TargetState target(String upstream, String address) {
        return byKey.get(key(upstream, address));
    }

    /** Every target of this table, upstream by upstream in document order. */
    public List<TargetState> targets() {
        List<TargetState> out = new ArrayList<>();
        for (Upstream u : config().upstreams())
            for (Target t : u.targets()) out.add(byKey.get(key(u.name(), t.address())));
        return out;
    }

    private static String key(String upstream, String address) {
        return upstream + '\u0000' + address;
    }
}
