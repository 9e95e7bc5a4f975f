package io.switchyard.launcher;

import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

/** The data-plane flags shared by {@code data-plane} and {@code all-in-one} (a picocli mixin). */
final class DataPlaneFlags {
    @Option(names = "--listen", defaultValue = "0.0.0.0:8080", converter = Flags.Address.class,
            description = "plain HTTP + WebSocket listener (default: ${DEFAULT-VALUE})")
    InetSocketAddress listen;

    @Option(names = "--tls-listen", converter = Flags.Address.class, description = "HTTPS + WSS listener (default: off)")
    InetSocketAddress tlsListen;

    @Option(names = "--status", defaultValue = "127.0.0.1:9091", converter = Flags.Address.class,
            description = "GET /status and /metrics (default: ${DEFAULT-VALUE})")
    InetSocketAddress status;

    @Option(names = "--state-dir", defaultValue = "./switchyard-state",
            description = "where the last applied snapshot is kept (default: ${DEFAULT-VALUE})")
    Path stateDir;

    @Option(names = "--shutdown-grace", defaultValue = "10s", converter = DurationConverter.class,
            description = "on SIGTERM, how long requests and tunnels get before tunnels are closed with 1001 (default: ${DEFAULT-VALUE})")
    Duration shutdownGrace;

    @Option(names = "--initial-wait", defaultValue = "10s", converter = DurationConverter.class,
            description = "with a control plane and nothing cached, how long to wait for the first snapshot before listening "
                    + "and answering 503 until it applies (default: ${DEFAULT-VALUE})")
    Duration initialWait;

    @Option(names = "--cluster-token-file", description = "file holding the cluster secret (else SWITCHYARD_CLUSTER_TOKEN)")
    Path clusterTokenFile;

    io.switchyard.dataplane.DataPlaneSettings settings(String nodeId) {
        return new io.switchyard.dataplane.DataPlaneSettings(listen, tlsListen, status, nodeId, 0, shutdownGrace);
    }

    String clusterToken() {
        return Flags.secret(clusterTokenFile, "SWITCHYARD_CLUSTER_TOKEN");
    }
}
