package io.switchyard.dataplane.internal;

import io.netty.channel.group.ChannelGroup;
import io.switchyard.dataplane.status.Metrics;
import io.switchyard.dataplane.tunnel.TunnelRegistry;
import io.switchyard.dataplane.upstream.UpstreamPool;

import java.util.concurrent.atomic.AtomicReference;

/**
 * What every connection of one data plane shares: the published {@link Serving} state (read once per
 * request or handshake into a local), counters, open tunnels, the upstream pool. Thread-safe. Internal.
 *
 * @param headerTimeoutMs how long a client may take to send a complete request head (slowloris guard)
 * @param tlsPort         the bound TLS port (0 when none), for {@code https_only} redirects
 * @param accessLog       where requests and tunnels are logged (written off the event loops)
 * @param health          target health: passive failures are reported here, active probes run from here
 */
public record Context(AtomicReference<Serving> serving, Metrics metrics, TunnelRegistry tunnels,
                      UpstreamPool pool, ChannelGroup connections, Draining draining, long headerTimeoutMs,
                      java.util.concurrent.atomic.AtomicInteger tlsPort,
                      io.switchyard.dataplane.accesslog.AccessLog accessLog,
                      io.switchyard.dataplane.health.HealthMonitor health) {

    /** Set once when graceful shutdown begins: responses then carry {@code Connection: close}. */
    public static final class Draining {
        private volatile boolean on;

        public boolean on() {
            return on;
        }

        public void start() {
            on = true;
        }
    }
}
