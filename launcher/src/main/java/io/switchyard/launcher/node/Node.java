package io.switchyard.launcher.node;

import io.switchyard.config.ConfigCodec;
import io.switchyard.config.ConfigException;
import io.switchyard.config.Snapshot;
import io.switchyard.dataplane.DataPlane;
import io.switchyard.dataplane.DataPlaneSettings;
import io.switchyard.dataplane.Handover;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A data plane plus how it gets its configuration: a {@code --config} file, the snapshot cached in
 * its state directory, and (when given) a control plane it subscribes to through a {@link NodeAgent}.
 */
public final class Node implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("switchyard.node");

    private final DataPlane dataPlane;
    private final NodeAgent agent;
    private final DataPlane.DrainTunnels drainTunnels;
    private volatile Handover.Offer offer;

    private Node(DataPlane dataPlane, NodeAgent agent, DataPlane.DrainTunnels drainTunnels) {
        this.dataPlane = dataPlane;
        this.agent = agent;
        this.drainTunnels = drainTunnels;
    }

    /**
     * @param controlPlane control plane base URL, or null to serve only the file / cached snapshot
     * @param configFile   declarative document to serve before (or instead of) a control plane, or null
     * @param stateDir     where the last applied snapshot is kept
     * @throws IllegalArgumentException with a one-line message for an unreadable or invalid config file
     */
    public static Node start(DataPlaneSettings settings, URI controlPlane, Path configFile, Path stateDir,
                             String clusterToken, String softwareVersion) {
        return start(settings, controlPlane, configFile, stateDir, clusterToken, softwareVersion, DEFAULT_INITIAL_WAIT);
    }

    /** How long a node with nothing to serve waits for its first snapshot before it listens anyway (and answers 503). */
    public static final Duration DEFAULT_INITIAL_WAIT = Duration.ofSeconds(10);

    public static Node start(DataPlaneSettings settings, URI controlPlane, Path configFile, Path stateDir,
                             String clusterToken, String softwareVersion, Duration initialWait) {
        return start(settings, controlPlane == null ? List.of() : List.of(controlPlane), null, configFile, stateDir,
                clusterToken, softwareVersion, initialWait);
    }

    /** As above, with several control planes sharing one database: the node uses one and fails over to the next. */
    public static Node start(DataPlaneSettings settings, List<URI> controlPlanes, Path configFile, Path stateDir,
                             String clusterToken, String softwareVersion) {
        return start(settings, controlPlanes, null, configFile, stateDir, clusterToken, softwareVersion, DEFAULT_INITIAL_WAIT);
    }

    public static Node start(DataPlaneSettings settings, List<URI> controlPlanes, javax.net.ssl.SSLContext fleetTls, Path configFile,
                             Path stateDir, String clusterToken, String softwareVersion) {
        return start(settings, controlPlanes, fleetTls, configFile, stateDir, clusterToken, softwareVersion, DEFAULT_INITIAL_WAIT);
    }

    /**
     * The proxy listeners open only after the snapshot the node has (file or cache) is applied, so a client never meets
     * a listener without configuration. With nothing to serve yet, the node waits up to {@code initialWait} for the
     * control plane's first snapshot, then listens and answers 503 until one applies.
     *
     * @param fleetTls TLS client context for https:// control planes (trust, and a client certificate for mutual TLS), or null
     */
    public static Node start(DataPlaneSettings settings, List<URI> controlPlanes, javax.net.ssl.SSLContext fleetTls, Path configFile,
                             Path stateDir, String clusterToken, String softwareVersion, Duration initialWait) {
        return start(settings, controlPlanes, fleetTls, configFile, stateDir, clusterToken, softwareVersion, initialWait,
                NodeLifecycle.EMBEDDED);
    }

    /**
     * As above, as a process that may take its listening sockets over from the running process of this node, and offers
     * them to its own successor ({@code lifecycle}). On a take-over the old process stops accepting and stops writing the
     * state file before this one starts its fleet agent, so two processes never write it at once.
     */
    public static Node start(DataPlaneSettings settings, List<URI> controlPlanes, javax.net.ssl.SSLContext fleetTls, Path configFile,
                             Path stateDir, String clusterToken, String softwareVersion, Duration initialWait,
                             NodeLifecycle lifecycle) {
        URI controlPlane = controlPlanes.isEmpty() ? null : controlPlanes.get(0);
        StateDir state = new StateDir(stateDir);
        Snapshot fromFile = null;
        if (configFile != null) {
            try {
                // Keys and target names are checked where they are used, by the data plane's apply below.
                fromFile = new Snapshot(0, ConfigCodec.readConfig(Files.readAllBytes(configFile)));
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read config file " + configFile + ": " + e.getMessage());
            } catch (ConfigException e) {
                throw new IllegalArgumentException("invalid config file " + configFile + ": " + e.getMessage());
            }
        }
        Optional<Snapshot> cached;
        try {
            cached = state.load();
        } catch (IllegalStateException e) {
            log.warn("{}; ignoring it", e.getMessage());
            cached = Optional.empty();
        }
        // A snapshot from the control plane (cached) is newer than a bootstrap file when a control plane is
        // configured; without one, the file the operator named wins.
        Snapshot initial;
        String source;
        if (fromFile != null && (controlPlane == null || cached.isEmpty())) {
            initial = fromFile;
            source = "config file " + configFile;
        } else if (cached.isPresent()) {
            initial = cached.get();
            source = "cached snapshot " + state.file() + " (version " + initial.version() + ")";
        } else {
            initial = null;
            source = controlPlane == null ? "nothing" : "nothing yet (waiting for the control plane)";
        }

        DataPlane dp = DataPlane.create(settings);
        try {
            if (initial != null) {
                try {
                    dp.apply(initial);
                } catch (ConfigException e) {
                    throw new IllegalArgumentException((fromFile == initial ? "invalid " : "cannot serve ") + source + ": " + e.getMessage());
                }
            }
            dp.putStatus("config_source", source);
            log.info("serving {}", source);
            Path handoverSocket = Handover.socketIn(stateDir);
            Handover.Taken taken = lifecycle.takeOver() ? dp.takeOver(handoverSocket, TAKE_OVER_TIMEOUT) : null;
            NodeAgent agent = null;
            if (taken != null) {
                // Serve at once on the sockets the running process shares with us, then let it go; it stops writing
                // state before it answers, and only then does our agent start.
                dp.listen(taken);
                taken.release(TAKE_OVER_TIMEOUT);
                log.info("took over the listening sockets of the running process of this node; it drains and exits");
                if (controlPlane == null && fromFile != null) {
                    // A file-only node: the file is the configuration, already applied.
                } else {
                    applyNewerCache(dp, state);
                }
                if (controlPlane != null)
                    agent = new NodeAgent(dp, controlPlanes, fleetTls, settings.nodeId(), clusterToken, state, softwareVersion).start();
            } else {
                if (controlPlane != null)
                    agent = new NodeAgent(dp, controlPlanes, fleetTls, settings.nodeId(), clusterToken, state, softwareVersion).start();
                if (initial == null && controlPlane != null) awaitFirstSnapshot(dp, initialWait);
                dp.listen();
            }
            Node node = new Node(dp, agent, lifecycle.drainTunnels());
            if (lifecycle.exitAfterHandover() != null) {
                NodeAgent a = agent;
                try {
                    node.offer = dp.offerHandover(handoverSocket, () -> {
                        // Before the successor is told: it binds its own offer at this path next, which ours must not remove.
                        node.closeOffer();
                        if (a != null) a.close();
                        if (lifecycle.onRelease() != null) lifecycle.onRelease().run();
                    }, lifecycle.drainTunnels(), lifecycle.exitAfterHandover());
                } catch (RuntimeException e) {
                    // Serving matters more than a later upgrade path: say why, keep going.
                    log.warn("handover not offered on {}: {}", handoverSocket, e.getMessage());
                }
            }
            return node;
        } catch (RuntimeException e) {
            dp.close();
            throw e;
        }
    }

    private static final Duration TAKE_OVER_TIMEOUT = Duration.ofSeconds(10);

    /** The old process may have applied a newer version after we read the state file: serve that one. */
    private static void applyNewerCache(DataPlane dp, StateDir state) {
        try {
            Optional<Snapshot> now = state.load();
            if (now.isPresent() && now.get().version() > dp.appliedVersion()) dp.apply(now.get());
        } catch (RuntimeException e) {
            log.warn("after take-over: cached snapshot not applied ({}); the control plane will send the newest", e.getMessage());
        }
    }

    private static void awaitFirstSnapshot(DataPlane dp, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (dp.appliedVersion() < 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10); // the start thread, not an event loop: a short poll keeps the agent's code untouched
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (dp.appliedVersion() < 0)
            log.warn("no snapshot within --initial-wait {}: listening anyway, answering 503 until one applies", wait);
    }

    public DataPlane dataPlane() {
        return dataPlane;
    }

    /** The fleet channel agent; null when no control plane was given. */
    public NodeAgent agent() {
        return agent;
    }

    /** Stops listening to the control plane, then drains the data plane gracefully. */
    public void shutdownGracefully() {
        closeOffer();
        if (agent != null) agent.close();
        dataPlane.shutdownGracefully(drainTunnels);
    }

    @Override
    public void close() {
        closeOffer();
        if (agent != null) agent.close();
        dataPlane.close();
    }

    private void closeOffer() {
        Handover.Offer o = offer;
        offer = null;
        if (o != null) o.close();
    }
}
