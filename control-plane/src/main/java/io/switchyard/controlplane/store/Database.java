package io.switchyard.controlplane.store;

import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The SQLite file: every connection is opened in WAL mode with {@code synchronous=FULL} (a commit
 * that returned survives a power cut), foreign keys enforced, a busy timeout, and transactions that
 * start with {@code BEGIN IMMEDIATE} (a writer takes the write lock up front instead of failing on
 * upgrade when another process reads). The schema comes from the Flyway migrations on the
 * classpath ({@code db/migration}, copied from the repository's {@code migrations/}). Thread-safe.
 */
public final class Database {
    static final int BUSY_TIMEOUT_MS = 5_000;

    private final Jdbi jdbi;
    private final Path file;

    private Database(Path file, Jdbi jdbi) {
        this.file = file;
        this.jdbi = jdbi;
    }

    /**
     * Opens (creating when absent) and migrates the database.
     *
     * @throws IllegalStateException when the file cannot be opened or migrated
     */
    public static Database open(Path file) {
        Path abs = file.toAbsolutePath();
        if (abs.getParent() != null && !Files.isDirectory(abs.getParent()))
            throw new IllegalStateException("database " + file + ": directory " + abs.getParent() + " does not exist");
        if (Files.isDirectory(abs))
            throw new IllegalStateException("database " + file + ": is a directory (expected: a file path)");
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.enforceForeignKeys(true);
        config.setBusyTimeout(BUSY_TIMEOUT_MS);
        config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        SQLiteDataSource ds = new SQLiteDataSource(config);
        ds.setUrl("jdbc:sqlite:" + abs);
        try {
            Flyway.configure()
                    .dataSource(ds)
                    .locations("classpath:db/migration")
                    .failOnMissingLocations(true)
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            throw new IllegalStateException("database " + file + ": cannot open or migrate (" + rootMessage(e) + ")", e);
        }
        return new Database(abs, Jdbi.create(ds));
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    public Path file() {
        return file;
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String m = t.getMessage();
        if (m == null) return t.getClass().getSimpleName();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
