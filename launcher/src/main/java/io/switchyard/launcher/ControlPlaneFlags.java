package io.switchyard.launcher;

import io.switchyard.controlplane.ControlPlaneSettings;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/** The control-plane flags shared by {@code control-plane} and {@code all-in-one} (a picocli mixin). */
final class ControlPlaneFlags {
    @Option(names = "--admin", defaultValue = "127.0.0.1:9090", converter = Flags.Address.class,
            description = "admin REST API and fleet channel (default: ${DEFAULT-VALUE})")
    InetSocketAddress admin;

    @Option(names = "--db", defaultValue = "./switchyard.db", paramLabel = "PATH|URL",
            description = "SQLite file, created and migrated on start, or postgresql://HOST:PORT/DB?user=U "
                    + "(several control planes may share one PostgreSQL database) (default: ${DEFAULT-VALUE})")
    String db;

    @Option(names = "--db-password-file", description = "file holding the PostgreSQL password (else SWITCHYARD_DB_PASSWORD)")
    Path dbPasswordFile;

    @Option(names = "--admin-token-file", description = "file holding the admin bearer token (else SWITCHYARD_ADMIN_TOKEN)")
    Path adminTokenFile;

    @Option(names = "--keep-versions", defaultValue = "1000", paramLabel = "N",
            description = "how many config versions the history keeps; older ones are pruned, the current one never (default: ${DEFAULT-VALUE})")
    int keepVersions;

    @Option(names = "--secret-key-file", paramLabel = "FILE",
            description = "file holding the secret that encrypts private keys in the database and its history, AES-GCM "
                    + "(else SWITCHYARD_SECRET_KEY; without either they are stored as given)")
    Path secretKeyFile;

    @Option(names = "--admin-tls-cert", paramLabel = "FILE", description = "PEM certificate chain: serve the admin API and the fleet channel over HTTPS/WSS")
    Path adminTlsCert;

    @Option(names = "--admin-tls-key", paramLabel = "FILE", description = "PEM private key of --admin-tls-cert")
    Path adminTlsKey;

    @Option(names = "--client-ca", paramLabel = "FILE",
            description = "PEM CA bundle: require nodes to present a certificate from it that names their node id (mutual TLS; needs --admin-tls-cert)")
    Path clientCa;

    /** @param clusterTokenFile the cluster secret's file (the data-plane mixin owns that flag in all-in-one) */
    ControlPlaneSettings settings(Path clusterTokenFile) {
        if ((adminTlsCert == null) != (adminTlsKey == null))
            throw new IllegalArgumentException("admin TLS: give both --admin-tls-cert and --admin-tls-key");
        if (clientCa != null && adminTlsCert == null)
            throw new IllegalArgumentException("--client-ca needs --admin-tls-cert and --admin-tls-key (mutual TLS is TLS)");
        ControlPlaneSettings s = new ControlPlaneSettings(admin, ControlPlaneSettings.store(db, Flags.secret(dbPasswordFile, "SWITCHYARD_DB_PASSWORD")),
                Flags.secret(adminTokenFile, "SWITCHYARD_ADMIN_TOKEN"),
                Flags.secret(clusterTokenFile, "SWITCHYARD_CLUSTER_TOKEN"));
        if (keepVersions < 1) throw new IllegalArgumentException("--keep-versions: " + keepVersions + " (expected: >= 1)");
        s = s.withKeepVersions(keepVersions).withSecretKey(Flags.secret(secretKeyFile, "SWITCHYARD_SECRET_KEY"));
        return adminTlsCert == null ? s : s.withTls(new ControlPlaneSettings.AdminTls(adminTlsCert, adminTlsKey, clientCa));
    }
}
