package io.switchyard.dataplane.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The JDK's WebSocket client (one no one here wrote) with its messages collected in a queue: text as
 * String, binary as byte[], whole messages only. {@link #closed} completes with the close code the peer
 * sent (or -1 when the connection failed without one).
 */
public final class WsClient implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    public final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
    public final CompletableFuture<Integer> closed = new CompletableFuture<>();
    public final WebSocket ws;

    private WsClient(URI uri) {
        this.ws = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(uri, new Collector()).join();
    }

    public static WsClient connect(String uri) {
        return new WsClient(URI.create(uri));
    }

    public void sendText(String s) {
        ws.sendText(s, true).join();
    }

    public void sendBinary(byte[] b) {
        ws.sendBinary(ByteBuffer.wrap(b), true).join();
    }

    public String nextText() throws InterruptedException {
        Object o = messages.poll(10, TimeUnit.SECONDS);
        if (o == null) throw new AssertionError("no message within 10 s");
        if (!(o instanceof String s)) throw new AssertionError("expected text, got " + o.getClass().getSimpleName());
        return s;
    }

    public byte[] nextBinary() throws InterruptedException {
        Object o = messages.poll(10, TimeUnit.SECONDS);
        if (o == null) throw new AssertionError("no message within 10 s");
        if (!(o instanceof byte[] b)) throw new AssertionError("expected binary, got " + o.getClass().getSimpleName());
        return b;
    }

    /** Text of {@code "whoami"}: which echo server answered. */
    public String whoami() throws InterruptedException {
        sendText("whoami");
        return nextText();
    }

    @Override
    public void close() {
        if (!ws.isOutputClosed()) {
            try {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(2, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // the connection may already be gone; abort below either way
            }
        }
        ws.abort();
    }

    private final class Collector implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();
        private java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                messages.add(text.toString());
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            binary.writeBytes(b);
            if (last) {
                messages.add(binary.toByteArray());
                binary = new java.io.ByteArrayOutputStream();
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(-1);
        }
    }
}
