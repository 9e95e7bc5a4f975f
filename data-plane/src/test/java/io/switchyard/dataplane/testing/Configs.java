package io.switchyard.dataplane.testing;

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

/** Small builders for the snapshots tests apply. */
public final class Configs {
    private Configs() {
    }

    public static Upstream upstream(String name, Balance balance, String... addresses) {
        return new Upstream(name, balance, Arrays.stream(addresses).map(Target::new).toList());
    }

    public static Route route(String name, String prefix, String upstream) {
        return new Route(name, List.of(), prefix, upstream);
    }

    public static Route route(String name, List<String> hosts, String prefix, String upstream, boolean strip,
                              boolean preserveHost, Timeouts timeouts) {
        return new Route(name, hosts, prefix, upstream, strip, preserveHost, timeouts, null, false);
    }

    public static Route drainingRoute(String name, String prefix, String upstream, long graceMs) {
        return new Route(name, List.of(), prefix, upstream, false, false, null,
                new OnTargetRemoved(OnTargetRemoved.Action.DRAIN, graceMs), false);
    }

    /** Everything under "/" to one upstream of the given targets. */
    public static Snapshot simple(long version, Balance balance, String... addresses) {
        return new Snapshot(version, new Config(null, List.of(upstream("app", balance, addresses)),
                List.of(route("all", "/", "app")), null));
    }

    public static Snapshot snapshot(long version, List<Upstream> upstreams, List<Route> routes) {
        return new Snapshot(version, new Config(null, upstreams, routes, null));
    }
}
