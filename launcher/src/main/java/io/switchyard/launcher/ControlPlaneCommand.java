package io.switchyard.launcher;

import io.switchyard.config.HostPort;
import io.switchyard.controlplane.ControlPlane;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "control-plane", mixinStandardHelpOptions = true,
        description = "Run the admin REST API and the fleet channel over a SQLite or PostgreSQL database.")
final class ControlPlaneCommand implements Callable<Integer> {
    @Mixin
    ControlPlaneFlags cp;

    @Option(names = "--cluster-token-file", description = "file holding the cluster secret (else SWITCHYARD_CLUSTER_TOKEN)")
    Path clusterTokenFile;

    @Override
    public Integer call() {
        ControlPlane plane = ControlPlane.start(cp.settings(clusterTokenFile));
        LoggerFactory.getLogger("switchyard").info("switchyard control-plane ready: admin {}://{}, db {}",
                plane.tls() ? "https" : "http", hostPort(plane.adminAddress()), cp.db);
        return Lifecycle.runUntilSignal(plane::close);
    }

    static String hostPort(InetSocketAddress a) {
        return HostPort.of(a).toString();
    }
}
