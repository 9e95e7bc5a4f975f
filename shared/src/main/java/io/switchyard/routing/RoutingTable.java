package io.switchyard.routing;

import io.switchyard.config.Config;
import io.switchyard.config.Route;
import io.switchyard.config.Snapshot;
import io.switchyard.config.Target;
import io.switchyard.config.Upstream;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A snapshot compiled for the request path: host lookup by hash (exact, then {@code *.} wildcard,
 * then routes without hosts), then the longest segment-aware path prefix through a {@link PathTrie}.
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
    private final Map<String, PathTrie> exact;
    private final Map<String, PathTrie> wildcard;
    private final PathTrie anyHost;
    private final Set<String> targetKeys;
    private final Map<String, AtomicInteger> counters;
    private final int routeCount;

    private RoutingTable() {
        this.snapshot = null;
        this.exact = Map.of();
        this.wildcard = Map.of();
        this.anyHost = new PathTrie();
        this.targetKeys = Set.of();
        this.counters = Map.of();
        this.routeCount = 0;
    }

    private RoutingTable(Snapshot snapshot, RoutingTable previous) {
        Config config = snapshot.config();
        config.requireKeys();
        this.snapshot = snapshot;
        Map<String, AtomicInteger> oldCounters = previous == null ? Map.of() : previous.counters;
        Map<String, AtomicInteger> newCounters = new HashMap<>();
        Set<String> keys = new HashSet<>();
        Map<String, Balancer> balancers = new HashMap<>();
        for (Upstream u : config.upstreams()) {
            List<TargetState> states = new ArrayList<>(u.targets().size());
            for (Target t : u.targets()) {
                String key = key(u.name(), t.address());
                AtomicInteger counter = oldCounters.getOrDefault(key, new AtomicInteger());
                newCounters.put(key, counter);
                keys.add(key);
                states.add(new TargetState(u.name(), t.address(), t.weight(), counter));
            }
            balancers.put(u.name(), Balancers.of(u.balance(), states));
        }
        Map<String, PathTrie> exactMap = new HashMap<>();
        Map<String, PathTrie> wildMap = new HashMap<>();
        PathTrie any = new PathTrie();
        Map<String, Upstream> upstreams = config.upstreamsByName();
        for (Route r : config.routes()) {
            Upstream u = upstreams.get(r.upstream());
            CompiledRoute cr = new CompiledRoute(r, u, balancers.get(u.name()), config.timeouts());
            if (r.hosts().isEmpty()) {
                any.put(r.pathPrefix(), cr);
            }
            for (String h : r.hosts()) {
                if (h.startsWith("*.")) wildMap.computeIfAbsent(h.substring(2), k -> new PathTrie()).put(r.pathPrefix(), cr);
                else exactMap.computeIfAbsent(h, k -> new PathTrie()).put(r.pathPrefix(), cr);
            }
        }
        this.exact = exactMap;
        this.wildcard = wildMap;
        this.anyHost = any;
        this.targetKeys = keys;
        this.counters = newCounters;
        this.routeCount = config.routes().size();
    }

    /**
     * Compiles {@code snapshot}. Connection counters of targets present in {@code previous} (same
     * upstream name and address) are carried over, so {@code least_conn} still sees tunnels opened
     * before the swap.
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
        String h = normalizeHost(host);
        if (h != null) {
            PathTrie t = exact.get(h);
            if (t != null) {
                CompiledRoute r = t.longest(path);
                if (r != null) return r;
            }
            if (!wildcard.isEmpty()) {
                int dot = h.indexOf('.');
                if (dot > 0) {
                    t = wildcard.get(h.substring(dot + 1));
                    if (t != null) {
                        CompiledRoute r = t.longest(path);
                        if (r != null) return r;
                    }
                }
            }
        }
        return anyHost.longest(path);
    }

    /** Whether this table still has {@code address} as a target of {@code upstream}. */
    public boolean containsTarget(String upstream, String address) {
        return targetKeys.contains(key(upstream, address));
    }

    static String normalizeHost(String host) {
        if (host == null || host.isEmpty()) return null;
        String h = host;
        if (h.charAt(0) == '[') {
            int end = h.indexOf(']');
            h = end > 0 ? h.substring(0, end + 1) : h;
        } else {
            int colon = h.indexOf(':');
            if (colon >= 0) h = h.substring(0, colon);
        }
        if (h.endsWith(".")) h = h.substring(0, h.length() - 1);
        return h.toLowerCase(Locale.ROOT);
    }

    private static String key(String upstream, String address) {
        return upstream + '\u0000' + address;
    }
}
