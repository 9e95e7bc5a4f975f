package io.switchyard.controlplane.store;

import io.switchyard.controlplane.fleet.FleetMirror;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The fleet state of several control planes in PostgreSQL's {@code fleet_nodes}: each writes the rows
 * of the nodes connected to it and reads the others'. Writes are queued and coalesced per node on one
 * thread, so a WebSocket callback never waits for the database; while a connection lives its row is
 * refreshed every {@link #TOUCH_MS}, and a row not refreshed for {@link #LIVE_MS} (its control plane
 * died) no longer counts as connected. Times are the database's, so clocks of the control planes
 * need not agree. Thread-safe: {@link #pending} is guarded by its own monitor, the rest is one
 * executor thread and volatile caches.
 */
public final class PostgresFleet implements FleetMirror {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresFleet.class);
    static final long TOUCH_MS = 2_000;
    static final long LIVE_MS = 6_000;
    private static final long REMOTE_CACHE_MS = 200;
    private static final String COLUMNS = "node_id, control_plane, connection, address, software_version, hello, applied_version, "
            + "nacked_version, open_tunnels, error, last_seen";
    private static final String UPSERT = "INSERT INTO fleet_nodes (" + COLUMNS + ", updated_at) VALUES (:nodeId, :controlPlane, "
            + ":connection, :address, :softwareVersion, :hello, :appliedVersion, :nackedVersion, :openTunnels, :error, :lastSeen, now()) "
            + "ON CONFLICT (node_id) DO UPDATE SET control_plane = excluded.control_plane, connection = excluded.connection, "
            + "address = excluded.address, software_version = excluded.software_version, hello = excluded.hello, "
            + "applied_version = excluded.applied_version, nacked_version = excluded.nacked_version, "
            + "open_tunnels = excluded.open_tunnels, error = excluded.error, last_seen = excluded.last_seen, updated_at = now()";

    private final Jdbi jdbi;
    private final String instance;
    private final Map<String, Row> pending = new LinkedHashMap<>();
    private boolean flushQueued;
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "switchyard-fleet-db");
        t.setDaemon(true);
        return t;
    });
    private volatile List<Remote> remote = List.of();
    private volatile long remoteAt;
    private volatile long lastFailureLog;

    public PostgresFleet(Database db, String instance) {
        if (db.dialect() != Database.Dialect.POSTGRESQL) throw new IllegalArgumentException("fleet rows live in PostgreSQL only");
        this.jdbi = db.jdbi();
        this.instance = instance;
        writer.scheduleWithFixedDelay(this::touch, TOUCH_MS, TOUCH_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    public String instance() {
        return instance;
    }

    @Override
    public void publish(Row row) {
        synchronized (pending) {
            Row old = pending.get(row.nodeId());
            // A claim not yet written must stay a claim when a later change of the same connection replaces it.
            if (old != null && old.claim() && row.connected() && java.util.Objects.equals(old.connection(), row.connection()) && !row.claim())
                row = new Row(row.nodeId(), row.controlPlane(), row.connection(), true, true, row.address(), row.softwareVersion(),
                        row.hello(), row.appliedVersion(), row.nackedVersion(), row.openTunnels(), row.error(), row.lastSeen());
            pending.put(row.nodeId(), row);
            if (flushQueued) return;
            flushQueued = true;
        }
        try {
            writer.execute(this::flush);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // Shutting down: the rows go stale and read as disconnected.
        }
    }

    private void flush() {
        List<Row> rows;
        synchronized (pending) {
            rows = new ArrayList<>(pending.values());
            pending.clear();
            flushQueued = false;
        }
        if (rows.isEmpty()) return;
        try {
            jdbi.useTransaction(h -> {
                PreparedBatch closed = h.prepareBatch("UPDATE fleet_nodes SET connection = NULL, last_seen = :lastSeen, updated_at = now() "
                        + "WHERE node_id = :nodeId AND connection = :connection");
                PreparedBatch claims = h.prepareBatch(UPSERT);
                // Only a new connection takes a node over; late news of an old one must not undo that.
                PreparedBatch updates = h.prepareBatch(UPSERT + " WHERE fleet_nodes.connection = excluded.connection");
                for (Row r : rows) {
                    // The row's components by name (nodeId, controlPlane, ...), as the statements name them.
                    if (!r.connected()) closed.bindMethods(r).add();
                    else (r.claim() ? claims : updates).bindMethods(r).add();
                }
                for (PreparedBatch b : List.of(closed, claims, updates)) if (b.size() > 0) b.execute();
            });
        } catch (RuntimeException e) {
            // The database is away: these rows are lost, and the next heartbeat of each node (every few
            // seconds) writes its state again. Logged at most every 10 s.
            long now = System.nanoTime();
            if (now - lastFailureLog > TimeUnit.SECONDS.toNanos(10)) {
                lastFailureLog = now;
                LOG.warn("fleet: cannot write node state to the database ({}); other control planes see it late", Database.rootMessage(e));
            }
        }
    }

    private void touch() {
        try {
            jdbi.useHandle(h -> h.createUpdate("UPDATE fleet_nodes SET updated_at = now() WHERE control_plane = :instance AND connection IS NOT NULL")
                    .bind("instance", instance).execute());
        } catch (RuntimeException e) {
            LOG.debug("fleet: refreshing node rows failed", e);
        }
    }

    @Override
    public List<Remote> remote() {
        if (System.nanoTime() - remoteAt > TimeUnit.MILLISECONDS.toNanos(REMOTE_CACHE_MS)) {
            try {
                return refreshRemote();
            } catch (RuntimeException e) {
                LOG.debug("fleet: reading other control planes' nodes failed", e);
            }
        }
        return remote;
    }

    @Override
    public List<Remote> refreshRemote() {
        List<Remote> rows = jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS
                        + ", connection IS NOT NULL AND updated_at > now() - make_interval(secs => :liveSeconds) AS live "
                        + "FROM fleet_nodes WHERE control_plane <> :instance")
                .bind("liveSeconds", LIVE_MS / 1000.0).bind("instance", instance)
                .map((rs, ctx) -> new Remote(new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(3) != null, false,
                        rs.getString(4), rs.getString(5), rs.getBoolean(6), (Long) rs.getObject(7, Long.class),
                        (Long) rs.getObject(8, Long.class), (Long) rs.getObject(9, Long.class), rs.getString(10), rs.getString(11)),
                        rs.getBoolean(12)))
                .list());
        remote = List.copyOf(rows);
        remoteAt = System.nanoTime();
        return remote;
    }

    /** Writes what is queued (bounded wait), then stops. */
    @Override
    public void close() {
        try {
            writer.submit(this::flush).get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debug("fleet: final write of node state failed", e);
        }
        writer.shutdownNow();
    }
}
