package io.switchyard.controlplane;

import io.javalin.Javalin;
import io.switchyard.config.Snapshot;
import io.switchyard.controlplane.api.AdminApi;
import io.switchyard.controlplane.fleet.FleetHub;
import io.switchyard.controlplane.store.ConfigStore;
import io.switchyard.controlplane.store.Database;
import io.switchyard.controlplane.store.StoreLocation;
import io.switchyard.controlplane.fleet.FleetMirror;
import io.switchyard.controlplane.store.PostgresFleet;
import io.switchyard.controlplane.store.SecretBox;
import io.switchyard.controlplane.store.VersionListener;
import io.switchyard.controlplane.tls.PemFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One running control plane: database migrated, admin API and fleet channel listening.
 * Thread-safe; {@link #close()} is idempotent.
 */
public final class ControlPlane implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);

    private final Javalin app;
    private final FleetHub fleet;
    private final ConfigStore store;
    private final InetSocketAddress address;
    private final List<String> endpoints;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final FileLock lock;
    private final Database db;
    private final VersionListener versions;
    private final AdminApi api;
    private volatile boolean tlsOn;

    private ControlPlane(Javalin app, AdminApi api, FleetHub fleet, ConfigStore store, Database db, VersionListener versions, InetSocketAddress address,
                         List<String> endpoints, FileLock lock) {
        this.versions = versions;
        this.api = api;
        this.lock = lock;
        this.db = db;
        this.app = app;
        this.fleet = fleet;
        this.store = store;
        this.address = address;
        this.endpoints = endpoints;
    }

    /**
     * Opens (creating and migrating) the database and starts the admin API.
     *
     * @throws IllegalArgumentException with a one-line message on bad settings (e.g. non-loopback without token)
     * @throws IllegalStateException    when the port is in use or the database cannot be opened
     */
    public static ControlPlane start(ControlPlaneSettings settings) {
        return start(settings, Clock.systemUTC());
    }

    /** As {@link #start(ControlPlaneSettings)}, judging certificate expiry by {@code clock} (for tests). */
    static ControlPlane start(ControlPlaneSettings settings, Clock clock) {
        InetSocketAddress admin = settings.admin();
        InetAddress ip = admin.getAddress();
        if (ip == null)
            throw new IllegalArgumentException("admin: cannot resolve host \"" + admin.getHostString() + "\" (expected: a local address)");
        boolean loopback = ip.isLoopbackAddress();
        checkToken("admin token", settings.adminToken());
        checkToken("cluster token", settings.clusterToken());
        if (!loopback && settings.adminToken() == null)
            throw new IllegalArgumentException("admin " + hostPort(admin) + " is not a loopback address: set SWITCHYARD_ADMIN_TOKEN "
                    + "(or --admin-token-file) so the API is not open to the network, or bind 127.0.0.1");
        if (!loopback && settings.clusterToken() == null)
            throw new IllegalArgumentException("admin " + hostPort(admin) + " is not a loopback address: set SWITCHYARD_CLUSTER_TOKEN "
                    + "(or --cluster-token-file) so only your data planes receive snapshots (they carry private keys)");

        ControlPlaneSettings.AdminTls tls = settings.tls();
        org.eclipse.jetty.util.ssl.SslContextFactory.Server ssl = tls == null ? null
                : PemFiles.serverFactory(tls.certFile(), tls.keyFile(), tls.clientCa());
        SecretBox box = SecretBox.of(settings.secretKey());
        if (!loopback && tls == null)
            LOG.warn("admin {} is not a loopback address and has no TLS: tokens and the private keys in snapshots cross the "
                    + "network in plain text; give --admin-tls-cert and --admin-tls-key", hostPort(admin));
        // PostgreSQL is shared by design (versions are serialised in the database); a SQLite file is not.
        FileLock lock = settings.store() instanceof StoreLocation.Sqlite s ? lockDatabase(s.file()) : null;
        try {
            return start(settings, clock, admin, ip, loopback, lock, ssl, box);
        } catch (RuntimeException e) {
            release(lock);
            throw e;
        }
    }

    private static ControlPlane start(ControlPlaneSettings settings, Clock clock, InetSocketAddress admin, InetAddress ip,
                                      boolean loopback, FileLock lock, org.eclipse.jetty.util.ssl.SslContextFactory.Server ssl,
                                      SecretBox box) {
        Database db = Database.open(settings.store());
        ConfigStore store;
        try {
            store = new ConfigStore(db, settings.keepVersions(), box);
        } catch (RuntimeException e) {
            db.close();
            // e.g. a stored document the current model no longer accepts: a database problem, not a bad flag.
            throw new IllegalStateException("database " + settings.store() + ": stored configuration is unreadable (" + e.getMessage() + ")", e);
        }
        boolean shared = db.dialect() == Database.Dialect.POSTGRESQL;
        FleetMirror mirror = shared ? new PostgresFleet(db, instanceId(admin)) : FleetMirror.NONE;
        FleetHub fleet = new FleetHub(() -> snapshot(store.current()), mirror);
        store.onCommit(c -> fleet.published(snapshot(c)));
        // Other control planes on the same PostgreSQL database commit too: learn of their versions.
        VersionListener versions = shared ? new VersionListener(db, store).start() : null;
        List<String> endpoints = new CopyOnWriteArrayList<>();
        AdminApi api = new AdminApi(store, fleet, settings.adminToken(), settings.clusterToken(), loopback, clock);
        if (ssl != null) api.tls(ssl, admin, settings.tls().clientCa() != null);
        Javalin app = api.create(endpoints);
        try {
            app.start(admin.getHostString(), admin.getPort());
        } catch (RuntimeException e) {
            if (versions != null) versions.close();
            api.close();
            fleet.close();
            app.stop();
            db.close();
            String why = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
            throw new IllegalStateException("admin " + hostPort(admin) + ": cannot listen (" + (why == null ? e.getClass().getSimpleName() : why)
                    + "; is the port in use?)", e);
        }
        InetSocketAddress bound = new InetSocketAddress(ip, app.port());
        // The launcher prints the process's one "ready" line; this one is for debugging embedded use.
        LOG.debug("control plane ready: admin API " + (ssl == null ? "http" : "https") + "://{} (database {}, config version {})", hostPort(bound), db.location(), store.current().version());
        ControlPlane cp = new ControlPlane(app, api, fleet, store, db, versions, bound, endpoints, lock);
        cp.tlsOn = ssl != null;
        return cp;
    }

    private static Snapshot snapshot(ConfigStore.Current c) {
        return new Snapshot(c.version(), c.config());
    }

    /**
     * One control plane per database: a second would take writes whose snapshots the first never
     * pushes to its nodes. The lock is on a side file, never on the SQLite file itself: POSIX
     * locks belong to the process, and closing any descriptor of the database would drop SQLite's
     * own locks. The OS releases it when the process dies, so a crash leaves nothing to clean up.
     */
    private static FileLock lockDatabase(Path db) {
        if (Files.isDirectory(db))
            throw new IllegalStateException("database " + db + ": is a directory (expected: a file path)");
        Path lockFile = Path.of(db.toAbsolutePath() + ".lock");
        if (lockFile.getParent() != null && !Files.isDirectory(lockFile.getParent()))
            throw new IllegalStateException("database " + db + ": directory " + lockFile.getParent() + " does not exist");
        try {
            FileChannel channel = FileChannel.open(lockFile, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                channel.close();
                throw new IllegalStateException("database " + db + ": in use by another control plane (" + lockFile + " is locked)");
            }
            return lock;
        } catch (IOException e) {
            throw new IllegalStateException("database " + db + ": cannot create lock file " + lockFile + " (" + e.getMessage() + ")", e);
        }
    }

    private static void release(FileLock lock) {
        if (lock == null) return;
        try {
            lock.release();
            lock.channel().close();
        } catch (IOException e) {
            LOG.debug("releasing the database lock failed", e);
        }
    }

    /** Names this control plane among those sharing a database: host, process id and a random suffix (a restart is a new instance). */
    private static String instanceId(InetSocketAddress admin) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = admin.getHostString();
        }
        return host + "/" + ProcessHandle.current().pid() + "-" + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & 0xffffffL);
    }

    private static void checkToken(String what, String token) {
        if (token != null && (token.isBlank() || !token.equals(token.strip())))
            throw new IllegalArgumentException(what + ": " + (token.isBlank() ? "empty" : "has leading or trailing whitespace")
                    + " (expected: a secret of visible characters)");
    }

    private static String hostPort(InetSocketAddress a) {
        String h = a.getHostString();
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    /** The admin listener's bound address (the real port when 0 was asked for). */
    /** Requests parked on {@code GET /fleet/nodes?min_version=...} right now (tests wait on it instead of sleeping). */
    public int fleetWaiters() {
        return fleet.waiting();
    }

    /** The fleet view, as {@code GET /api/v1/fleet/nodes} lists it. */
    public java.util.List<FleetHub.NodeView> fleetView() {
        return fleet.nodes();
    }

    /** Whether the admin listener speaks HTTPS/WSS. */
    public boolean tls() {
        return tlsOn;
    }

    public InetSocketAddress adminAddress() {
        return address;
    }

    /** Newest committed config version (0 before the first write). */
    public long currentVersion() {
        return store.current().version();
    }

    /** Every HTTP endpoint the admin listener serves, as {@code "METHOD /path"}. */
    public List<String> endpoints() {
        return List.copyOf(endpoints);
    }

    /** Stops the API and the fleet channel. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        if (versions != null) versions.close();
        api.close();
        fleet.close();
        app.stop();
        db.close();
        release(lock);
        LOG.info("control plane stopped");
    }
}
