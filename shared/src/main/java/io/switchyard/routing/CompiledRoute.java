package io.switchyard.routing;

import io.switchyard.config.Route;
import io.switchyard.config.Timeouts;
import io.switchyard.config.Upstream;

/**
 * A route as the request path needs it: its upstream's balancer and its timeouts already resolved
 * over the global ones. Immutable.
 *
 * @param connectMs the resolved connect timeout
 * @param readMs    the resolved read timeout
 * @param sendMs    the resolved send timeout
 */
public record CompiledRoute(Route route, Upstream upstream, Balancer balancer, long connectMs, long readMs, long sendMs) {

    /** The route compiled against its upstream's balancer, its timeouts resolved over {@code global}. */
    static CompiledRoute of(Route route, Upstream upstream, Balancer balancer, Timeouts global) {
        Timeouts t = route.timeouts().over(global);
        return new CompiledRoute(route, upstream, balancer, t.connectMs(), t.readMs(), t.sendMs());
    }

    public String name() {
        return route.name();
    }

    /** The route's {@code merge_slashes}: whether {@link RequestPaths#normalize} merges runs of '/' for it. */
    public boolean mergeSlashes() {
        return route.mergeSlashes();
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
