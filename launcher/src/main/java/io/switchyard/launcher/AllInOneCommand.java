package io.switchyard.launcher;

import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import io.switchyard.launcher.node.Node;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.Callable;

import static io.switchyard.launcher.ControlPlaneCommand.hostPort;

/**
 * Control plane plus one data plane in one process. The data plane subscribes through the same fleet
 * channel and code path as a remote node (hello, push, ACK), over loopback.
 */
@Command(name = "all-in-one", mixinStandardHelpOptions = true,
        description = "Run a control plane and one data plane in one process (SQLite in ./switchyard.db).")
final class AllInOneCommand implements Callable<Integer> {
    @Mixin
    ControlPlaneFlags cp;

    @Mixin
    DataPlaneFlags dp;

    @Option(names = "--node-id", defaultValue = "all-in-one", description = "the data plane's name in the fleet (default: ${DEFAULT-VALUE})")
    String nodeId;

    @Override
    public Integer call() {
        ControlPlaneSettings cpSettings = cp.settings(dp.clusterTokenFile);
        ControlPlane plane = ControlPlane.start(cpSettings);
        Node node;
        try {
            InetSocketAddress a = plane.adminAddress();
            // The node dials the admin listener like a remote node would; a wildcard bind is reached over loopback.
            String dial = a.getAddress() == null || a.getAddress().isAnyLocalAddress() ? "127.0.0.1:" + a.getPort() : hostPort(a);
            // With TLS, the node trusts the admin certificate itself (unless given a CA) and dials the name the
            // operator gave --admin, which that certificate must name ("localhost" for a wildcard bind).
            java.util.List<URI> cps = java.util.List.of(URI.create("http://" + dial));
            javax.net.ssl.SSLContext tls = null;
            if (cpSettings.tls() != null) {
                String host = a.getAddress() == null || a.getAddress().isAnyLocalAddress() ? "localhost" : cp.admin.getHostString();
                cps = java.util.List.of(URI.create("https://" + io.switchyard.config.HostPort.of(new InetSocketAddress(host, a.getPort()))));
                tls = dp.fleetTls(cpSettings.tls().certFile());
            }
            node = Node.start(dp.settings(nodeId), cps, tls, null, dp.stateDir, cpSettings.clusterToken(), Main.softwareVersion(),
                    // A fresh database has nothing to wait for: listen at once and answer 503 until the first write.
                    plane.currentVersion() > 0 ? dp.initialWait : java.time.Duration.ZERO,
                    // The control plane in this process holds the database: no socket handover here (see README).
                    new io.switchyard.launcher.node.NodeLifecycle(false, dp.drainTunnels(), null));
        } catch (RuntimeException e) {
            plane.close();
            throw e;
        }
        var data = node.dataPlane();
        LoggerFactory.getLogger("switchyard").info("switchyard all-in-one ready: admin {}://{}, listen {}{}, status {}, db {}",
                plane.tls() ? "https" : "http", hostPort(plane.adminAddress()), hostPort(data.listenAddress()),
                data.tlsAddress() == null ? "" : ", tls " + hostPort(data.tlsAddress()),
                hostPort(data.statusAddress()), cp.db);
        return Lifecycle.runUntilSignal(() -> {
            node.shutdownGracefully();
            plane.close();
        });
    }
}
