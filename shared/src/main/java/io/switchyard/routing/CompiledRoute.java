package io.switchyard.routing;

import io.switchyard.config.Route;
import io.switchyard.config.Timeouts;
import io.switchyard.config.Upstream;

/**
 * A route as the request path needs it: its upstream's balancer and its timeouts already resolved
 * over the global ones. Immutable.
 */
public final class CompiledRoute {
    private final Route route;
    private final Upstream upstream;
    private final Balancer balancer;
    private final long connectMs;
    private final long readMs;
    private final long sendMs;

    CompiledRoute(Route route, Upstream upstream, Balancer balancer, Timeouts global) {
        this.route = route;
        this.upstream = upstream;
        this.balancer = balancer;
        Timeouts t = route.timeouts().over(global);
        this.connectMs = t.connectMs();
        this.readMs = t.readMs();
        this.sendMs = t.sendMs();
    }

    public String name() {
        return route.name();
    }

    public Route route() {
        return route;
    }

    /** The route's {@code merge_slashes}: whether {@link RequestPaths#normalize} merges runs of '/' for it. */
    public boolean mergeSlashes() {
        return route.mergeSlashes();
    }

    public Upstream upstream() {
        return upstream;
    }

    public Balancer balancer() {
        return balancer;
    }

    public long connectMs() {
        return connectMs;
    }

    public long readMs() {
        return readMs;
    }

    public long sendMs() {
        return sendMs;
    }

    /**
     * The path (and query) to send upstream: with {@code strip_prefix}, the route's prefix removed
     * ({@code /wss/x?a=1} becomes {@code /x?a=1}, {@code /wss} becomes {@code /}); otherwise unchanged.
     */
    public String rewritePath(String pathAndQuery) {
        if (!route.stripPrefix() || route.pathPrefix().equals("/")) return pathAndQuery;
        String prefix = route.pathPrefix();
        if (!pathAndQuery.startsWith(prefix)) return pathAndQuery;
        String rest = pathAndQuery.substring(prefix.length());
        if (rest.isEmpty()) return "/";
        if (rest.charAt(0) == '?') return "/" + rest;
        return rest;
    }

    @Override
    public String toString() {
        return "route " + route.name() + " -> " + upstream.name();
    }
}
