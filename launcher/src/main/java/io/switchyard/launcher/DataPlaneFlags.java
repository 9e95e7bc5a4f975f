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

    @Option(names = "--access-log", defaultValue = "stdout", paramLabel = "stdout|off|PATH",
            description = "access log destination: one line per request and per tunnel, written off the event loops (default: ${DEFAULT-VALUE})")
    String accessLog;

    @Option(names = "--access-log-format", defaultValue = "text", paramLabel = "text|json",
            description = "access log format: text, or one JSON object per line (default: ${DEFAULT-VALUE})")
    String accessLogFormat;

    /** The access log's format when it is on (for the start-up warm-up to compile that path too), else null. */
    String accessLogFormatIfOn() {
        return "off".equals(accessLog) ? null : accessLogFormat;
    }

    @Option(names = "--drain-tunnels", defaultValue = "close",
            description = "on SIGTERM or handover, what happens to tunnels when --shutdown-grace ends: close (a WebSocket close "
                    + "1001) or wait (left to end by themselves; what is still open closes with the process) (default: ${DEFAULT-VALUE})")
    String drainTunnels;

    @Option(names = "--cluster-token-file", description = "file holding the cluster secret (else SWITCHYARD_CLUSTER_TOKEN)")
    Path clusterTokenFile;

    @Option(names = "--control-plane-ca", paramLabel = "FILE",
            description = "PEM CA bundle to verify an https:// control plane with (default: the JDK's trusted CAs)")
    Path controlPlaneCa;

    @Option(names = "--node-tls-cert", paramLabel = "FILE",
            description = "PEM certificate naming this node's id, presented to a control plane that requires mutual TLS")
    Path nodeTlsCert;

    @Option(names = "--node-tls-key", paramLabel = "FILE", description = "PEM private key of --node-tls-cert")
    Path nodeTlsKey;

    /** The fleet channel's TLS client context, or null when no TLS flag was given (the JDK's defaults). */
    javax.net.ssl.SSLContext fleetTls(Path defaultCa) {
        if ((nodeTlsCert == null) != (nodeTlsKey == null))
            throw new IllegalArgumentException("node TLS: give both --node-tls-cert and --node-tls-key");
        Path ca = controlPlaneCa != null ? controlPlaneCa : defaultCa;
        if (ca == null && nodeTlsCert == null) return null;
        return io.switchyard.controlplane.FleetClientTls.context(ca, nodeTlsCert, nodeTlsKey);
    }

    io.switchyard.dataplane.DataPlaneSettings settings(String nodeId) {
        if (!accessLogFormat.equals("text") && !accessLogFormat.equals("json"))
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--access-log-format: \"" + accessLogFormat + "\" (expected: text or json)");
        return new io.switchyard.dataplane.DataPlaneSettings(listen, tlsListen, status, nodeId, 0, shutdownGrace)
                .withAccessLog(accessLog, accessLogFormat);
    }

    io.switchyard.dataplane.DataPlane.DrainTunnels drainTunnels() {
        try {
            return io.switchyard.dataplane.DataPlane.DrainTunnels.fromWire(drainTunnels);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--drain-tunnels: " + e.getMessage());
        }
    }

    String clusterToken() {
        return Flags.secret(clusterTokenFile, "SWITCHYARD_CLUSTER_TOKEN");
    }
}
