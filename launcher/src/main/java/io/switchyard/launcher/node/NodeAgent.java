package io.switchyard.launcher.node;

import io.switchyard.config.ConfigException;
import io.switchyard.config.Snapshot;
import io.switchyard.dataplane.DataPlane;
import io.switchyard.fleet.FleetMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Keeps one data plane subscribed to the control plane's fleet channel ({@link FleetMessage}): says
 * hello with the version it holds, applies every pushed snapshot (validate, compile, swap), writes it
 * to the state directory, then ACKs it, or NACKs it with the reason while the last good one keeps
 * serving. A push older than the version it holds is never applied (with several control planes on
 * one database, the one it fails over to may not have seen the newest version yet).
 *
 * <p>Several control planes may be given: the agent holds one connection, to the first that answers.
 * When it is lost (closed, failed, a send failed, or nothing heard back for {@value #SILENT_HEARTBEATS} heartbeats,
 * each of which carries a ping), the next one in the list is tried at once, then the one after; only when every
 * control plane failed in a row does it wait, with capped exponential backoff and full jitter,
 * before the next round. The data plane serves its last snapshot throughout.
 *
 * <p>Threading: every state change runs on one single-threaded scheduler ({@code agent}), so the
 * fields below need no locks; the JDK WebSocket's callbacks only hand work over to it.
 */
public final class NodeAgent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("switchyard.node");
    /** System property: the heartbeat interval in milliseconds (default 5000). */
    public static final String HEARTBEAT_PROPERTY = "switchyard.fleet.heartbeat-ms";
    static final Duration HEARTBEAT = Duration.ofSeconds(5);
    /**
     * Heartbeats in a row with nothing heard back (no message, no pong to the ping each heartbeat carries) before the
     * connection counts as lost: a path that went silent (power lost, a firewall dropping) gives no FIN or reset, and
     * TCP alone would take many minutes to give up on it.
     */
    static final int SILENT_HEARTBEATS = 3;
    static final long BACKOFF_BASE_MS = 100;
    static final long BACKOFF_CAP_MS = 5_000;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final long FAILOVER_JITTER_MS = 100;
    static final Duration CONNECT_TIMEOUT_FAILOVER = Duration.ofMillis(1_500);

    private final DataPlane dataPlane;
    private final List<URI> controlPlanes;
    private final String nodeId;
    private final String clusterToken;
    private final StateDir stateDir;
    private final String softwareVersion;
    private final HttpClient http;
    private final ScheduledExecutorService agent;
    // Writes state files beside the apply (see apply); one thread keeps them in order.
    private final java.util.concurrent.ExecutorService stager;

    // Confined to the agent thread.
    private int target;
    /** Failed attempts since the last successful connection; a full round of them means back off. */
    private int failuresInRow;
    private WebSocket socket;
    private int failures;
    private String state = "connecting";
    private String lastError;
    private Instant lastContact;
    private ScheduledFuture<?> heartbeat;
    private final Duration heartbeatEvery = heartbeatSetting();
    private boolean closed;
    private CompletableFuture<?> sendChain = CompletableFuture.completedFuture(null);

    public NodeAgent(DataPlane dataPlane, URI controlPlane, String nodeId, String clusterToken, StateDir stateDir,
                     String softwareVersion) {
        this(dataPlane, List.of(controlPlane), null, nodeId, clusterToken, stateDir, softwareVersion);
    }

    /**
     * @param controlPlanes base URLs of the control planes sharing one database, tried in this order
     * @param tls           TLS client context for https:// control planes, or null for the JDK's default
     */
    public NodeAgent(DataPlane dataPlane, List<URI> controlPlanes, javax.net.ssl.SSLContext tls, String nodeId, String clusterToken,
                     StateDir stateDir, String softwareVersion) {
        if (controlPlanes.isEmpty()) throw new IllegalArgumentException("control plane: none given");
        this.dataPlane = dataPlane;
        this.controlPlanes = List.copyOf(controlPlanes);
        this.nodeId = nodeId;
        this.clusterToken = clusterToken;
        this.stateDir = stateDir;
        this.softwareVersion = softwareVersion;
        HttpClient.Builder hb = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (tls != null) hb.sslContext(tls);
        this.http = hb.build();
        this.agent = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "switchyard-node-agent");
            t.setDaemon(true);
            return t;
        });
        this.stager = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "switchyard-state-writer");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts connecting in the background; returns at once. */
    public NodeAgent start() {
        agent.execute(this::connect);
        return this;
    }

    /** The fleet channel's URI for a control plane base URL: http becomes ws, https becomes wss. */
    static URI streamUri(URI base, String nodeId) {
        String scheme = "https".equals(base.getScheme()) ? "wss" : "ws";
        String authority = base.getRawAuthority();
        return URI.create(scheme + "://" + authority + FleetMessage.STREAM_PATH + "?node_id="
                + URLEncoder.encode(nodeId, StandardCharsets.UTF_8));
    }

    private URI controlPlane() {
        return controlPlanes.get(target);
    }

    private void connect() {
        if (closed) return;
        URI controlPlane = controlPlane();
        // Fail over quickly: a control plane that does not answer within 1.5 s is skipped for the next.
        WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(controlPlanes.size() > 1 ? CONNECT_TIMEOUT_FAILOVER : CONNECT_TIMEOUT);
        if (clusterToken != null) b.header("Authorization", "Bearer " + clusterToken);
        b.buildAsync(streamUri(controlPlane, nodeId), new Listener())
                .whenCompleteAsync((ws, err) -> {
                    if (err != null) {
                        onDisconnected(err, false);
                        return;
                    }
                    if (closed) {
                        ws.abort();
                        return;
                    }
                    socket = ws;
                    failures = 0;
                    failuresInRow = 0;
                    state = "connected";
                    lastError = null;
                    lastContact = Instant.now();
                    publishStatus();
                    log.info("connected to control plane {} as node {} (holding version {})", controlPlane, nodeId, dataPlane.appliedVersion());
                    send(new FleetMessage.Hello(nodeId, softwareVersion, dataPlane.advertisedListen(),
                            dataPlane.appliedVersion(), dataPlane.openTunnels()));
                    heartbeat = agent.scheduleAtFixedRate(this::heartbeat, heartbeatEvery.toMillis(), heartbeatEvery.toMillis(), TimeUnit.MILLISECONDS);
                }, agent);
    }

    private static Duration heartbeatSetting() {
        String v = System.getProperty(HEARTBEAT_PROPERTY);
        if (v == null || v.isBlank()) return HEARTBEAT;
        try {
            long ms = Long.parseLong(v.trim());
            if (ms > 0) return Duration.ofMillis(ms);
        } catch (NumberFormatException ignored) {
            // reported below
        }
        log.warn("-D{}={}: not a positive number of milliseconds; heartbeat every {} ms", HEARTBEAT_PROPERTY, v, HEARTBEAT.toMillis());
        return HEARTBEAT;
    }

    private void heartbeat() {
        WebSocket ws = socket;
        if (ws == null) return;
        long quietMs = Duration.between(lastContact, Instant.now()).toMillis();
        if (quietMs > heartbeatEvery.toMillis() * SILENT_HEARTBEATS) {
            ws.abort();
            onDisconnected(new java.io.IOException("nothing heard for " + quietMs + " ms (" + SILENT_HEARTBEATS
                    + " heartbeats unanswered)"), true);
            return;
        }
        send(new FleetMessage.Heartbeat(dataPlane.appliedVersion(), dataPlane.openTunnels()));
        // The control plane's WebSocket answers a ping with a pong at once, whatever else it is doing.
        chain(ws, () -> ws.sendPing(java.nio.ByteBuffer.allocate(0)));
    }

    /** @param wasConnected the connection had been established (so the next control plane is tried at once) */
    private void onDisconnected(Throwable err, boolean wasConnected) {
        URI controlPlane = controlPlane();
        if (heartbeat != null) heartbeat.cancel(false);
        heartbeat = null;
        socket = null;
        sendChain = CompletableFuture.completedFuture(null);
        if (closed) return;
        Throwable cause = err;
        while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) cause = cause.getCause();
        if (cause instanceof WebSocketHandshakeException wse && (wse.getResponse().statusCode() == 401 || wse.getResponse().statusCode() == 403)) {
            state = "refused";
            lastError = "control plane refused this node (" + wse.getResponse().statusCode() + "): check SWITCHYARD_CLUSTER_TOKEN";
        } else {
            state = "disconnected";
            lastError = cause == null ? "connection closed" : String.valueOf(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
        }
        failures++;
        if (!wasConnected) failuresInRow++;
        target = (target + 1) % controlPlanes.size();
        long delay;
        if (wasConnected) {
            // Lost a working connection: the next control plane at once (a little jitter, so a fleet does not reconnect in lockstep).
            delay = ThreadLocalRandom.current().nextLong(0, FAILOVER_JITTER_MS + 1);
        } else if (failuresInRow % controlPlanes.size() != 0) {
            // Another control plane may still be up: try it now. Every one failed in a row: back off.
            delay = 0;
        } else {
            int rounds = failuresInRow / controlPlanes.size();
            long cap = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS << Math.min(rounds, 16));
            delay = ThreadLocalRandom.current().nextLong(BACKOFF_BASE_MS / 2, Math.max(BACKOFF_BASE_MS, cap) + 1);
        }
        if (failures == 1 || failures % 10 == 0)
            log.warn("control plane {} {}: {}; serving version {}; {}", controlPlane, state, lastError, dataPlane.appliedVersion(),
                    delay == 0 ? "trying " + controlPlane() + " now" : "retrying " + controlPlane() + " in " + delay + " ms");
        publishStatus();
        agent.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }

    private void onMessage(String text) {
        lastContact = Instant.now();
        FleetMessage m;
        try {
            m = FleetMessage.decode(text);
        } catch (ConfigException e) {
            // A push whose config does not even parse still names a version: NACK it if we can find one.
            log.warn("unreadable message from control plane: {}", e.getMessage());
            long v = versionOf(text);
            if (v >= 0) send(new FleetMessage.Nack(v, e.getMessage()));
            return;
        }
        if (m instanceof FleetMessage.SnapshotPush push) apply(push);
        else if (m instanceof FleetMessage.Query q) send(answer(q));
    }

    /** Most tunnel rows one answer carries (about 200 bytes each, under the control plane's message limit). */
    static final int MAX_TUNNEL_ROWS = 20_000;

    /** Answers a control-plane query from the data plane's own view; runs on the agent thread and never blocks. */
    FleetMessage.Answer answer(FleetMessage.Query q) {
        if (q instanceof FleetMessage.TunnelsQuery tq) {
            List<FleetMessage.TunnelRow> rows = new java.util.ArrayList<>();
            for (io.switchyard.dataplane.TunnelInfo t : dataPlane.tunnels()) {
                if (tq.route() != null && !tq.route().equals(t.route())) continue;
                if (tq.target() != null && !tq.target().equals(t.target())) continue;
                if (rows.size() == MAX_TUNNEL_ROWS) {
                    log.warn("tunnel listing cut at {} tunnels", MAX_TUNNEL_ROWS);
                    break;
                }
                rows.add(new FleetMessage.TunnelRow(t.id(), t.route(), t.upstream(), t.target(), t.client(),
                        Instant.ofEpochMilli(t.openedAtMillis()).toString(), t.bytesIn(), t.bytesOut()));
            }
            return new FleetMessage.Tunnels(q.queryId(), rows);
        }
        if (q instanceof FleetMessage.CloseTunnels ct) {
            int closed;
            if (ct.tunnelId() != null) closed = dataPlane.closeTunnel(ct.tunnelId()) ? 1 : 0;
            else closed = dataPlane.closeTunnels(ct.route(), ct.target(), Math.max(0, ct.overMs()));
            return new FleetMessage.TunnelsClosed(q.queryId(), closed);
        }
        FleetMessage.HealthQuery hq = (FleetMessage.HealthQuery) q;
        List<FleetMessage.TargetRow> rows = new java.util.ArrayList<>();
        for (DataPlane.TargetReport t : dataPlane.targets())
            rows.add(new FleetMessage.TargetRow(t.upstream(), t.target(), t.state(), t.healthy(),
                    t.lastCheckEpochMs() == 0 ? null : Instant.ofEpochMilli(t.lastCheckEpochMs()).toString(), t.lastFailure(), t.tunnelsOpen()));
        return new FleetMessage.TargetsHealth(hq.queryId(), rows);
    }

    private void apply(FleetMessage.SnapshotPush push) {
        long held = dataPlane.appliedVersion();
        if (push.version() < held) {
            // A control plane that has not yet seen the newest version: keep ours, and tell it what we hold.
            log.warn("ignored version {} from control plane {}: this node holds the newer version {}", push.version(), controlPlane(), held);
            send(new FleetMessage.Heartbeat(held, dataPlane.openTunnels()));
            return;
        }
        Snapshot s;
        CompletableFuture<java.nio.file.Path> staged = null;
        try {
            s = new Snapshot(push.version(), push.config());
            // The state file is written and fsynced on another thread while the data plane compiles and
            // swaps; it is renamed into place only once the swap succeeded, and only then do we ACK.
            final Snapshot toStage = s;
            staged = CompletableFuture.supplyAsync(() -> {
                try {
                    return stateDir.stage(toStage);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, stager);
            boolean changed = dataPlane.apply(s);
            stateDir.commit(staged.join());
            log.info("applied version {}{}", push.version(), changed ? "" : " (same content, not recompiled)");
            send(new FleetMessage.Ack(push.version()));
        } catch (ConfigException e) {
            discard(staged);
            log.warn("rejected version {}: {}; still serving version {}", push.version(), e.getMessage(), dataPlane.appliedVersion());
            send(new FleetMessage.Nack(push.version(), e.getMessage()));
        } catch (Exception e) {
            discard(staged);
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            log.warn("could not apply version {}: {}", push.version(), cause.toString());
            send(new FleetMessage.Nack(push.version(), String.valueOf(cause.getMessage())));
        }
        publishStatus();
    }

    private static void discard(CompletableFuture<java.nio.file.Path> staged) {
        if (staged != null) staged.thenAccept(StateDir::discard);
    }

    private static long versionOf(String text) {
        java.util.regex.Matcher mm = java.util.regex.Pattern.compile("\"version\"\\s*:\\s*(\\d+)").matcher(text);
        return mm.find() ? Long.parseLong(mm.group(1)) : -1;
    }

    /** JDK WebSocket allows one outstanding send: chain them. Runs on the agent thread. */
    private void send(FleetMessage m) {
        WebSocket ws = socket;
        if (ws == null) return;
        String text = FleetMessage.encode(m);
        chain(ws, () -> ws.sendText(text, true));
    }

    /** Queues a send behind the ones before it; one that fails ends the connection (the next control plane is tried). */
    private void chain(WebSocket ws, java.util.function.Supplier<CompletableFuture<WebSocket>> sending) {
        CompletableFuture<WebSocket> sent = sendChain.handle((x, e) -> null).thenCompose(x -> sending.get());
        sendChain = sent;
        sent.whenCompleteAsync((x, e) -> {
            if (e != null && socket == ws) {
                ws.abort();
                onDisconnected(e, true);
            }
        }, agent);
    }

    private void publishStatus() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("url", controlPlane().toString());
        if (controlPlanes.size() > 1) s.put("urls", controlPlanes.stream().map(URI::toString).toList());
        s.put("state", state);
        if (lastError != null) s.put("error", lastError);
        if (lastContact != null) s.put("last_contact", lastContact.toString());
        dataPlane.putStatus("control_plane", s);
    }

    /** The channel's state: connecting, connected, disconnected or refused. */
    public String state() {
        try {
            return agent.submit(() -> state).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return "unknown";
        }
    }

    /** The control plane this node is connected to right now, or null. */
    public URI connectedTo() {
        try {
            return agent.submit(() -> socket == null ? null : controlPlane()).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return null;
        }
    }

    @Override
    public void close() {
        try {
            agent.submit(() -> {
                closed = true;
                if (heartbeat != null) heartbeat.cancel(false);
                if (socket != null) {
                    WebSocket ws = socket;
                    socket = null;
                    ws.sendClose(WebSocket.NORMAL_CLOSURE, "node shutting down")
                            .orTimeout(1, TimeUnit.SECONDS)
                            .whenComplete((x, e) -> ws.abort());
                }
            }).get(5, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // Closing anyway.
        }
        agent.shutdown();
        stager.shutdown();
    }

    private final class Listener implements WebSocket.Listener {
        // Only touched by the WebSocket's own callbacks, which the JDK delivers one at a time.
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                agent.execute(() -> onMessage(text));
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket webSocket, java.nio.ByteBuffer message) {
            agent.execute(() -> {
                if (socket == webSocket) lastContact = Instant.now();
            });
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            agent.execute(() -> {
                if (socket == webSocket) onDisconnected(new IllegalStateException("closed by control plane (" + statusCode + " " + reason + ")"), true);
            });
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            agent.execute(() -> {
                if (socket == webSocket) onDisconnected(error, true);
            });
        }
    }
}
