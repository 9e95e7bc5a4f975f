package io.switchyard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for tests: Debian's {@code postgresql} binaries, a fresh cluster made
 * by {@code initdb} in a temporary directory, started by {@code pg_ctl} on a free loopback port
 * with password authentication over TCP. One server per test JVM ({@link #shared()}), each test
 * taking a database of its own ({@link #createDatabase()}); {@link PostgresSession} stops it when
 * the JUnit session closes. PostgreSQL refuses to run as root, so as root the server runs as the
 * {@code postgres} user the package creates. Thread-safe.
 */
public final class PostgresServer implements AutoCloseable {
    public static final String USER = "switchyard";

    /** One database on a test server, and how a client logs in to it. */
    public record Database(String host, int port, String database, String user, String password) {
        /** The JDBC URL, without user or password. */
        public String jdbcUrl() {
            return "jdbc:postgresql://" + host + ":" + port + "/" + database;
        }

        /** The control plane's {@code --db} form (the password goes separately, as SWITCHYARD_DB_PASSWORD). */
        public String url() {
            return "postgresql://" + host + ":" + port + "/" + database + "?user=" + user;
        }

        /** Never shows the password. */
        @Override
        public String toString() {
            return url();
        }
    }
    private static PostgresServer shared;

    private final Path base;
    private final Path data;
    private final Path bin;
    private final int port;
    private final String password;
    private final boolean asPostgresUser;
    private final AtomicInteger databases = new AtomicInteger();
    private boolean stopped;

    private PostgresServer(Path base, Path bin, int port, String password, boolean asPostgresUser) {
        this.base = base;
        this.data = base.resolve("data");
        this.bin = bin;
        this.port = port;
        this.password = password;
        this.asPostgresUser = asPostgresUser;
    }

    /** The JVM's server, started on first use. */
    public static synchronized PostgresServer shared() {
        if (shared == null) {
            shared = start();
            Runtime.getRuntime().addShutdownHook(new Thread(PostgresServer::stopShared, "postgres-test-server-stop"));
        }
        return shared;
    }

    static synchronized void stopShared() {
        if (shared != null) shared.close();
        shared = null;
    }

    /** Starts a server of its own (stop it with {@link #close()}). */
    public static PostgresServer start() {
        Path bin = findBin();
        boolean root = "root".equals(System.getProperty("user.name"));
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            Path base;
            try {
                base = Files.createTempDirectory("switchyard-pg-");
                if (root) {
                    UserPrincipal pg = base.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
                    Files.setOwner(base, pg);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            PostgresServer s = new PostgresServer(base, bin, freePort(), UUID.randomUUID().toString(), root);
            try {
                s.initAndStart();
                return s;
            } catch (IllegalStateException e) {
                last = e;
                s.close();
            }
        }
        throw last;
    }

    private void initAndStart() {
        Path pwfile = base.resolve("pwfile");
        try {
            Files.writeString(pwfile, password + "\n", StandardCharsets.UTF_8);
            if (asPostgresUser) Files.setOwner(pwfile, base.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER, "--pwfile=" + pwfile,
                "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync", "--no-instructions"), 120);
        // fsync off: the tests kill control planes, never the database server, and the machine is shared.
        String opts = "-p " + port + " -c listen_addresses=127.0.0.1 -k " + base + " -c fsync=off -c synchronous_commit=off"
                + " -c full_page_writes=off -c max_connections=300 -c shared_buffers=32MB";
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", base.resolve("server.log").toString(),
                "-w", "-t", "60", "-o", opts, "start"), 90);
    }

    /** A new, empty database on this server, as the control plane's {@code --db} would name it. */
    public Database createDatabase() {
        String name = "switchyard_" + databases.incrementAndGet();
        try (Connection c = admin(); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("CREATE DATABASE " + name + ": " + e.getMessage(), e);
        }
        return new Database("127.0.0.1", port, name, USER, password);
    }

    /** Drops a database made by {@link #createDatabase()}, ending its sessions. */
    public void dropDatabase(Database db) {
        try (Connection c = admin(); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + db.database() + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("DROP DATABASE " + db.database() + ": " + e.getMessage(), e);
        }
    }

    /** A JDBC connection to {@code db} as the test user (for checks on rows). */
    public static Connection connect(Database db) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", db.user());
        p.setProperty("password", db.password());
        return DriverManager.getConnection(db.jdbcUrl(), p);
    }

    public int port() {
        return port;
    }

    public String password() {
        return password;
    }

    private Connection admin() throws SQLException {
        return connect(new Database("127.0.0.1", port, "postgres", USER, password));
    }

    @Override
    public synchronized void close() {
        if (stopped) return;
        stopped = true;
        try {
            if (Files.exists(data.resolve("postmaster.pid")))
                run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "-t", "30", "stop"), 60);
        } catch (IllegalStateException e) {
            System.err.println("stopping the test PostgreSQL server failed: " + e.getMessage());
        } finally {
            TempDirs.delete(base);
        }
    }

    private void run(List<String> command, int timeoutSeconds) {
        List<String> cmd = new ArrayList<>();
        if (asPostgresUser) cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
        cmd.addAll(command);
        try {
            Path out = Files.createTempFile("switchyard-pg-cmd-", ".log");
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException(String.join(" ", cmd) + ": no answer after " + timeoutSeconds + " s");
                }
                if (p.exitValue() != 0) {
                    String log = Files.exists(base.resolve("server.log")) ? Files.readString(base.resolve("server.log")) : "";
                    throw new IllegalStateException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + Files.readString(out) + log);
                }
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Debian's server binaries (newest major version), or the directory of {@code initdb} on the PATH. */
    private static Path findBin() {
        Path lib = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(lib)) {
            try (Stream<Path> versions = Files.list(lib)) {
                var best = versions.filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
                        .max(Comparator.comparingInt(v -> parseIntOr(v.getFileName().toString())));
                if (best.isPresent()) return best.get().resolve("bin");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir, "initdb");
            if (Files.isExecutable(p)) return p.getParent();
        }
        throw new IllegalStateException("PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's postgresql package");
    }

    private static int parseIntOr(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
