package io.switchyard.launcher.node;

import io.switchyard.dataplane.DataPlane;

/**
 * How a node process starts and ends beside its predecessor and successor.
 *
 * @param takeOver     take the listening sockets from the running process of this node (same {@code --state-dir}) instead
 *                     of binding them; with nobody to take over from, start normally
 * @param drainTunnels what a drain (SIGTERM or handover) does with tunnels
 * @param exitAfterHandover run once this process handed its sockets to a successor and drained (the process exits 0);
 *                     null for an embedded node, which then offers no handover
 * @param onRelease    run in this process when a successor takes over, after the fleet agent stopped and before the
 *                     successor is told to go on (all-in-one closes its control plane here, freeing the database and the
 *                     admin port for the successor's); null for nothing
 */
public record NodeLifecycle(boolean takeOver, DataPlane.DrainTunnels drainTunnels, Runnable exitAfterHandover,
                            Runnable onRelease) {
    public static final NodeLifecycle EMBEDDED = new NodeLifecycle(false, DataPlane.DrainTunnels.CLOSE, null, null);

    public NodeLifecycle {
        if (drainTunnels == null) drainTunnels = DataPlane.DrainTunnels.CLOSE;
    }

    public NodeLifecycle(boolean takeOver, DataPlane.DrainTunnels drainTunnels, Runnable exitAfterHandover) {
        this(takeOver, drainTunnels, exitAfterHandover, null);
    }
}
