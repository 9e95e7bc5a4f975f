package io.switchyard.controlplane.store;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;

/**
 * Learns of versions other control planes commit to the same PostgreSQL database: {@code LISTEN}
 * on {@link ConfigStore#VERSIONS_CHANNEL} (each write NOTIFYs at commit) on a connection of its own,
 * and, as a fallback for notifications lost while that connection was down, a poll every
 * {@link #POLL_MS}. Either way {@link ConfigStore#refresh()} publishes the newest version, and the
 * store's listeners (the fleet hub) push it to this control plane's nodes. One daemon thread.
 */
public final class VersionListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VersionListener.class);
    static final long POLL_MS = 1_000;
    private static final long RETRY_MS = 1_000;

    private final Database db;
    private final ConfigStore store;
    private final Thread thread;
    private volatile boolean closed;
    private volatile Connection connection;

    public VersionListener(Database db, ConfigStore store) {
        this.db = db;
        this.store = store;
        this.thread = new Thread(this::run, "switchyard-version-listener");
        thread.setDaemon(true);
    }

    public VersionListener start() {
        thread.start();
        return this;
    }

    private void run() {
        long lastPoll = 0;
        boolean warned = false;
        while (!closed) {
            try {
                if (connection == null) {
                    Connection c = db.dedicatedConnection();
                    try (Statement st = c.createStatement()) {
                        st.execute("LISTEN " + ConfigStore.VERSIONS_CHANNEL);
                    }
                    connection = c;
                    if (warned) LOG.info("listening for new versions again");
                    warned = false;
                    // Versions committed while nobody listened: catch up now.
                    store.refresh();
                    lastPoll = System.nanoTime();
                }
                PGNotification[] got = connection.unwrap(PGConnection.class).getNotifications((int) POLL_MS);
                boolean pollDue = System.nanoTime() - lastPoll >= TimeUnit.MILLISECONDS.toNanos(POLL_MS);
                if ((got != null && got.length > 0) || pollDue) {
                    store.refresh();
                    lastPoll = System.nanoTime();
                }
            } catch (SQLException | RuntimeException e) {
                if (closed) break;
                if (!warned) LOG.warn("cannot listen for new versions ({}); polling every {} ms until the database is back",
                        Database.rootMessage(e), RETRY_MS);
                warned = true;
                closeConnection();
                try {
                    store.refresh();
                } catch (RuntimeException again) {
                    LOG.debug("polling for new versions failed", again);
                }
                try {
                    Thread.sleep(RETRY_MS);
                } catch (InterruptedException ie) {
                    break;
                }
            }
        }
        closeConnection();
    }

    private void closeConnection() {
        Connection c = connection;
        connection = null;
        if (c == null) return;
        try {
            c.close();
        } catch (SQLException e) {
            LOG.debug("closing the listening connection failed", e);
        }
    }

    @Override
    public void close() {
        closed = true;
        // Closing the socket ends a read parked in getNotifications at once.
        closeConnection();
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeConnection();
    }
}
