package io.switchyard.launcher.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A real WebSocket client (the JDK's) that streams sequence numbers and checks that every echo comes
 * back, in order, from the same target. Sends are paced by the caller ({@link #sendNext()}).
 */
public final class SeqTunnel implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();
    private volatile WebSocket ws;
    private long nextSend;
    private volatile long received;
    private volatile String target;
    private volatile String error;
    private volatile int closeCode = -1;
    private volatile String closeReason;
    private CompletableFuture<WebSocket> lastSend = CompletableFuture.completedFuture(null);

    public static SeqTunnel open(HttpClient client, URI uri) {
        SeqTunnel t = new SeqTunnel();
        t.ws = client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5)).buildAsync(uri, t)
                .orTimeout(10, TimeUnit.SECONDS).join();
        return t;
    }

    /** Sends the next number unless the previous send is still under way (JDK allows one at a time). */
    public synchronized void sendNext() {
        if (!lastSend.isDone() || closeCode >= 0) return;
        lastSend = ws.sendText(Long.toString(nextSend++), true);
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

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            String s = partial.toString();
            partial.setLength(0);
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
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closeReason = reason;
        closeCode = statusCode;
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable e) {
        if (error == null) error = "error: " + e;
        if (closeCode < 0) closeCode = 1006;
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
        return error;
    }

    /** The reason of the close frame received; null while open. */
    public String closeReason() {
        return closeReason;
    }

    /** -1 while open. */
    public int closeCode() {
        return closeCode;
    }

    public void close() {
        try {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").orTimeout(2, TimeUnit.SECONDS).join();
        } catch (RuntimeException ignored) {
            // already closed
        }
        ws.abort();
    }
}
