package io.switchyard.launcher;

import io.switchyard.launcher.node.Node;
import io.switchyard.launcher.node.NodeLifecycle;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import static io.switchyard.launcher.ControlPlaneCommand.hostPort;

@Command(name = "data-plane", mixinStandardHelpOptions = true,
        description = "Serve HTTP and WebSocket traffic from a config file and/or a control plane.")
final class DataPlaneCommand implements Callable<Integer> {
    @Mixin
    DataPlaneFlags dp;

    @Option(names = "--control-plane", converter = Flags.Url.class, split = ",", paramLabel = "URL",
            description = "control plane URL, e.g. http://10.0.0.5:9090; repeat it (or separate by commas) for several control planes "
                    + "on one database: the node uses one and fails over to the next")
    List<URI> controlPlane = new ArrayList<>();

    @Option(names = "--config", description = "declarative config file to serve instead of (or before) a control plane")
    Path config;

    @Option(names = "--node-id", description = "this node's name in the fleet (default: host name)")
    String nodeId;

    @Option(names = "--take-over", description = "take the listening sockets from the running process of this node (same flags, "
            + "same --state-dir): it stops accepting, drains and exits 0, with no connection refused; without one, start normally")
    boolean takeOver;

    @Override
    public Integer call() {
        if (controlPlane.isEmpty() && config == null && !dp.stateDir.resolve("snapshot.json").toFile().exists())
            throw new IllegalArgumentException("nothing to serve: give --config FILE and/or --control-plane URL");
        String id = nodeId != null ? nodeId : Flags.hostName();
        Warmup.fromProperty(dp.accessLogFormatIfOn());
        // A successor that takes our sockets over makes us drain; then this process exits 0 by itself.
        NodeLifecycle lifecycle = new NodeLifecycle(takeOver, dp.drainTunnels(), () -> System.exit(0));
        Node node = Node.start(dp.settings(id), controlPlane, dp.fleetTls(null), config, dp.stateDir, dp.clusterToken(),
                Main.softwareVersion(), dp.initialWait, lifecycle);
        var plane = node.dataPlane();
        LoggerFactory.getLogger("switchyard").info("switchyard data-plane ready: node {}, listen {}{}, status {}{}",
                id, hostPort(plane.listenAddress()),
                plane.tlsAddress() == null ? "" : ", tls " + hostPort(plane.tlsAddress()),
                hostPort(plane.statusAddress()),
                controlPlane.isEmpty() ? "" : ", control plane " + String.join(", ", controlPlane.stream().map(URI::toString).toList()));
        return Lifecycle.runUntilSignal(node::shutdownGracefully);
    }
}
