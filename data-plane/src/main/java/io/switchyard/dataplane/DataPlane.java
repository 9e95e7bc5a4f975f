package io.switchyard.dataplane;

import io.switchyard.config.ConfigException;
import io.switchyard.config.Snapshot;

import java.net.InetSocketAddress;

/**
 * One running data plane: listeners bound, serving the last applied snapshot. Thread-safe.
 * (Placeholder signatures; the data-plane issue implements them.)
 */
public final class DataPlane implements AutoCloseable {
    private DataPlane() {
    }

    /** Binds every listener of {@code settings} and starts serving an empty table (every request 404). */
    public static DataPlane start(DataPlaneSettings settings) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /**
     * Validates and compiles {@code snapshot}, then swaps it in atomically. Established tunnels keep
     * the route and target they were opened with.
     *
     * @return false when {@code snapshot} equals the one serving (nothing re-applied)
     * @throws ConfigException when it cannot be applied; the previous table keeps serving
     */
    public boolean apply(Snapshot snapshot) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Version of the snapshot serving now; -1 before the first. */
    public long appliedVersion() {
        throw new UnsupportedOperationException();
    }

    public long openTunnels() {
        throw new UnsupportedOperationException();
    }

    public InetSocketAddress listenAddress() {
        throw new UnsupportedOperationException();
    }

    /** Null when not configured. */
    public InetSocketAddress tlsAddress() {
        throw new UnsupportedOperationException();
    }

    /** Null when not configured. */
    public InetSocketAddress statusAddress() {
        throw new UnsupportedOperationException();
    }

    /** Adds a key/value pair to the JSON of {@code GET /status} (the node agent reports its control-plane state here). */
    public void putStatus(String key, Object value) {
        throw new UnsupportedOperationException();
    }

    /** Graceful: stop accepting, let requests finish, close tunnels with 1001 after the grace period. Blocks until done. */
    public void shutdownGracefully() {
        throw new UnsupportedOperationException();
    }

    /** Immediate close of everything. Idempotent. */
    @Override
    public void close() {
    }
}
