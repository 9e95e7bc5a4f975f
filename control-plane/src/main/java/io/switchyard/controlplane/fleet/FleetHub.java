package io.switchyard.controlplane.fleet;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.javalin.websocket.WsContext;
import io.switchyard.config.ConfigException;
import io.switchyard.controlplane.store.ConfigStore;
import io.switchyard.fleet.FleetMessage;
import org.eclipse.jetty.websocket.api.WriteCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The fleet view and the snapshot pushes. Each node holds one WebSocket; after its {@code hello}
 * and after every commit the node is sent the newest version (never the intermediate ones: a
 * node that was away catches up in one message). Sends are asynchronous and at most one is in
 * flight per node, so a slow node never blocks a writer or another node; when a send completes
 * the node is checked again, so a version committed meanwhile still goes out. State is in memory:
 * nodes say hello again after a control-plane restart. Thread-safe: each {@link Node} is guarded
 * by its own monitor, the maps are concurrent.
 */
public final class FleetHub implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FleetHub.class);
    /** Upper bound of the fleet view; beyond it, refusals of unknown ids are logged but not kept. */
    static final int MAX_NODES = 10_000;

    /** One row of {@code GET /api/v1/fleet/nodes}. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record NodeView(String nodeId, String address, String softwareVersion, Long appliedVersion,
                           String status, String lastSeen, String error, Long openTunnels) {
    }

    /** The outcome of a convergence wait. */
    public record WaitResult(boolean converged, List<NodeView> nodes, List<NodeView> lagging) {
    }

    private record Encoded(long version, String text) {
    }

    private final Supplier<ConfigStore.Current> current;
    private final Map<String, Node> nodes = new ConcurrentHashMap<>();
    private final Map<String, Node> bySession = new ConcurrentHashMap<>();
    private final List<Waiter> waiters = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "switchyard-fleet-timer");
        t.setDaemon(true);
        return t;
    });
    private volatile Encoded latest;

    public FleetHub(Supplier<ConfigStore.Current> current) {
        this.current = current;
    }

    // ---- called by the store ------------------------------------------------------------------

    /** A version was committed: push it to every connected node that does not have it. */
    public void published(ConfigStore.Current c) {
        encoded(c);
        for (Node n : nodes.values()) push(n);
    }

    // ---- called by the WebSocket endpoint -----------------------------------------------------

    /** A connection was refused at upgrade (wrong or missing cluster token). */
    public void refused(String nodeId, String address, String reason) {
        if (nodeId == null || nodeId.isBlank()) nodeId = "unknown@" + address;
        LOG.warn("fleet: refused node {} from {}: {}", nodeId, address, reason);
        // Refusals come from anyone who can reach the port: do not let them grow the view without bound.
        if (!nodes.containsKey(nodeId) && nodes.size() >= MAX_NODES) return;
        Node n = nodes.computeIfAbsent(nodeId, Node::new);
        synchronized (n) {
            // A refused impostor must not hide a healthy connection of the same id.
            if (n.session == null) {
                n.refused = true;
                n.address = address;
                n.error = reason;
                n.lastSeen = Instant.now();
            }
        }
    }

    /** The WebSocket is open; the node counts as connected (applied version unknown) until its hello. */
    public void connected(WsContext ctx, String nodeId, String address) {
        Node n = nodes.computeIfAbsent(nodeId, Node::new);
        WsContext previous;
        synchronized (n) {
            previous = n.session;
            n.session = ctx;
            n.hello = false;
            n.refused = false;
            n.sending = false;
            n.sentVersion = -1;
            n.address = address;
            n.lastSeen = Instant.now();
        }
        bySession.put(ctx.sessionId(), n);
        if (previous != null) {
            bySession.remove(previous.sessionId());
            // The same node id reconnected (e.g. restarted before its old TCP connection timed out).
            previous.closeSession(4000, "replaced by a newer connection of node " + nodeId);
        }
        LOG.info("fleet: node {} connected from {}", nodeId, address);
        checkWaiters();
    }

    public void message(WsContext ctx, String text) {
        Node n = bySession.get(ctx.sessionId());
        if (n == null) return;
        FleetMessage m;
        try {
            m = FleetMessage.decode(text);
        } catch (ConfigException e) {
            LOG.warn("fleet: node {} sent an unreadable message: {}", n.id, e.getMessage());
            ctx.closeSession(1003, "unreadable message: " + truncate(e.getMessage(), 100));
            return;
        }
        boolean pushNow = false;
        synchronized (n) {
            n.lastSeen = Instant.now();
            if (m instanceof FleetMessage.Hello h) {
                if (h.nodeId() != null && !h.nodeId().equals(n.id)) {
                    ctx.closeSession(1008, "hello node_id " + h.nodeId() + " differs from node_id " + n.id + " of the connection");
                    return;
                }
                n.hello = true;
                n.applied = h.appliedVersion();
                n.softwareVersion = h.softwareVersion();
                if (h.address() != null && !h.address().isBlank()) n.address = h.address();
                n.openTunnels = h.openTunnels();
                pushNow = true;
            } else if (m instanceof FleetMessage.Ack a) {
                n.applied = a.version();
                n.error = null;
                n.nackedVersion = -1;
            } else if (m instanceof FleetMessage.Nack k) {
                n.nackedVersion = k.version();
                n.error = k.error() == null ? "rejected without a reason" : k.error();
                LOG.warn("fleet: node {} rejected version {}: {}", n.id, k.version(), n.error);
            } else if (m instanceof FleetMessage.Heartbeat hb) {
                n.applied = hb.appliedVersion();
                n.openTunnels = hb.openTunnels();
            } else {
                ctx.closeSession(1008, "snapshot messages go from the control plane to nodes only");
                return;
            }
        }
        if (pushNow) push(n);
        checkWaiters();
    }

    public void closed(WsContext ctx, int code, String reason) {
        Node n = bySession.remove(ctx.sessionId());
        if (n == null) return;
        synchronized (n) {
            if (n.session == null || !n.session.sessionId().equals(ctx.sessionId())) return;
            n.session = null;
            n.sending = false;
            n.lastSeen = Instant.now();
        }
        LOG.info("fleet: node {} disconnected ({} {})", n.id, code, reason == null ? "" : reason);
        checkWaiters();
    }

    // ---- the fleet view -------------------------------------------------------------------------

    public List<NodeView> nodes() {
        long version = current.get().version();
        List<NodeView> out = new ArrayList<>();
        for (Node n : nodes.values()) out.add(n.view(version));
        out.sort(Comparator.comparing(NodeView::nodeId));
        return out;
    }

    /**
     * Completes when every connected node has applied at least {@code minVersion}, or after
     * {@code waitMs} with {@code converged=false} and the nodes still behind. Never blocks.
     */
    public CompletableFuture<WaitResult> await(long minVersion, long waitMs) {
        Waiter w = new Waiter(minVersion);
        waiters.add(w);
        checkWaiters();
        if (!w.future.isDone()) {
            var timeout = timer.schedule(() -> {
                waiters.remove(w);
                w.future.complete(result(minVersion));
            }, waitMs, TimeUnit.MILLISECONDS);
            w.future.whenComplete((r, e) -> timeout.cancel(false));
        }
        return w.future;
    }

    /** How many {@code min_version} requests are parked waiting for convergence. */
    public int waiting() {
        return waiters.size();
    }

    @Override
    public void close() {
        timer.shutdownNow();
        for (Node n : nodes.values()) {
            WsContext s;
            synchronized (n) {
                s = n.session;
            }
            // 1001 "going away" tells nodes to reconnect later rather than treat it as an error.
            if (s != null) {
                try {
                    s.closeSession(1001, "control plane shutting down");
                } catch (RuntimeException e) {
                    LOG.debug("fleet: closing node {} failed", n.id, e);
                }
            }
        }
        for (Waiter w : waiters) w.future.complete(result(w.minVersion));
        waiters.clear();
    }

    private void checkWaiters() {
        if (waiters.isEmpty()) return;
        for (Waiter w : waiters) {
            WaitResult r = result(w.minVersion);
            if (r.converged()) {
                waiters.remove(w);
                w.future.complete(r);
            }
        }
    }

    private WaitResult result(long minVersion) {
        long version = current.get().version();
        List<NodeView> all = new ArrayList<>();
        List<NodeView> lagging = new ArrayList<>();
        for (Node n : nodes.values()) {
            NodeView v;
            boolean behind;
            synchronized (n) {
                v = n.view(version);
                // A connected node that has not said hello yet has an unknown version: it is behind.
                behind = n.session != null && (!n.hello || n.applied < minVersion);
            }
            all.add(v);
            if (behind) lagging.add(v);
        }
        all.sort(Comparator.comparing(NodeView::nodeId));
        lagging.sort(Comparator.comparing(NodeView::nodeId));
        return new WaitResult(lagging.isEmpty(), all, lagging);
    }

    // ---- pushing -------------------------------------------------------------------------------

    private Encoded encoded(ConfigStore.Current c) {
        Encoded e = latest;
        if (e != null && e.version() >= c.version()) return e;
        // Encoded once per version, unredacted: nodes need the private keys.
        e = new Encoded(c.version(), FleetMessage.encode(new FleetMessage.SnapshotPush(c.version(), c.config())));
        latest = e;
        return e;
    }

    private void push(Node n) {
        ConfigStore.Current c = current.get();
        if (c.version() == 0) return; // nothing was ever committed; a node's own document stays
        Encoded e = encoded(c);
        WsContext session;
        synchronized (n) {
            if (n.session == null || !n.hello || n.sending) return;
            if (n.applied == e.version() || n.sentVersion >= e.version()) return;
            n.sending = true;
            n.sentVersion = e.version();
            session = n.session;
        }
        session.session.getRemote().sendString(e.text(), new WriteCallback() {
            @Override
            public void writeSuccess() {
                synchronized (n) {
                    n.sending = false;
                }
                push(n); // a newer version may have been committed while this one was in flight
            }

            @Override
            public void writeFailed(Throwable x) {
                synchronized (n) {
                    n.sending = false;
                }
                LOG.warn("fleet: push of version {} to node {} failed: {}", e.version(), n.id, x.toString());
            }
        });
    }

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }

    private static final class Waiter {
        final long minVersion;
        final CompletableFuture<WaitResult> future = new CompletableFuture<>();

        Waiter(long minVersion) {
            this.minVersion = minVersion;
        }
    }

    /** One node's last known state; every field guarded by the node's monitor. */
    private static final class Node {
        final String id;
        WsContext session;
        boolean hello;
        boolean refused;
        boolean sending;
        long sentVersion = -1;
        long applied = -1;
        long nackedVersion = -1;
        long openTunnels;
        String address;
        String softwareVersion;
        String error;
        Instant lastSeen;

        Node(String id) {
            this.id = id;
        }

        synchronized NodeView view(long currentVersion) {
            String status;
            if (session == null) status = refused ? "refused" : "disconnected";
            else if (hello && applied == currentVersion) status = "in_sync";
            else if (nackedVersion == currentVersion && currentVersion > 0) status = "rejected";
            else status = "lagging";
            return new NodeView(id, address, softwareVersion, applied < 0 ? null : applied, status,
                    lastSeen == null ? null : lastSeen.toString(), error, hello ? openTunnels : null);
        }
    }
}
