package io.switchyard.testkit;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The JDK's WebSocket client (one no one here wrote) with its messages collected in a queue: text as
 * String, binary as byte[], whole messages only. {@link #closed} completes with the close code the peer
 * sent (or -1 when the connection failed without one: {@link #failure()}). {@code WsClient.connect("ws://...")} for the plain
 * case; {@link #to(String)} for headers, another HttpClient (TLS) or a hook on each text message.
 *
 * <p>Not for seeing a connection end without a close frame right behind a message: the JDK's client then sometimes
 * never reads the end ({@link #closed} stays open, the socket in CLOSE-WAIT with nothing unread; about 1 run in 30 on
 * a loaded machine). Read such an end with a plain socket, as {@code WebSocketTest} does.
 */
public final class WsClient implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    public final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
    public final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private volatile String closeReason;
    private volatile Throwable failure;
    public final WebSocket ws;
    private final BiConsumer<WebSocket, String> onText;

    private WsClient(Builder b) {
        this.onText = b.onText;
        WebSocket.Builder wb = b.http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        b.headers.forEach(wb::header);
        this.ws = wb.buildAsync(b.uri, new Collector()).orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** Connects to {@code uri} with the shared plain client and no extra headers. */
    public static WsClient connect(String uri) {
        return to(uri).connect();
    }

    public static Builder to(String uri) {
        return new Builder(URI.create(uri));
    }

    public static Builder to(URI uri) {
        return new Builder(uri);
    }

    /** How to connect; nothing happens until {@link #connect()}. */
    public static final class Builder {
        private final URI uri;
        private HttpClient http = HTTP;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private BiConsumer<WebSocket, String> onText;

        private Builder(URI uri) {
            this.uri = uri;
        }

        /** Another client, e.g. one whose SSLContext trusts a test certificate. */
        public Builder client(HttpClient http) {
            this.http = http;
            return this;
        }

        public Builder header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        /** {@code Authorization: Bearer token}; no header when {@code token} is null. */
        public Builder bearer(String token) {
            if (token != null) headers.put("Authorization", "Bearer " + token);
            return this;
        }

        /**
         * Hands each whole text message, with the connection, to {@code onText} instead of queueing it; on the
         * client's thread, and the first may come before {@link #connect()} returns (e.g. a push on connect).
         */
        public Builder onText(BiConsumer<WebSocket, String> onText) {
            this.onText = onText;
            return this;
        }

        /**
         * Opens the connection (10 s at most).
         *
         * @throws java.util.concurrent.CompletionException when the upgrade or the handshake is refused
         */
        public WsClient connect() {
            return new WsClient(this);
        }
    }

    public void sendText(String s) {
        ws.sendText(s, true).join();
    }

    public void sendBinary(byte[] b) {
        ws.sendBinary(ByteBuffer.wrap(b), true).join();
    }

    /** The next message, which must be text, within 10 s. */
    public String nextText() throws InterruptedException {
        return nextText(10, TimeUnit.SECONDS);
    }

    /** The next message, which must be text, within the time given. */
    public String nextText(long timeout, TimeUnit unit) throws InterruptedException {
        Object o = messages.poll(timeout, unit);
        if (o == null) throw new AssertionError("no message within " + unit.toMillis(timeout) + " ms");
        if (!(o instanceof String s)) throw new AssertionError("expected text, got " + o.getClass().getSimpleName());
        return s;
    }

    public byte[] nextBinary() throws InterruptedException {
        Object o = messages.poll(10, TimeUnit.SECONDS);
        if (o == null) throw new AssertionError("no message within 10 s");
        if (!(o instanceof byte[] b)) throw new AssertionError("expected binary, got " + o.getClass().getSimpleName());
        return b;
    }

    /** Text of {@code "whoami"}: which echo upstream answered. */
    public String whoami() throws InterruptedException {
        sendText("whoami");
        return nextText();
    }

    /** The close reason the peer sent, once {@link #closed} completed (null when none came). */
    public String closeReason() {
        return closeReason;
    }

    /** What broke the connection without a close frame ({@link #closed} then completed with -1); null otherwise. */
    public Throwable failure() {
        return failure;
    }

    /** Ends the connection at once, without a close frame (as a process that dies). */
    public void abort() {
        ws.abort();
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
        private ByteArrayOutputStream binary = new ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                String whole = text.toString();
                text.setLength(0);
                if (onText != null) onText.accept(webSocket, whole);
                else messages.add(whole);
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
                binary = new ByteArrayOutputStream();
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeReason = reason;
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            failure = error;
            closed.complete(-1);
        }
    }
}
