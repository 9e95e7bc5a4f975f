package io.switchyard.controlplane.testing;

import io.switchyard.fleet.FleetMessage;
import io.switchyard.testkit.WsClient;

import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A node as a data plane is to the control plane: the test kit's WebSocket client speaking the fleet
 * protocol. Every message received lands in {@link #inbox}; an {@link #acking()} client also acks each
 * snapshot at once. Whoever connects one aborts it when done ({@link #abort()}).
 */
public final class FleetNodeClient {
    /** What the control plane sent, in order. */
    public final BlockingQueue<FleetMessage> inbox = new LinkedBlockingQueue<>();
    /** The close code the control plane sent. */
    public final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final boolean acks;
    private volatile WsClient client;

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
        client = WsClient.to(base + FleetMessage.STREAM_PATH + "?node_id=" + nodeId).client(http).bearer(token)
                .onText(this::received).connect();
        client.closed.thenAccept(closed::complete);
        return this;
    }

    /** As {@link #connect(HttpClient, String, String, String)} over plain {@code ws://127.0.0.1:port}. */
    public FleetNodeClient connect(int port, String nodeId, String token) {
        return connect(HttpClient.newHttpClient(), "ws://127.0.0.1:" + port, nodeId, token);
    }

    public WebSocket ws() {
        return client.ws;
    }

    public void send(FleetMessage m) {
        client.sendText(FleetMessage.encode(m));
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
        WsClient c = client;
        if (c != null) c.abort();
    }

    private void received(WebSocket ws, String text) {
        FleetMessage m = FleetMessage.decode(text);
        inbox.add(m);
        if (acks && m instanceof FleetMessage.SnapshotPush p)
            ws.sendText(FleetMessage.encode(new FleetMessage.Ack(p.version())), true);
    }
}
