package io.switchyard.controlplane.fleet;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.switchyard.config.ConfigException;
import io.switchyard.config.Snapshot;
import io.switchyard.fleet.FleetMessage;
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
 * The fleet view and the snapshot pushes. Each node holds one connection (a {@link NodeLink}, which
 * keeps this class free of any transport); after its {@code hello}
 * and after every commit the node is sent the newest version (never the intermediate ones: a
 * node that was away catches up in one message). Sends are asynchronous and at most one is in
 * flight per node, so a slow node never blocks a writer or another node; when a send completes
 * the node is checked again, so a version committed meanwhile still goes out. A node is never sent
 * a version older than the one it holds. State is in memory: nodes say hello again after a
 * control-plane restart. With several control planes on one database, each shares its own nodes'
 * state through a {@link FleetMirror}, and the view and convergence waits cover every node,
 * whichever control plane holds its connection. Thread-safe: each {@link Node} is guarded by its
 * own monitor, the maps are concurrent.
 */
public final class FleetHub implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FleetHub.class);
    /** Upper bound of the fleet view; beyond it, refusals of unknown ids are logged but not kept. */
    static final int MAX_NODES = 10_000;
    static final int MAX_REFUSED_PER_ADDRESS = 8;
    static final int MAX_REFUSED = 256;
    static final long REFUSAL_LOG_INTERVAL_MS = 60_000;
    /** Refusal lines logged per {@link #REFUSAL_LOG_INTERVAL_MS}, whatever the number of addresses. */
    static final int MAX_REFUSAL_LINES = 10;
    /** How often other control planes' node rows are re-read while a convergence wait is parked. */
    static final long REMOTE_POLL_MS = 50;

    /** One row of {@code GET /api/v1/fleet/nodes}. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record NodeView(String nodeId, String address, String softwareVersion, Long appliedVersion,
                           String status, String lastSeen, String error, Long openTunnels, String controlPlane) {
    }

    /** The outcome of a convergence wait. */
    public record WaitResult(boolean converged, List<NodeView> nodes, List<NodeView> lagging) {
    }

    private record Encoded(long version, String text) {
    }

    /**
     * What the nodes answered to one query: the answers by node id, and the nodes that were asked but did not
     * answer in time (or whose connection failed meanwhile), sorted. Only nodes connected to this control plane
     * are asked: with several control planes on one database, the others' nodes are not reached.
     */
    public record Gathered<A extends FleetMessage.Answer>(Map<String, A> answers, List<String> unanswered) {
        public Gathered {
            answers = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(answers));
            unanswered = unanswered.stream().sorted().toList();
        }
    }

    /** One query in flight; guarded by its own monitor. */
    private static final class Pending<A extends FleetMessage.Answer> {
        final Class<A> type;
        /** Every node asked. */
        final java.util.Set<String> asked = new java.util.HashSet<>();
        /** Nodes that may still answer (asked, not answered, connection not lost). */
        final java.util.Set<String> waitingFor = new java.util.HashSet<>();
        final Map<String, A> answers = new java.util.HashMap<>();
        final CompletableFuture<Gathered<A>> future = new CompletableFuture<>();

        Pending(Class<A> type) {
            this.type = type;
        }

        /** The node answered ({@code answer}) or can no longer answer (null); completes when nobody is left. */
        void settle(String nodeId, FleetMessage.Answer answer) {
            Gathered<A> done = null;
            synchronized (this) {
                if (!waitingFor.contains(nodeId)) return; // late, duplicate, or not asked
                if (answer != null && !type.isInstance(answer)) return; // a wrong kind of answer is no answer
                waitingFor.remove(nodeId);
                if (answer != null) answers.put(nodeId, type.cast(answer));
                if (waitingFor.isEmpty()) done = gathered();
            }
            if (done != null) future.complete(done);
        }

        synchronized Gathered<A> gathered() {
            List<String> missing = new ArrayList<>(asked);
            missing.removeAll(answers.keySet());
            return new Gathered<>(answers, missing);
        }
    }

    private final Map<String, Pending<?>> queries = new ConcurrentHashMap<>();

    private final Supplier<Snapshot> current;
    private final Map<String, Node> nodes = new ConcurrentHashMap<>();
    /** Refused attempts by "address id", oldest first; guarded by itself, as is {@link #refusalLog}. */
    private final java.util.LinkedHashMap<String, Refusal> refusals = new java.util.LinkedHashMap<>();
    /** Per address: when a refusal was last logged (nanoTime). */
    private final Map<String, Long> refusalLog = new java.util.HashMap<>();
    private long refusalWindowStart = System.nanoTime();
    private int refusalLinesInWindow;
    private long refusalsNotLogged;

    private record Refusal(String nodeId, String address, String reason, Instant at) {
    }
    private final Map<String, Node> bySession = new ConcurrentHashMap<>();
    private final List<Waiter> waiters = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "switchyard-fleet-timer");
        t.setDaemon(true);
        return t;
    });
    private volatile Encoded latest;
    private final FleetMirror mirror;
    /** Told (on the thread that made the change, without any lock held) whenever the fleet view changes. */
    private final List<Runnable> changeListeners = new CopyOnWriteArrayList<>();

    /** @param current the newest committed version (0 with an empty document before the first) */
    public FleetHub(Supplier<Snapshot> current) {
        this(current, FleetMirror.NONE);
    }

    public FleetHub(Supplier<Snapshot> current, FleetMirror mirror) {
        this.current = current;
        this.mirror = mirror;
        // Nodes of other control planes ack there; their rows are polled while someone waits here.
        if (mirror != FleetMirror.NONE) timer.scheduleWithFixedDelay(this::pollRemote, REMOTE_POLL_MS, REMOTE_POLL_MS, TimeUnit.MILLISECONDS);
    }

    private void pollRemote() {
        if (waiters.isEmpty()) return;
        try {
            mirror.refreshRemote();
        } catch (RuntimeException e) {
            LOG.debug("fleet: reading other control planes' nodes failed", e);
            return;
        }
        checkWaiters();
    }

    /** {@code listener} runs whenever this control plane's fleet view changes; it must be quick and not throw. */
    public void onChange(Runnable listener) {
        changeListeners.add(listener);
    }

    private void changed() {
        for (Runnable l : changeListeners) {
            try {
                l.run();
            } catch (RuntimeException e) {
                LOG.debug("fleet: a change listener failed", e);
            }
        }
    }

    // ---- called by the store ------------------------------------------------------------------

    /** A version was committed: push it to every connected node that does not have it. */
    public void published(Snapshot c) {
        encoded(c);
        for (Node n : nodes.values()) push(n);
    }

    // ---- called by the fleet endpoint --------------------------------------------------------

    /**
     * A connection was refused at upgrade (wrong or missing cluster token, or a client certificate
     * that does not name the node). Refusals come from anyone who can reach the port, so they are
     * kept apart from the nodes and bounded: at most {@link #MAX_REFUSED_PER_ADDRESS} claimed ids per
     * address and {@link #MAX_REFUSED} in all, the oldest forgotten first. The log gets at most one line
     * per address and {@link #MAX_REFUSAL_LINES} in all per {@link #REFUSAL_LOG_INTERVAL_MS}; the next
     * line says how many attempts were not logged.
     */
    public void refused(String nodeId, String address, String reason) {
        String id = nodeId == null || nodeId.isBlank() ? "unknown@" + address : nodeId;
        Instant now = Instant.now();
        long suppressed = -1;
        synchronized (refusals) {
            Refusal old = refusals.remove(address + " " + id);
            refusals.put(address + " " + id, new Refusal(id, address, reason, now));
            if (old == null) {
                List<String> sameAddress = new ArrayList<>();
                for (Map.Entry<String, Refusal> e : refusals.entrySet()) if (e.getValue().address().equals(address)) sameAddress.add(e.getKey());
                for (int i = 0; i < sameAddress.size() - MAX_REFUSED_PER_ADDRESS; i++) refusals.remove(sameAddress.get(i));
                while (refusals.size() > MAX_REFUSED) refusals.remove(refusals.keySet().iterator().next());
            }
            long t = System.nanoTime();
            long interval = TimeUnit.MILLISECONDS.toNanos(REFUSAL_LOG_INTERVAL_MS);
            if (t - refusalWindowStart >= interval) {
                refusalWindowStart = t;
                refusalLinesInWindow = 0;
            }
            Long last = refusalLog.get(address);
            if ((last == null || t - last >= interval) && refusalLinesInWindow < MAX_REFUSAL_LINES) {
                refusalLinesInWindow++;
                suppressed = refusalsNotLogged;
                refusalsNotLogged = 0;
                if (last == null && refusalLog.size() >= MAX_REFUSED) refusalLog.clear();
                refusalLog.put(address, t);
            } else {
                refusalsNotLogged++;
            }
        }
        if (suppressed >= 0)
            LOG.warn("fleet: refused node {} from {}: {}{}", id, address, reason,
                    suppressed == 0 ? "" : " (" + suppressed + " other refused attempts were not logged)");
        changed();
    }

    /** The connection is open; the node counts as connected (applied version unknown) until its hello. */
    public void connected(NodeLink link, String nodeId, String address) {
        Node n = nodes.computeIfAbsent(nodeId, Node::new);
        NodeLink previous;
        synchronized (n) {
            previous = n.session;
            n.session = link;
            n.hello = false;
            n.sending = false;
            n.sentVersion = -1;
            n.address = address;
            n.lastSeen = Instant.now();
            mirror.publish(n.row(mirror.instance(), true));
        }
        bySession.put(link.id(), n);
        if (previous != null) {
            bySession.remove(previous.id());
            // The same node id reconnected (e.g. restarted before its old TCP connection timed out).
            previous.close(4000, "replaced by a newer connection of node " + nodeId);
        }
        LOG.info("fleet: node {} connected from {}", nodeId, address);
        checkWaiters();
        changed();
    }

    /** One text message the node sent on {@code link}. */
    public void message(NodeLink link, String text) {
        Node n = bySession.get(link.id());
        if (n == null) return;
        FleetMessage m;
        try {
            m = FleetMessage.decode(text);
        } catch (ConfigException e) {
            LOG.warn("fleet: node {} sent an unreadable message: {}", n.id, e.getMessage());
            link.close(1003, "unreadable message: " + truncate(e.getMessage(), 100));
            return;
        }
        boolean pushNow = false;
        if (m instanceof FleetMessage.Answer a) {
            synchronized (n) {
                n.lastSeen = Instant.now();
            }
            Pending<?> p = a.queryId() == null ? null : queries.get(a.queryId());
            if (p != null) p.settle(n.id, a);
            return;
        }
        boolean viewChanged = true;
        synchronized (n) {
            n.lastSeen = Instant.now();
            if (m instanceof FleetMessage.Hello h) {
                if (h.nodeId() != null && !h.nodeId().equals(n.id)) {
                    link.close(1008, "hello node_id " + h.nodeId() + " differs from node_id " + n.id + " of the connection");
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
                // Only last_seen moves on most heartbeats; watchers hear of real changes only.
                viewChanged = n.applied != hb.appliedVersion() || n.openTunnels != hb.openTunnels();
                n.applied = hb.appliedVersion();
                n.openTunnels = hb.openTunnels();
            } else {
                link.close(1008, "snapshot and query messages go from the control plane to nodes only");
                return;
            }
            mirror.publish(n.row(mirror.instance(), false));
        }
        if (pushNow) push(n);
        checkWaiters();
        if (viewChanged) changed();
    }

    /** The connection {@code link} closed. */
    public void closed(NodeLink link, int code, String reason) {
        Node n = bySession.remove(link.id());
        if (n == null) return;
        synchronized (n) {
            if (n.session == null || !n.session.id().equals(link.id())) return;
            mirror.publish(n.closedRow(mirror.instance()));
            n.session = null;
            n.sending = false;
            n.lastSeen = Instant.now();
        }
        LOG.info("fleet: node {} disconnected ({} {})", n.id, code, reason == null ? "" : reason);
        // A node that went away answers nothing more: queries waiting for it need not wait out their timeout.
        for (Pending<?> p : queries.values()) p.settle(n.id, null);
        checkWaiters();
        changed();
    }

    // ---- the fleet view -------------------------------------------------------------------------

    public List<NodeView> nodes() {
        List<FleetMirror.Remote> remote = List.of();
        try {
            remote = mirror.refreshRemote();
        } catch (RuntimeException e) {
            LOG.warn("fleet: cannot read other control planes' nodes ({}); showing this one's only", e.toString());
        }
        return result(0, remote).nodes();
    }

    /**
     * Completes when every connected node has applied at least {@code minVersion}, or after
     * {@code waitMs} with {@code converged=false} and the nodes still behind. Never blocks.
     */
    public CompletableFuture<WaitResult> await(long minVersion, long waitMs) {
        Waiter w = new Waiter(minVersion);
        waiters.add(w);
        if (mirror != FleetMirror.NONE) {
            try {
                mirror.refreshRemote();
            } catch (RuntimeException e) {
                LOG.debug("fleet: reading other control planes' nodes failed", e);
            }
        }
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

    /** {@link #ask(String, java.util.function.Function, Class, long)} of every node. */
    public <A extends FleetMessage.Answer> CompletableFuture<Gathered<A>> ask(java.util.function.Function<String, FleetMessage.Query> query,
                                                                             Class<A> answerType, long timeoutMs) {
        return ask(null, query, answerType, timeoutMs);
    }

    /**
     * Sends a query to every node connected here that said hello, or only to {@code onlyNode} when not null
     * ({@code query} builds it from the query id this method picks) and completes with the answers of type {@code answerType} once every node answered, or after
     * {@code timeoutMs} with those that did. Never blocks.
     */
    public <A extends FleetMessage.Answer> CompletableFuture<Gathered<A>> ask(String onlyNode, java.util.function.Function<String, FleetMessage.Query> query,
                                                                             Class<A> answerType, long timeoutMs) {
        String id = java.util.UUID.randomUUID().toString();
        Pending<A> p = new Pending<>(answerType);
        Map<String, NodeLink> targets = new java.util.TreeMap<>();
        for (Node n : nodes.values()) {
            synchronized (n) {
                if (n.session != null && n.hello && (onlyNode == null || onlyNode.equals(n.id))) targets.put(n.id, n.session);
            }
        }
        if (targets.isEmpty()) return CompletableFuture.completedFuture(new Gathered<>(Map.of(), List.of()));
        synchronized (p) {
            p.asked.addAll(targets.keySet());
            p.waitingFor.addAll(targets.keySet());
        }
        queries.put(id, p);
        String text = FleetMessage.encode(query.apply(id));
        var timeout = timer.schedule(() -> p.future.complete(p.gathered()), timeoutMs, TimeUnit.MILLISECONDS);
        p.future.whenComplete((r, e) -> {
            timeout.cancel(false);
            queries.remove(id);
        });
        for (Map.Entry<String, NodeLink> t : targets.entrySet()) {
            t.getValue().send(text, failure -> {
                if (failure == null) return;
                LOG.warn("fleet: query to node {} failed: {}", t.getKey(), failure.toString());
                p.settle(t.getKey(), null);
            });
        }
        return p.future;
    }

    /** Queries waiting for answers now. */
    public int queriesInFlight() {
        return queries.size();
    }

    /** How many {@code min_version} requests are parked waiting for convergence. */
    public int waiting() {
        return waiters.size();
    }

    @Override
    public void close() {
        timer.shutdownNow();
        for (Node n : nodes.values()) {
            NodeLink s;
            synchronized (n) {
                s = n.session;
                if (s != null) mirror.publish(n.closedRow(mirror.instance()));
            }
            // 1001 "going away" tells nodes to reconnect later rather than treat it as an error.
            if (s != null) {
                try {
                    s.close(1001, "control plane shutting down");
                } catch (RuntimeException e) {
                    LOG.debug("fleet: closing node {} failed", n.id, e);
                }
            }
        }
        for (Waiter w : waiters) w.future.complete(result(w.minVersion));
        waiters.clear();
        for (Pending<?> p : queries.values()) complete(p);
        mirror.close();
    }

    private static <A extends FleetMessage.Answer> void complete(Pending<A> p) {
        p.future.complete(p.gathered());
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
        return result(minVersion, mirror.remote());
    }

    /**
     * One view over this control plane's nodes and the other control planes' rows: a node connected
     * here is shown from here; else a live row elsewhere wins (the node failed over); else whatever
     * was last known, as disconnected.
     */
    private WaitResult result(long minVersion, List<FleetMirror.Remote> remote) {
        long version = current.get().version();
        Map<String, NodeView> all = new java.util.TreeMap<>();
        List<NodeView> lagging = new ArrayList<>();
        java.util.Set<String> connectedHere = new java.util.HashSet<>();
        for (Node n : nodes.values()) {
            NodeView v;
            boolean behind;
            synchronized (n) {
                v = n.view(version, mirror.instance());
                // A connected node that has not said hello yet has an unknown version: it is behind.
                behind = n.session != null && (!n.hello || n.applied < minVersion);
                if (n.session != null) connectedHere.add(n.id);
            }
            all.put(v.nodeId(), v);
            if (behind) lagging.add(v);
        }
        for (FleetMirror.Remote r : remote) {
            FleetMirror.Row row = r.row();
            if (connectedHere.contains(row.nodeId())) continue;
            if (!r.live() && all.containsKey(row.nodeId())) continue;
            NodeView v = remoteView(row, r.live(), version);
            all.put(v.nodeId(), v);
            lagging.removeIf(l -> l.nodeId().equals(row.nodeId()));
            if (r.live() && (!row.hello() || row.appliedVersion() == null || row.appliedVersion() < minVersion)) lagging.add(v);
        }
        List<Refusal> refused;
        synchronized (refusals) {
            refused = new ArrayList<>(refusals.values());
        }
        for (Refusal r : refused) {
            NodeView known = all.get(r.nodeId());
            // A refused impostor must not hide a node of the same id that is connected (here or elsewhere).
            if (known != null && (!known.status().equals("disconnected") || known.lastSeen() != null && Instant.parse(known.lastSeen()).isAfter(r.at())))
                continue;
            all.put(r.nodeId(), new NodeView(r.nodeId(), r.address(), known == null ? null : known.softwareVersion(),
                    known == null ? null : known.appliedVersion(), "refused", r.at().toString(), r.reason(), null, null));
        }
        lagging.sort(Comparator.comparing(NodeView::nodeId));
        return new WaitResult(lagging.isEmpty(), List.copyOf(all.values()), lagging);
    }

    private static NodeView remoteView(FleetMirror.Row row, boolean live, long currentVersion) {
        String status;
        long applied = row.appliedVersion() == null ? -1 : row.appliedVersion();
        if (!live) status = "disconnected";
        else if (row.hello() && applied == currentVersion) status = "in_sync";
        else if (row.nackedVersion() != null && row.nackedVersion() == currentVersion && currentVersion > 0) status = "rejected";
        else status = "lagging";
        return new NodeView(row.nodeId(), row.address(), row.softwareVersion(), row.appliedVersion(), status, row.lastSeen(),
                row.error(), row.hello() ? row.openTunnels() : null, live ? row.controlPlane() : null);
    }

    // ---- pushing -------------------------------------------------------------------------------

    private Encoded encoded(Snapshot c) {
        Encoded e = latest;
        if (e != null && e.version() >= c.version()) return e;
        // Encoded once per version, unredacted: nodes need the private keys.
        e = new Encoded(c.version(), FleetMessage.encode(new FleetMessage.SnapshotPush(c.version(), c.config())));
        latest = e;
        return e;
    }

    private void push(Node n) {
        Snapshot c = current.get();
        if (c.version() == 0) return; // nothing was ever committed; a node's own document stays
        Encoded e = encoded(c);
        NodeLink session;
        synchronized (n) {
            if (n.session == null || !n.hello || n.sending) return;
            // Never older than what the node holds: with several control planes, this one may learn
            // of a version after a node that failed over from another one applied it.
            if (n.applied >= e.version() || n.sentVersion >= e.version()) return;
            n.sending = true;
            n.sentVersion = e.version();
            session = n.session;
        }
        session.send(e.text(), failure -> {
            synchronized (n) {
                n.sending = false;
            }
            if (failure == null) push(n); // a newer version may have been committed while this one was in flight
            else LOG.warn("fleet: push of version {} to node {} failed: {}", e.version(), n.id, failure.toString());
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
        NodeLink session;
        boolean hello;
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

        synchronized FleetMirror.Row row(String instance, boolean claim) {
            return new FleetMirror.Row(id, instance, connection(instance), true, claim, address, softwareVersion, hello,
                    applied < 0 ? null : applied, nackedVersion < 0 ? null : nackedVersion, openTunnels, error,
                    lastSeen == null ? null : lastSeen.toString());
        }

        synchronized FleetMirror.Row closedRow(String instance) {
            return new FleetMirror.Row(id, instance, connection(instance), false, false, address, softwareVersion, hello,
                    applied < 0 ? null : applied, nackedVersion < 0 ? null : nackedVersion, openTunnels, error, Instant.now().toString());
        }

        private String connection(String instance) {
            return instance + "/" + (session == null ? "closed" : session.id());
        }

        synchronized NodeView view(long currentVersion, String instance) {
            String status;
            if (session == null) status = "disconnected";
            else if (hello && applied == currentVersion) status = "in_sync";
            else if (nackedVersion == currentVersion && currentVersion > 0) status = "rejected";
            else status = "lagging";
            return new NodeView(id, address, softwareVersion, applied < 0 ? null : applied, status,
                    lastSeen == null ? null : lastSeen.toString(), error, hello ? openTunnels : null, session == null ? null : instance);
        }
    }
}
