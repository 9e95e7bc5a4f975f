package io.switchyard.controlplane.api;

import io.javalin.http.sse.SseClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * {@code GET /api/v1/events}: server-sent events that tell a watching page (the dashboard) when to
 * read the API again. {@code ready} once on subscribe, {@code version} when a version is committed,
 * {@code fleet} when the fleet view changes (a node connected, said hello, acked, was refused,
 * disconnected, or reported another applied version or tunnel count), and a comment every
 * {@link #HEARTBEAT_S} s so proxies keep the connection and a gone client is noticed. Events carry
 * {@code {"version":N}} only: the page reads the state itself. Fleet changes arrive in bursts (a
 * push acked by every node), so they are coalesced to at most one event per {@link #FLEET_COALESCE_MS}.
 * Thread-safe: every write to every client happens on this class's one thread, so a client never
 * sees two events interleaved and no caller (a writer, a fleet WebSocket thread) ever blocks on a
 * slow watcher.
 */
final class EventStream implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventStream.class);
    static final long HEARTBEAT_S = 15;
    static final long FLEET_COALESCE_MS = 200;
    /** Watchers beyond this are refused (each holds a connection and a Jetty async context). */
    static final int MAX_CLIENTS = 256;

    private final Set<SseClient> clients = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean fleetPending = new AtomicBoolean();
    private final LongSupplier currentVersion;
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "switchyard-admin-events");
        t.setDaemon(true);
        return t;
    });

    EventStream(LongSupplier currentVersion) {
        this.currentVersion = currentVersion;
        writer.scheduleAtFixedRate(this::heartbeat, HEARTBEAT_S, HEARTBEAT_S, TimeUnit.SECONDS);
    }

    /** A new subscriber (called on the request's thread); it is held open until it goes away or {@link #close}. */
    void subscribe(SseClient client) {
        if (clients.size() >= MAX_CLIENTS) {
            // The stream is already open (200, text/event-stream): say why and end it; the page polls instead.
            client.sendComment("refused: " + MAX_CLIENTS + " event streams are open already");
            client.close();
            return;
        }
        client.keepAlive();
        client.onClose(() -> clients.remove(client));
        clients.add(client);
        run(() -> send(client, "ready", currentVersion.getAsLong()));
    }

    /** Version {@code version} was committed. */
    void versionCommitted(long version) {
        run(() -> {
            for (SseClient c : clients) send(c, "version", version);
        });
    }

    /** The fleet view changed. */
    void fleetChanged() {
        if (!fleetPending.compareAndSet(false, true)) return;
        try {
            writer.schedule(() -> {
                fleetPending.set(false);
                long v = currentVersion.getAsLong();
                for (SseClient c : clients) send(c, "fleet", v);
            }, FLEET_COALESCE_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            // shutting down
        }
    }

    /** Open event streams right now. */
    int watchers() {
        return clients.size();
    }

    private void heartbeat() {
        try {
            for (SseClient c : clients) {
                if (c.terminated()) clients.remove(c);
                else c.sendComment("heartbeat");
            }
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again: keep the heartbeat alive.
            LOG.debug("admin events: a heartbeat failed", e);
        }
    }

    private void send(SseClient c, String event, long version) {
        if (c.terminated()) {
            clients.remove(c);
            return;
        }
        // A failed write closes the client (Javalin's emitter), which runs onClose and removes it.
        c.sendEvent(event, "{\"version\":" + version + "}");
    }

    private void run(Runnable r) {
        try {
            writer.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.debug("admin events: a write failed", e);
                }
            });
        } catch (RejectedExecutionException closed) {
            // shutting down
        }
    }

    /** Ends every stream and the writer thread. Idempotent. */
    @Override
    public void close() {
        writer.shutdownNow();
        try {
            // A write in flight ends before the streams are closed under it.
            writer.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SseClient c : clients) {
            try {
                c.close();
            } catch (RuntimeException e) {
                LOG.debug("admin events: closing a stream failed", e);
            }
        }
        clients.clear();
    }
}
