package io.switchyard.dataplane.internal;

import io.switchyard.config.ConfigException;
import io.switchyard.config.HostPort;
import io.switchyard.config.Target;
import io.switchyard.config.Upstream;
import io.switchyard.config.Violation;
import io.switchyard.dataplane.tls.ServerCertificates;
import io.switchyard.routing.RoutingTable;
import io.switchyard.routing.TargetState;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a request or handshake needs from the current snapshot, published as one object through
 * one atomic reference so a reader never sees a table from one version with certificates from another.
 * Target addresses are resolved here, when the snapshot is applied (like nginx at config load), so no
 * event loop ever blocks on DNS. Immutable. Internal.
 */
public record Serving(RoutingTable table, Map<String, InetSocketAddress> addresses, ServerCertificates certificates,
                      java.util.concurrent.ConcurrentHashMap<TargetState, String> poolKeys) {
    public Serving(RoutingTable table, Map<String, InetSocketAddress> addresses, ServerCertificates certificates) {
        this(table, addresses, certificates, new java.util.concurrent.ConcurrentHashMap<>());
    }

    public static final Serving EMPTY = new Serving(RoutingTable.EMPTY, Map.of(), ServerCertificates.NONE);

    /**
     * The pool key of {@code target}'s connections (see {@code UpstreamPool.key}), made once per target and table
     * instead of a string per request. TargetState has identity equality: one entry per target of this table.
     */
    public String poolKey(TargetState target, io.switchyard.config.Upstream upstream,
                          java.util.function.BiFunction<io.switchyard.config.Upstream, InetSocketAddress, String> make) {
        return poolKeys.computeIfAbsent(target, t -> make.apply(upstream, address(t)));
    }

    /** The socket address of {@code target}; unresolved when its name did not resolve at apply time. */
    public InetSocketAddress address(TargetState target) {
        InetSocketAddress a = addresses.get(target.address());
        if (a != null) return a;
        HostPort hp = target.hostPort();
        return InetSocketAddress.createUnresolved(hp.host(), hp.port());
    }

    /**
     * Resolves every target of {@code table} again (names may have moved since the last apply); a name that
     * does not resolve now keeps its {@code previous} address, if it had one (a DNS blip does not reject a
     * snapshot). A name that never resolved from this node rejects the snapshot, as {@code nginx -t} refuses
     * "host not found in upstream"; a fleet node NACKs it while the last good table keeps serving. Called on
     * the applying thread, never on an event loop: a host name may block here.
     *
     * @throws ConfigException naming each such target's field
     */
    public static Map<String, InetSocketAddress> resolve(RoutingTable table, Map<String, InetSocketAddress> previous) {
        Map<String, InetSocketAddress> out = new HashMap<>();
        List<Violation> unknown = new ArrayList<>();
        List<Upstream> upstreams = table.config().upstreams();
        for (int i = 0; i < upstreams.size(); i++) {
            List<Target> targets = upstreams.get(i).targets();
            for (int j = 0; j < targets.size(); j++) {
                Target t = targets.get(j);
                if (out.containsKey(t.address())) continue;
                HostPort hp = t.hostPort();
                try {
                    // An IP literal is parsed, not looked up.
                    out.put(t.address(), new InetSocketAddress(InetAddress.getByName(hp.host()), hp.port()));
                } catch (UnknownHostException e) {
                    InetSocketAddress old = previous.get(t.address());
                    if (old != null) out.put(t.address(), old);
                    else unknown.add(new Violation("upstreams[" + i + "].targets[" + j + "].address",
                            "\"" + t.address() + "\" (host not found from this node)"));
                }
            }
        }
        if (!unknown.isEmpty()) throw new ConfigException(unknown);
        return out;
    }
}
