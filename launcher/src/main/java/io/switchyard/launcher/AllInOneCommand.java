package io.switchyard.launcher;

import io.switchyard.controlplane.ControlPlane;
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

/**
 * Control plane plus one data plane in one process. The data plane subscribes through the same fleet
 * channel and code path as a remote node (hello, push, ACK), over loopback.
 */
@Command(name = "all-in-one", mixinStandardHelpOptions = true,
        description = "Run a control plane and one data plane in one process (SQLite in ./switchyard.db).")
final class AllInOneCommand implements Callable<Integer> {
    @Option(names = "--admin", defaultValue = "127.0.0.1:9090", converter = Flags.Address.class,
            description = "admin REST API (default: ${DEFAULT-VALUE})")
    InetSocketAddress admin;

    @Option(names = "--db", defaultValue = "./switchyard.db", description = "SQLite file (default: ${DEFAULT-VALUE})")
    Path db;

    @Option(names = "--listen", defaultValue = "0.0.0.0:8080", converter = Flags.Address.class,
            description = "plain HTTP + WebSocket listener (default: ${DEFAULT-VALUE})")
    InetSocketAddress listen;

    @Option(names = "--tls-listen", converter = Flags.Address.class, description = "HTTPS + WSS listener (default: off)")
    InetSocketAddress tlsListen;

    @Option(names = "--status", defaultValue = "127.0.0.1:9091", converter = Flags.Address.class,
            description = "GET /status and /metrics (default: ${DEFAULT-VALUE})")
    InetSocketAddress status;

    @Option(names = "--state-dir", defaultValue = "./switchyard-state", description = "data plane's snapshot cache (default: ${DEFAULT-VALUE})")
    Path stateDir;

    @Option(names = "--node-id", defaultValue = "all-in-one", description = "the data plane's name in the fleet (default: ${DEFAULT-VALUE})")
    String nodeId;

    @Option(names = "--admin-token-file", description = "file holding the admin bearer token (else SWITCHYARD_ADMIN_TOKEN)")
    Path adminTokenFile;

    @Option(names = "--cluster-token-file", description = "file holding the cluster secret (else SWITCHYARD_CLUSTER_TOKEN)")
    Path clusterTokenFile;

    @Option(names = "--shutdown-grace", defaultValue = "10s", converter = DurationConverter.class,
            description = "on SIGTERM, how long tunnels get before a 1001 close (default: ${DEFAULT-VALUE})")
    Duration shutdownGrace;

    @Override
    public Integer call() {
        var cpSettings = ControlPlaneCommand.settings(admin, db, adminTokenFile, clusterTokenFile);
        ControlPlane cp = ControlPlane.start(cpSettings);
        Node node;
        try {
            InetSocketAddress a = cp.adminAddress();
            String host = a.getAddress() == null || a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : ControlPlaneCommand.hostPort(a).replaceAll(":\\d+$", "");
            URI url = URI.create("http://" + host + ":" + a.getPort());
            node = Node.start(new DataPlaneSettings(listen, tlsListen, status, nodeId, 0, shutdownGrace),
                    url, null, stateDir, cpSettings.clusterToken(), Main.softwareVersion());
        } catch (RuntimeException e) {
            cp.close();
            throw e;
        }
        LoggerFactory.getLogger("switchyard").info("switchyard all-in-one ready: admin http://{}, listen {}{}, status {}, db {}",
                ControlPlaneCommand.hostPort(cp.adminAddress()), ControlPlaneCommand.hostPort(node.dataPlane().listenAddress()),
                node.dataPlane().tlsAddress() == null ? "" : ", tls " + ControlPlaneCommand.hostPort(node.dataPlane().tlsAddress()),
                ControlPlaneCommand.hostPort(node.dataPlane().statusAddress()), db);
        return Lifecycle.runUntilSignal(() -> {
            node.shutdownGracefully();
            cp.close();
        });
    }
}
