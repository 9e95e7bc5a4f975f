package io.switchyard.controlplane.testing;

import io.switchyard.controlplane.store.StoreLocation;
import io.switchyard.testkit.PostgresServer;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/**
 * One fresh database of either kind for one test: a SQLite file in the test's temporary directory,
 * or a new database on the shared test PostgreSQL server. Tests parameterized over {@link Kind}
 * run the same scenario on both.
 */
public final class TestStore implements AutoCloseable {
    /** The databases the control plane runs on. */
    public enum Kind { SQLITE, POSTGRESQL }

    private final StoreLocation location;

    private TestStore(StoreLocation location) {
        this.location = location;
    }

    /** A fresh database; SQLite's file goes to {@code dir}. */
    public static TestStore create(Kind kind, Path dir) {
        return new TestStore(kind == Kind.SQLITE ? new StoreLocation.Sqlite(dir.resolve("cp.db")) : postgres(PostgresServer.shared().createDatabase()));
    }

    /** The control plane's name for a database on the test server. */
    public static StoreLocation.Postgres postgres(PostgresServer.Database db) {
        return new StoreLocation.Postgres(db.host(), db.port(), db.database(), db.user(), db.password(), Map.of());
    }

    private static PostgresServer.Database database(StoreLocation.Postgres p) {
        return new PostgresServer.Database(p.host(), p.port(), p.database(), p.user(), p.password());
    }

    public StoreLocation location() {
        return location;
    }

    /** A plain JDBC connection, for checks on rows. */
    public Connection connect() throws SQLException {
        if (location instanceof StoreLocation.Sqlite s) return DriverManager.getConnection("jdbc:sqlite:" + s.file());
        return PostgresServer.connect(database((StoreLocation.Postgres) location));
    }

    /** The single number {@code sql} selects. */
    public long scalar(String sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Drops a PostgreSQL database (its control planes must be closed); a SQLite file goes with its temp dir. */
    @Override
    public void close() {
        if (location instanceof StoreLocation.Postgres p) PostgresServer.shared().dropDatabase(database(p));
    }
}
