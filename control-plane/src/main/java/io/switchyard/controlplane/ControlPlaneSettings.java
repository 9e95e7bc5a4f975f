package io.switchyard.controlplane;

import io.switchyard.controlplane.store.StoreLocation;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * Process settings of the control plane, validated at start.
 *
 * @param admin        admin REST API and fleet channel listener (port 0 picks a free port)
 * @param store        SQLite file or PostgreSQL database; created (SQLite) and migrated on start
 * @param adminToken   bearer token for /api/, or null for none (only allowed on loopback)
 * @param clusterToken secret data planes must present on the fleet channel, or null (only on loopback)
 */
public record ControlPlaneSettings(InetSocketAddress admin, StoreLocation store, String adminToken, String clusterToken) {
    public ControlPlaneSettings {
        if (admin == null) throw new IllegalArgumentException("admin: null (expected: host:port)");
        if (store == null) throw new IllegalArgumentException("db: null (expected: a file path or postgresql://HOST:PORT/DB?user=U)");
    }

    /** Settings over a SQLite file. */
    public ControlPlaneSettings(InetSocketAddress admin, Path db, String adminToken, String clusterToken) {
        this(admin, db == null ? null : new StoreLocation.Sqlite(db), adminToken, clusterToken);
    }

    /** Never prints the secrets (settings end up in logs and exception messages). */
    @Override
    public String toString() {
        return "ControlPlaneSettings[admin=" + admin + ", db=" + store + ", adminToken=" + (adminToken == null ? "none" : "***")
                + ", clusterToken=" + (clusterToken == null ? "none" : "***") + "]";
    }
}
