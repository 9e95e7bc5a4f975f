package io.switchyard.controlplane.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

import javax.sql.DataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * The database behind the store, SQLite or PostgreSQL, migrated on open by Flyway from the
 * migrations on the classpath ({@code db/migration/sqlite} or {@code db/migration/postgresql},
 * copied from the repository's {@code migrations/}). Both run the same JDBI code; what differs is
 * here: how connections are made and how writers are serialised ({@link #lockForWrite}).
 *
 * <p>SQLite: every connection is opened in WAL mode with {@code synchronous=FULL} (a commit that
 * returned survives a power cut), foreign keys enforced, a busy timeout, and transactions that start
 * with {@code BEGIN IMMEDIATE} (a writer takes the write lock up front instead of failing on upgrade
 * when another process reads). PostgreSQL: a small connection pool. Thread-safe.
 */
public final class Database implements AutoCloseable {
    static final int BUSY_TIMEOUT_MS = 5_000;
    /**
     * Key of the transaction-scoped advisory lock every PostgreSQL write takes first: versions are
     * max+1, so writers on every control plane sharing the database must take turns.
     */
    static final long WRITE_LOCK_KEY = 0x5377_6974_6368_7964L;

    /** The engines the store runs on. */
    public enum Dialect { SQLITE, POSTGRESQL }

    private final Jdbi jdbi;
    private final StoreLocation location;
    private final Dialect dialect;
    private final AutoCloseable pool;

    private Database(StoreLocation location, Dialect dialect, Jdbi jdbi, AutoCloseable pool) {
        this.location = location;
        this.dialect = dialect;
        this.jdbi = jdbi;
        this.pool = pool;
    }

    /** Opens (creating when absent) and migrates a SQLite file. */
    public static Database open(Path file) {
        return open(new StoreLocation.Sqlite(file));
    }

    /**
     * Opens and migrates the database.
     *
     * @throws IllegalStateException when it cannot be reached, opened or migrated
     */
    public static Database open(StoreLocation location) {
        if (location instanceof StoreLocation.Sqlite s) return openSqlite(s);
        return openPostgres((StoreLocation.Postgres) location);
    }

    private static Database openSqlite(StoreLocation.Sqlite location) {
        Path file = location.file();
        Path abs = file.toAbsolutePath();
        if (abs.getParent() != null && !Files.isDirectory(abs.getParent()))
            throw new IllegalStateException("database " + file + ": directory " + abs.getParent() + " does not exist");
        if (Files.isDirectory(abs))
            throw new IllegalStateException("database " + file + ": is a directory (expected: a file path)");
        ownerOnly(abs, true);
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.enforceForeignKeys(true);
        config.setBusyTimeout(BUSY_TIMEOUT_MS);
        config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        SQLiteDataSource ds = new SQLiteDataSource(config);
        ds.setUrl("jdbc:sqlite:" + abs);
        migrate(ds, "sqlite", file.toString());
        // SQLite gives its -wal and -shm files the database file's mode; files made by older releases are tightened here.
        for (String suffix : new String[]{"", "-wal", "-shm"}) ownerOnly(Path.of(abs + suffix), false);
        return new Database(new StoreLocation.Sqlite(abs), Dialect.SQLITE, Jdbi.create(ds), null);
    }

    private static Database openPostgres(StoreLocation.Postgres location) {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("switchyard-db");
        hc.setJdbcUrl(location.jdbcUrl());
        hc.setUsername(location.user());
        if (location.password() != null) hc.setPassword(location.password());
        hc.setMaximumPoolSize(10);
        hc.setMinimumIdle(1);
        hc.setConnectionTimeout(5_000);
        // A path to the database that goes silent (no FIN, no reset: a machine gone, a firewall dropping) must not hold
        // a request, or the write lock, for the many minutes TCP takes to give up: a read waits at most 30 s, and the
        // server ends a session left idle inside a transaction for 30 s, so the advisory write lock it held is free
        // again for the other control planes. URL parameters of the same names win (--db ...?socketTimeout=60).
        hc.addDataSourceProperty("socketTimeout", String.valueOf(SOCKET_TIMEOUT_S));
        hc.addDataSourceProperty("tcpKeepAlive", "true");
        hc.addDataSourceProperty("options", "-c idle_in_transaction_session_timeout=" + SOCKET_TIMEOUT_S * 1000);
        // Fail at start with the server's own message, not after the pool's first timeout.
        hc.setInitializationFailTimeout(1);
        HikariDataSource ds;
        try {
            ds = new HikariDataSource(hc);
        } catch (RuntimeException e) {
            throw new IllegalStateException("database " + location + ": cannot connect (" + rootMessage(e) + ")", e);
        }
        try {
            migrate(ds, "postgresql", location.toString());
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return new Database(location, Dialect.POSTGRESQL, Jdbi.create(ds), ds);
    }

    /**
     * The database holds private keys: it is created readable by its owner only (0600), never briefly
     * wider, and an existing one is narrowed to that.
     */
    static void ownerOnly(Path file, boolean create) {
        var perms = java.nio.file.attribute.PosixFilePermissions.fromString("rw-------");
        try {
            if (create && !Files.exists(file)) {
                try {
                    Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(perms));
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    // another process made it first; narrowed below
                }
            }
            if (Files.exists(file) && !Files.getPosixFilePermissions(file).equals(perms)) Files.setPosixFilePermissions(file, perms);
        } catch (UnsupportedOperationException notPosix) {
            // Not a POSIX file system: the directory's own permissions have to do.
        } catch (java.io.IOException e) {
            throw new IllegalStateException("database " + file + ": cannot create it readable by its owner only (" + e.getMessage() + ")", e);
        }
    }

    private static void migrate(DataSource ds, String folder, String name) {
        try {
            Flyway.configure()
                    .dataSource(ds)
                    .locations("classpath:db/migration/" + folder)
                    .failOnMissingLocations(true)
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            throw new IllegalStateException("database " + name + ": cannot open or migrate (" + rootMessage(e) + ")", e);
        }
    }

    /**
     * First statement of every write transaction. SQLite's {@code BEGIN IMMEDIATE} already holds the
     * database's one write lock; PostgreSQL takes a transaction-scoped advisory lock, released by
     * commit or rollback, so each version is max+1 of a committed history (unique and gapless) even
     * with several control planes writing at once.
     */
    void lockForWrite(Handle h) {
        if (dialect == Dialect.POSTGRESQL) call(h, "SELECT pg_advisory_xact_lock(?)", WRITE_LOCK_KEY);
    }

    /** Runs a statement for its effect (e.g. a function returning void, which no row mapper takes). */
    static void call(Handle h, String sql, Object... args) {
        try (var st = h.getConnection().prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) st.setObject(i + 1, args[i]);
            st.execute();
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** A connection outside the pool (PostgreSQL's LISTEN needs one of its own); the caller closes it. */
    public Connection dedicatedConnection() throws SQLException {
        if (!(location instanceof StoreLocation.Postgres p)) throw new IllegalStateException("only PostgreSQL has dedicated connections");
        Properties props = new Properties();
        props.setProperty("user", p.user());
        if (p.password() != null) props.setProperty("password", p.password());
        props.setProperty("connectTimeout", "5");
        // A dead server must not hang the listener forever: reads time out and it reconnects.
        props.setProperty("tcpKeepAlive", "true");
        return DriverManager.getConnection(p.jdbcUrl(), props);
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    public Dialect dialect() {
        return dialect;
    }

    public StoreLocation location() {
        return location;
    }

    /** The SQLite file, or null on PostgreSQL. */
    public Path file() {
        return location instanceof StoreLocation.Sqlite s ? s.file() : null;
    }

    /** Closes the connection pool (PostgreSQL); SQLite opens a connection per use and has nothing to close. */
    @Override
    public void close() {
        if (pool == null) return;
        try {
            pool.close();
        } catch (Exception e) {
            org.slf4j.LoggerFactory.getLogger(Database.class).debug("closing the connection pool failed", e);
        }
    }

    /**
     * Asks the database for a trivial answer, waiting at most {@code limitMs} for it (on PostgreSQL; a connection from
     * the pool may take up to its 5 s to come). Throws when it cannot answer.
     */
    public void check(int limitMs) throws SQLException {
        try (Handle h = jdbi.open()) {
            Connection c = h.getConnection();
            // The pool puts the connection's own limit back when it returns.
            if (dialect == Dialect.POSTGRESQL) c.setNetworkTimeout(Runnable::run, limitMs);
            try (var st = c.createStatement()) {
                st.execute("SELECT 1");
            }
        }
    }

    /** Seconds a read from PostgreSQL may wait, and a session may idle inside a transaction (see openPostgres). */
    static final int SOCKET_TIMEOUT_S = 30;

    /**
     * Whether {@code t} comes from the database being out of reach: a connection that failed, timed out or was ended
     * by the server (SQL states of class 08 and 57P), or no connection to be had from the pool.
     */
    public static boolean unreachable(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof java.sql.SQLTransientConnectionException || c instanceof java.sql.SQLNonTransientConnectionException) return true;
            if (c instanceof SQLException e && e.getSQLState() != null
                    && (e.getSQLState().startsWith("08") || e.getSQLState().startsWith("57P"))) return true;
        }
        return false;
    }

    public static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String m = t.getMessage();
        if (m == null) return t.getClass().getSimpleName();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
