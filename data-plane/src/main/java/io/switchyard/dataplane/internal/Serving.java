package io.switchyard.dataplane.internal;

import io.switchyard.config.HostPort;
import io.switchyard.dataplane.tls.ServerCertificates;
import io.switchyard.routing.RoutingTable;
import io.switchyard.routing.TargetState;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Map;

/**
 * Everything a request or handshake needs from the current snapshot, published as one object through
 * one atomic reference so a reader never sees a table from one version with certificates from another.
 * Target addresses are resolved here, when the snapshot is applied (like nginx at config load), so no
 * event loop ever blocks on DNS. Immutable. Internal.
 */
public record Serving(RoutingTable table, Map<String, InetSocketAddress> addresses, ServerCertificates certificates) {
    public static final Serving EMPTY = new Serving(RoutingTable.EMPTY, Map.of(), ServerCertificates.NONE);

    /** The socket address of {@code target}; unresolved when its name did not resolve at apply time. */
    public InetSocketAddress address(TargetState target) {
        InetSocketAddress a = addresses.get(target.address());
        if (a != null) return a;
        HostPort hp = target.hostPort();
        return InetSocketAddress.createUnresolved(hp.host(), hp.port());
    }

    /**
     * Resolves every target of {@code table} again (names may have moved since the last apply); a name that
     * does not resolve now keeps its {@code previous} address, if it had one. Called on the applying thread,
     * never on an event loop: a host name may block here.
     */
    public static Map<String, InetSocketAddress> resolve(RoutingTable table, Map<String, InetSocketAddress> previous) {
        Map<String, InetSocketAddress> out = new HashMap<>();
        for (var u : table.config().upstreams()) {
            for (var t : u.targets()) {
                if (out.containsKey(t.address())) continue;
                HostPort hp = t.hostPort();
                InetSocketAddress a;
                try {
                    // An IP literal is parsed, not looked up.
                    a = new InetSocketAddress(InetAddress.getByName(hp.host()), hp.port());
                } catch (UnknownHostException e) {
                    InetSocketAddress old = previous.get(t.address());
                    // Unresolved: connecting fails fast with 502 and the next apply tries again.
                    a = old != null ? old : InetSocketAddress.createUnresolved(hp.host(), hp.port());
                }
                out.put(t.address(), a);
            }
        }
        return out;
    }
}
