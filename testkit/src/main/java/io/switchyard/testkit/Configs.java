package io.switchyard.testkit;

import io.switchyard.config.Balance;
import io.switchyard.config.Config;
import io.switchyard.config.OnTargetRemoved;
import io.switchyard.config.Route;
import io.switchyard.config.Snapshot;
import io.switchyard.config.Target;
import io.switchyard.config.Timeouts;
import io.switchyard.config.Upstream;

import java.util.Arrays;
import java.util.List;

/**
 * Small builders for the snapshots tests apply: {@code simple(1, Balance.ROUND_ROBIN, echo.address())} for one
 * upstream behind "/", {@link #route(String, String, String)} for a plain route, and {@link #routeBuilder} for one
 * with hosts, prefix stripping, Host preservation or timeouts, each said by name.
 */
public final class Configs {
    private Configs() {
    }

    public static Upstream upstream(String name, Balance balance, String... addresses) {
        return new Upstream(name, balance, Arrays.stream(addresses).map(Target::new).toList());
    }

    /** Requests under {@code prefix}, any host, to {@code upstream}. */
    public static Route route(String name, String prefix, String upstream) {
        return new Route(name, List.of(), prefix, upstream);
    }

    /** A route with more than a prefix: {@code routeBuilder("r", "/", "app").preserveHost().build()}. */
    public static RouteBuilder routeBuilder(String name, String prefix, String upstream) {
        return new RouteBuilder(name, prefix, upstream);
    }

    /** A route whose tunnels, when their target leaves the upstream, drain for {@code graceMs}. */
    public static Route drainingRoute(String name, String prefix, String upstream, long graceMs) {
        return routeBuilder(name, prefix, upstream).drainOnTargetRemoved(graceMs).build();
    }

    /** Everything under "/" to one upstream of the given targets. */
    public static Snapshot simple(long version, Balance balance, String... addresses) {
        return new Snapshot(version, new Config(null, List.of(upstream("app", balance, addresses)),
                List.of(route("all", "/", "app")), null));
    }

    public static Snapshot snapshot(long version, List<Upstream> upstreams, List<Route> routes) {
        return new Snapshot(version, new Config(null, upstreams, routes, null));
    }

    /** A route's optional parts, each off until named. */
    public static final class RouteBuilder {
        private final String name;
        private final String prefix;
        private final String upstream;
        private List<String> hosts = List.of();
        private boolean stripPrefix;
        private boolean preserveHost;
        private Timeouts timeouts;
        private OnTargetRemoved onTargetRemoved;

        private RouteBuilder(String name, String prefix, String upstream) {
            this.name = name;
            this.prefix = prefix;
            this.upstream = upstream;
        }

        /** Only requests for these hosts. */
        public RouteBuilder hosts(String... hosts) {
            this.hosts = List.of(hosts);
            return this;
        }

        /** The upstream sees the path without the route's prefix. */
        public RouteBuilder stripPrefix() {
            this.stripPrefix = true;
            return this;
        }

        /** The upstream sees the client's Host, not its own address. */
        public RouteBuilder preserveHost() {
            this.preserveHost = true;
            return this;
        }

        public RouteBuilder timeouts(Timeouts timeouts) {
            this.timeouts = timeouts;
            return this;
        }

        public RouteBuilder drainOnTargetRemoved(long graceMs) {
            this.onTargetRemoved = new OnTargetRemoved(OnTargetRemoved.Action.DRAIN, graceMs);
            return this;
        }

        public Route build() {
            return new Route(name, hosts, prefix, upstream, stripPrefix, preserveHost, timeouts, onTargetRemoved, false);
        }
    }
}
