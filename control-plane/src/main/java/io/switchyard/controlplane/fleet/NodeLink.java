package io.switchyard.controlplane.fleet;

import java.util.function.Consumer;

/**
 * One node's connection as {@link FleetHub} sees it: an id, asynchronous sends and a close. The
 * WebSocket server adapts its sessions to this, so the hub's logic (pushes, coalescing, convergence
 * waits, refusals) knows no transport and is tested without sockets.
 */
public interface NodeLink {
    /** Names this connection (not the node): a node that reconnects comes back on a new link with a new id. */
    String id();

    /**
     * Sends one text message without blocking. {@code done} is called once, with null when the message
     * was written or with the failure, possibly on another thread. The hub has at most one send in
     * flight per link for snapshots; queries (small messages) may be sent alongside, so implementations
     * must accept concurrent sends (Jetty's asynchronous sends queue their frames).
     */
    void send(String text, Consumer<Throwable> done);

    /** Closes the connection with a WebSocket close code and reason. */
    void close(int code, String reason);
}
