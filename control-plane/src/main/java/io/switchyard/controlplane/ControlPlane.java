package io.switchyard.controlplane;

import java.net.InetSocketAddress;

/**
 * One running control plane: admin API listening, database migrated. Thread-safe.
 * (Placeholder signatures; the control-plane issue implements them.)
 */
public final class ControlPlane implements AutoCloseable {
    private ControlPlane() {
    }

    /**
     * Opens (creating and migrating) the database and starts the admin API.
     *
     * @throws IllegalArgumentException with a one-line message on bad settings (e.g. non-loopback without token)
     * @throws IllegalStateException when the port is in use or the database cannot be opened
     */
    public static ControlPlane start(ControlPlaneSettings settings) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public InetSocketAddress adminAddress() {
        throw new UnsupportedOperationException();
    }

    /** Stops the API and closes the database. Idempotent. */
    @Override
    public void close() {
    }
}
