package io.switchyard.controlplane.testing;

import io.switchyard.fleet.FleetMessage;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A node as a data plane is to the control plane: the JDK's WebSocket client speaking the fleet
 * protocol. Every message received lands in {@link #inbox}; an {@link #acking()} client also acks each
 * snapshot at once. Whoever connects one aborts it when done ({@link #abort()}).
 */
public final class FleetNodeClient implements WebSocket.Listener {
    /** What the control plane sent, in order. */
    public final BlockingQueue<FleetMessage> inbox = new LinkedBlockingQueue<>();
    /** The close code the control plane sent. */
    public final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private final boolean acks;
    private volatile WebSocket ws;

    private FleetNodeClient(boolean acks) {
        this.acks = acks;
    }

    /** A node that says and acks only what the test sends. */
    public static FleetNodeClient manual() {
        return new FleetNodeClient(false);
    }

    /** A node that acks every snapshot as soon as it arrives. */
    public static FleetNodeClient acking() {
        return new FleetNodeClient(true);
    }

    /**
     * Opens the fleet channel of the control plane at {@code base} ({@code ws://host:port} or {@code wss://...})
     * as {@code nodeId}, presenting {@code token} (null: none).
     *
     * @throws java.util.concurrent.CompletionException when the upgrade or the handshake is refused
     */
    public FleetNodeClient connect(HttpClient http, String base, String nodeId, String token) {
        WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        if (token != null) b.header("Authorization", "Bearer " + token);
        ws = b.buildAsync(URI.create(base + FleetMessage.STREAM_PATH + "?node_id=" + nodeId), this).orTimeout(10, TimeUnit.SECONDS).join();
        return this;
    }

    /** As {@link #connect(HttpClient, String, String, String)} over plain {@code ws://127.0.0.1:port}. */
    public FleetNodeClient connect(int port, String nodeId, String token) {
        return connect(HttpClient.newHttpClient(), "ws://127.0.0.1:" + port, nodeId, token);
    }

    public WebSocket ws() {
        return ws;
    }

    public void send(FleetMessage m) {
        ws.sendText(FleetMessage.encode(m), true).join();
    }

    /** The next message, which must be a snapshot push within 10 s. */
    public FleetMessage.SnapshotPush nextSnapshot() throws InterruptedException {
        FleetMessage m = inbox.poll(10, TimeUnit.SECONDS);
        if (!(m instanceof FleetMessage.SnapshotPush p)) throw new AssertionError("expected a snapshot push within 10 s, got " + m);
        return p;
    }

    /** Snapshots until one of at least {@code version} (older ones pushed meanwhile are skipped). */
    public FleetMessage.SnapshotPush snapshotOfAtLeast(long version) throws InterruptedException {
        FleetMessage.SnapshotPush p;
        do {
            p = nextSnapshot();
        } while (p.version() < version);
        return p;
    }

    public void abort() {
        WebSocket w = ws;
        if (w != null) w.abort();
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            FleetMessage m = FleetMessage.decode(partial.toString());
            partial.setLength(0);
            inbox.add(m);
            if (acks && m instanceof FleetMessage.SnapshotPush p)
                webSocket.sendText(FleetMessage.encode(new FleetMessage.Ack(p.version())), true);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(statusCode);
        return null;
    }
}
