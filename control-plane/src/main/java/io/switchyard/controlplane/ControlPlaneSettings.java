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
 * @param tls          HTTPS/WSS for the admin listener, or null for plain HTTP
 * @param keepVersions how many versions the history keeps (the current one always)
 * @param secretKey    secret from which the key encrypting private keys at rest is derived, or null to store them as given
 */
public record ControlPlaneSettings(InetSocketAddress admin, StoreLocation store, String adminToken, String clusterToken, AdminTls tls,
                                   int keepVersions, String secretKey) {
    /**
     * Where the store lives, from the {@code --db} value: a file path means SQLite, {@code postgresql://host:port/db?user=u}
     * PostgreSQL with {@code password} (never read from the URL).
     *
     * @throws IllegalArgumentException with a one-line message for a value that is neither
     */
    public static StoreLocation store(String db, String password) {
        return StoreLocation.parse(db, password);
    }

    /**
     * TLS of the admin listener (API and fleet channel).
     *
     * @param certFile PEM certificate chain, leaf first
     * @param keyFile  PEM private key of the leaf
     * @param clientCa PEM CA bundle nodes' certificates must chain to (mutual TLS; each certificate must
     *                 name its node's id), or null for server-only TLS
     */
    public record AdminTls(Path certFile, Path keyFile, Path clientCa) {
        public AdminTls {
            if (certFile == null || keyFile == null)
                throw new IllegalArgumentException("admin TLS: give both --admin-tls-cert and --admin-tls-key");
        }
    }

    public ControlPlaneSettings {
        if (admin == null) throw new IllegalArgumentException("admin: null (expected: host:port)");
        if (store == null) throw new IllegalArgumentException("db: null (expected: a file path or postgresql://HOST:PORT/DB?user=U)");
        if (keepVersions < 1) throw new IllegalArgumentException("keep-versions: " + keepVersions + " (expected: >= 1)");
    }

    /** Plain HTTP. */
    public ControlPlaneSettings(InetSocketAddress admin, StoreLocation store, String adminToken, String clusterToken) {
        this(admin, store, adminToken, clusterToken, null, io.switchyard.controlplane.store.ConfigStore.DEFAULT_KEEP_VERSIONS, null);
    }

    /** Plain HTTP over a SQLite file. */
    public ControlPlaneSettings(InetSocketAddress admin, Path db, String adminToken, String clusterToken) {
        this(admin, db == null ? null : new StoreLocation.Sqlite(db), adminToken, clusterToken);
    }

    /** These settings with TLS on the admin listener. */
    public ControlPlaneSettings withTls(AdminTls tls) {
        return new ControlPlaneSettings(admin, store, adminToken, clusterToken, tls, keepVersions, secretKey);
    }

    /** These settings keeping {@code n} versions of history. */
    public ControlPlaneSettings withKeepVersions(int n) {
        return new ControlPlaneSettings(admin, store, adminToken, clusterToken, tls, n, secretKey);
    }

    /** These settings encrypting private keys at rest with a key derived from {@code secret} (null: none). */
    public ControlPlaneSettings withSecretKey(String secret) {
        return new ControlPlaneSettings(admin, store, adminToken, clusterToken, tls, keepVersions, secret);
    }

    /** Never prints the secrets (settings end up in logs and exception messages). */
    @Override
    public String toString() {
        return "ControlPlaneSettings[admin=" + admin + ", db=" + store + ", adminToken=" + (adminToken == null ? "none" : "***")
                + ", clusterToken=" + (clusterToken == null ? "none" : "***") + ", tls=" + tls + ", keepVersions=" + keepVersions
                + ", secretKey=" + (secretKey == null ? "none" : "***") + "]";
    }
}
