package io.switchyard.launcher;

import io.switchyard.dataplane.DataPlaneSettings;
import io.switchyard.launcher.node.Node;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

@Command(name = "data-plane", mixinStandardHelpOptions = true,
        description = "Serve HTTP and WebSocket traffic from a config file and/or a control plane.")
final class DataPlaneCommand implements Callable<Integer> {
    @Option(names = "--listen", defaultValue = "0.0.0.0:8080", converter = Flags.Address.class,
            description = "plain HTTP + WebSocket listener (default: ${DEFAULT-VALUE})")
    InetSocketAddress listen;

    @Option(names = "--tls-listen", converter = Flags.Address.class, description = "HTTPS + WSS listener (default: off)")
    InetSocketAddress tlsListen;

    @Option(names = "--status", defaultValue = "127.0.0.1:9091", converter = Flags.Address.class,
            description = "GET /status and /metrics (default: ${DEFAULT-VALUE})")
    InetSocketAddress status;

    @Option(names = "--control-plane", converter = Flags.Url.class, description = "control plane URL, e.g. http://10.0.0.5:9090")
    URI controlPlane;

    @Option(names = "--config", description = "declarative config file to serve instead of (or before) a control plane")
    Path config;

    @Option(names = "--node-id", description = "this node's name in the fleet (default: host name)")
    String nodeId;

    @Option(names = "--state-dir", defaultValue = "./switchyard-state", description = "where the last applied snapshot is kept (default: ${DEFAULT-VALUE})")
    Path stateDir;

    @Option(names = "--cluster-token-file", description = "file holding the cluster secret (else SWITCHYARD_CLUSTER_TOKEN)")
    Path clusterTokenFile;

    @Option(names = "--shutdown-grace", defaultValue = "10s", converter = DurationConverter.class,
            description = "on SIGTERM, how long requests and tunnels get before tunnels are closed with 1001 (default: ${DEFAULT-VALUE})")
    Duration shutdownGrace;

    @Override
    public Integer call() {
        if (controlPlane == null && config == null && !stateDir.resolve("snapshot.json").toFile().exists())
            throw new IllegalArgumentException("nothing to serve: give --config FILE and/or --control-plane URL");
        String token = Flags.secret(clusterTokenFile, "SWITCHYARD_CLUSTER_TOKEN");
        String id = nodeId != null ? nodeId : Flags.hostName();
        DataPlaneSettings settings = new DataPlaneSettings(listen, tlsListen, status, id, 0, shutdownGrace);
        Node node = Node.start(settings, controlPlane, config, stateDir, token, Main.softwareVersion());
        LoggerFactory.getLogger("switchyard").info("switchyard data-plane ready: node {}, listen {}{}, status {}{}",
                id, ControlPlaneCommand.hostPort(node.dataPlane().listenAddress()),
                node.dataPlane().tlsAddress() == null ? "" : ", tls " + ControlPlaneCommand.hostPort(node.dataPlane().tlsAddress()),
                ControlPlaneCommand.hostPort(node.dataPlane().statusAddress()),
                controlPlane == null ? "" : ", control plane " + controlPlane);
        return Lifecycle.runUntilSignal(node::shutdownGracefully);
    }
}
