package io.switchyard.launcher.support;

import io.switchyard.testkit.WsClient;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real WebSocket client (the test kit's, on the JDK's) that streams sequence numbers through an echo upstream
 * answering {@code name|text} and checks that every echo comes back, in order, from the same target. Sends are
 * paced by the caller ({@link #sendNext()}).
 */
public final class SeqTunnel {
    private volatile WsClient client;
    private long nextSend;
    private volatile long received;
    private volatile String target;
    private volatile String error;
    private CompletableFuture<WebSocket> lastSend = CompletableFuture.completedFuture(null);

    private SeqTunnel() {
    }

    public static SeqTunnel open(HttpClient http, URI uri) {
        SeqTunnel t = new SeqTunnel();
        t.client = WsClient.to(uri).client(http).onText((ws, text) -> t.echoed(text)).connect();
        return t;
    }

    /** Sends the next number unless the previous send is still under way (JDK allows one at a time). */
    public synchronized void sendNext() {
        if (!lastSend.isDone() || closeCode() >= 0) return;
        lastSend = client.ws.sendText(Long.toString(nextSend++), true);
    }

    /** Sends one text and waits (up to 10 s) for its echo. @return the target's name */
    public String roundTrip() throws InterruptedException {
        long before = received;
        sendNext();
        awaitReceived(before + 1, TimeUnit.SECONDS.toMillis(10));
        return target;
    }

    /** Waits until {@code count} echoes have arrived or {@code timeoutMs} passed; woken by each echo. */
    public synchronized void awaitReceived(long count, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        for (long left = timeoutMs; received < count && left > 0; left = deadline - System.currentTimeMillis()) wait(left);
    }

    private void echoed(String s) {
        int bar = s.indexOf('|');
        String name = s.substring(0, bar);
        long seq = Long.parseLong(s.substring(bar + 1));
        if (seq != received && error == null) error = "expected " + received + " got " + seq;
        if (target != null && !target.equals(name) && error == null) error = "target changed from " + target + " to " + name;
        target = name;
        synchronized (this) {
            received = seq + 1;
            notifyAll();
        }
    }

    public synchronized long sent() {
        return nextSend;
    }

    public long received() {
        return received;
    }

    public String target() {
        return target;
    }

    /** Null when nothing went wrong. */
    public String error() {
        if (error != null) return error;
        Throwable failure = client.failure();
        return failure == null ? null : "error: " + failure;
    }

    /** The reason of the close frame received; null while open. */
    public String closeReason() {
        return client.closeReason();
    }

    /** -1 while open; 1006 when the connection broke without a close frame. */
    public int closeCode() {
        int code = client.closed.getNow(-1);
        return code == -1 && client.closed.isDone() ? 1006 : code;
    }

    public void close() {
        client.close();
    }
}
