package io.switchyard.launcher;

import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "control-plane", mixinStandardHelpOptions = true,
        description = "Run the admin REST API and the fleet channel over a SQLite database.")
final class ControlPlaneCommand implements Callable<Integer> {
    @Option(names = "--admin", defaultValue = "127.0.0.1:9090", converter = Flags.Address.class,
            description = "admin REST API and fleet channel (default: ${DEFAULT-VALUE})")
    InetSocketAddress admin;

    @Option(names = "--db", defaultValue = "./switchyard.db", description = "SQLite file, created and migrated on start (default: ${DEFAULT-VALUE})")
    Path db;

    @Option(names = "--admin-token-file", description = "file holding the admin bearer token (else SWITCHYARD_ADMIN_TOKEN)")
    Path adminTokenFile;

    @Option(names = "--cluster-token-file", description = "file holding the cluster secret (else SWITCHYARD_CLUSTER_TOKEN)")
    Path clusterTokenFile;

    @Override
    public Integer call() {
        ControlPlane cp = ControlPlane.start(settings(admin, db, adminTokenFile, clusterTokenFile));
        LoggerFactory.getLogger("switchyard").info("switchyard control-plane ready: admin http://{}, db {}",
                hostPort(cp.adminAddress()), db);
        return Lifecycle.runUntilSignal(cp::close);
    }

    static ControlPlaneSettings settings(InetSocketAddress admin, Path db, Path adminTokenFile, Path clusterTokenFile) {
        return new ControlPlaneSettings(admin, db,
                Flags.secret(adminTokenFile, "SWITCHYARD_ADMIN_TOKEN"),
                Flags.secret(clusterTokenFile, "SWITCHYARD_CLUSTER_TOKEN"));
    }

    static String hostPort(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        if (host.contains(":")) host = "[" + host + "]";
        return host + ":" + a.getPort();
    }
}
