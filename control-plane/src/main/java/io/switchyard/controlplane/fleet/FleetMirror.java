package io.switchyard.controlplane.fleet;

import java.util.List;

/**
 * Where a control plane shares the state of its own nodes with the other control planes of the same
 * database, and reads theirs. Kept apart from {@link FleetHub} so the hub knows nothing of SQL.
 * Implementations are thread-safe and never block the caller of {@link #publish}.
 */
public interface FleetMirror extends AutoCloseable {
    /** A node's state as its control plane last knew it. */
    record Row(String nodeId, String controlPlane, String connection, boolean connected, boolean claim, String address,
               String softwareVersion, boolean hello, Long appliedVersion, Long nackedVersion, Long openTunnels,
               String error, String lastSeen) {
    }

    /** A row of a node held (or last held) by another control plane; {@code live} when that one still refreshes it. */
    record Remote(Row row, boolean live) {
    }

    /** This control plane's instance id (shown as each of its nodes' {@code control_plane}). */
    String instance();

    /**
     * Records a change of one of this control plane's nodes, asynchronously. {@code claim} rows (a new
     * connection) take the node over from whichever control plane held it; other rows only update a
     * node whose row still names their connection.
     */
    void publish(Row row);

    /** Nodes whose last row was written by another control plane. Cached briefly; never null. */
    List<Remote> remote();

    /** Re-reads {@link #remote()} now (for convergence waits). */
    List<Remote> refreshRemote();

    @Override
    void close();

    /** One control plane alone (SQLite): nothing to share. */
    FleetMirror NONE = new FleetMirror() {
        @Override
        public String instance() {
            return null;
        }

        @Override
        public void publish(Row row) {
        }

        @Override
        public List<Remote> remote() {
            return List.of();
        }

        @Override
        public List<Remote> refreshRemote() {
            return List.of();
        }

        @Override
        public void close() {
        }
    };
}
