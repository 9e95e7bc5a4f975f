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

    @Option(names = "--take-over", description = "take the listening sockets from the running all-in-one of this state dir: it "
            + "stops accepting, closes its control plane (freeing the database and the admin port for this one), drains and exits 0")
    boolean takeOver;

    @Override
    public Integer call() {
        ControlPlaneSettings cpSettings = cp.settings(dp.clusterTokenFile);
        if (takeOver && cpSettings.admin().getPort() == 0)
            throw new IllegalArgumentException("--take-over needs a fixed --admin port (the node dials it before this control plane starts)");
        Warmup.fromProperty(dp.accessLogFormatIfOn());
        // Taking over: the running process holds the database and the admin port until it lets go, so this control plane
        // starts after the node took the sockets; the node's agent retries until it answers.
        java.util.concurrent.atomic.AtomicReference<ControlPlane> planeRef = new java.util.concurrent.atomic.AtomicReference<>();
        if (!takeOver) planeRef.set(ControlPlane.start(cpSettings));
        Node node;
        try {
            InetSocketAddress a = planeRef.get() != null ? planeRef.get().adminAddress() : cpSettings.admin();
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
            ControlPlane running = planeRef.get();
            node = Node.start(dp.settings(nodeId), cps, tls, null, dp.stateDir, cpSettings.clusterToken(), Main.softwareVersion(),
                    // A fresh database has nothing to wait for: listen at once and answer 503 until the first write.
                    running != null && running.currentVersion() > 0 ? dp.initialWait : java.time.Duration.ZERO,
                    new io.switchyard.launcher.node.NodeLifecycle(takeOver, dp.drainTunnels(), () -> System.exit(0), () -> {
                        ControlPlane p = planeRef.getAndSet(null);
                        if (p != null) p.close();
                    }));
            if (planeRef.get() == null) planeRef.set(ControlPlane.start(cpSettings));
        } catch (RuntimeException e) {
            ControlPlane p = planeRef.get();
            if (p != null) p.close();
            throw e;
        }
        var data = node.dataPlane();
        ControlPlane plane = planeRef.get();
        LoggerFactory.getLogger("switchyard").info("switchyard all-in-one ready: admin {}://{}, listen {}{}, status {}, db {}",
                plane.tls() ? "https" : "http", hostPort(plane.adminAddress()), hostPort(data.listenAddress()),
                data.tlsAddress() == null ? "" : ", tls " + hostPort(data.tlsAddress()),
                hostPort(data.statusAddress()), cp.db);
        return Lifecycle.runUntilSignal(() -> {
            node.shutdownGracefully();
            ControlPlane p = planeRef.getAndSet(null);
            if (p != null) p.close();
        });
    }
}
