package io.switchyard.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An upstream that parses every request on every connection itself, as a typical origin server would (head by
 * lines, body by {@code Content-Length} or chunked, keep-alive), and logs exactly what it parsed. A request the
 * proxy let through by mistake, such as one smuggled inside another's body, shows up here as its own entry:
 * tests see it, they do not guess it. Answers {@code 200} with body {@code "ok <method> <target>"}, or, for paths
 * under {@code /head-body}, answers every request (HEAD too) with a 5-byte body. A WebSocket handshake to a target
 * ending in {@code /accept-upgrade} is answered {@code 101} and the connection then only read until it closes. Each
 * request also keeps the exact bytes it was read from ({@link Request#rawText()}). One thread per connection; close it.
 */
public final class RecordingUpstream implements AutoCloseable {
    /** One parsed request. Header names keep the case they were sent in. */
    public record Request(String method, String target, String version, List<String[]> headers, byte[] body,
                          List<String> trailers, byte[] raw) {
        /** The request as it came on the wire: head, line ends and body framing included. */
        public String rawText() {
            return new String(raw, StandardCharsets.ISO_8859_1);
        }

        public String header(String name) {
            for (String[] h : headers) if (h[0].equalsIgnoreCase(name)) return h[1];
            return null;
        }

        public int count(String name) {
            int n = 0;
            for (String[] h : headers) if (h[0].equalsIgnoreCase(name)) n++;
            return n;
        }

        public String bodyText() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    private final ServerSocket server;
    private final Thread acceptor;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    public final ConcurrentLinkedQueue<Request> requests = new ConcurrentLinkedQueue<>();
    /** Requests the parser could not make sense of (what a confused origin would see). */
    public final ConcurrentLinkedQueue<String> garbage = new ConcurrentLinkedQueue<>();

    /** How long each connection waits before its first read (0: none). */
    private final long firstReadDelayMs;

    public RecordingUpstream() {
        this(0, 0);
    }

    /**
     * A target that reads slowly at first: its connections get a receive buffer of {@code receiveBuffer} bytes (0: the
     * system's), so that the proxy's socket toward it fills after a few KiB, and each waits {@code firstReadDelayMs}
     * before its first read.
     */
    public RecordingUpstream(int receiveBuffer, long firstReadDelayMs) {
        this.firstReadDelayMs = firstReadDelayMs;
        try {
            server = new ServerSocket();
            // Set before bind: accepted sockets inherit it, and the window is agreed at the handshake.
            if (receiveBuffer > 0) server.setReceiveBufferSize(receiveBuffer);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        acceptor = new Thread(this::acceptLoop, "recording-upstream-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    public InetSocketAddress socketAddress() {
        return new InetSocketAddress("127.0.0.1", server.getLocalPort());
    }

    /** Targets of every request parsed so far, in order. */
    public List<String> targets() {
        List<String> out = new ArrayList<>();
        for (Request r : requests) out.add(r.method() + " " + r.target());
        return out;
    }

    public void clear() {
        requests.clear();
        garbage.clear();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                Thread t = new Thread(() -> serve(s), "recording-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            if (firstReadDelayMs > 0) Thread.sleep(firstReadDelayMs);
            Tee in = new Tee(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (true) {
                in.captured.reset();
                String requestLine = line(in);
                if (requestLine == null) return;
                if (requestLine.isEmpty()) continue;
                String[] parts = requestLine.split(" ", -1);
                if (parts.length != 3) {
                    garbage.add(requestLine);
                    return;
                }
                List<String[]> headers = new ArrayList<>();
                String l;
                while ((l = line(in)) != null && !l.isEmpty()) {
                    int colon = l.indexOf(':');
                    if (colon <= 0) {
                        garbage.add(l);
                        return;
                    }
                    headers.add(new String[]{l.substring(0, colon), l.substring(colon + 1).trim()});
                }
                if (l == null) return;
                List<String> trailers = new ArrayList<>();
                byte[] body = readBody(in, headers, trailers);
                if (body == null) return;
                Request r = new Request(parts[0], parts[1], parts[2], headers, body, trailers, in.captured.toByteArray());
                requests.add(r);
                String key = r.header("Sec-WebSocket-Key");
                if (key != null && r.target().endsWith("/accept-upgrade")) {
                    out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            + "Sec-WebSocket-Accept: " + WebSocketAccept.of(key) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    in.readAllBytes(); // a tunnel now: until the proxy closes it
                    return;
                }
                boolean close = "close".equalsIgnoreCase(r.header("Connection"));
                String text = "ok " + r.method() + " " + r.target();
                byte[] b = r.target().startsWith("/head-body") ? "extra".getBytes(StandardCharsets.US_ASCII)
                        : text.getBytes(StandardCharsets.UTF_8);
                String head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + b.length + "\r\n"
                        + (close ? "Connection: close\r\n" : "") + "\r\n";
                out.write(head.getBytes(StandardCharsets.ISO_8859_1));
                // A body on HEAD (forbidden) when asked: what a sloppy origin does.
                if (!"HEAD".equals(r.method()) || r.target().startsWith("/head-body")) out.write(b);
                out.flush();
                if (close) return;
            }
        } catch (IOException e) {
            // the proxy closed the connection
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            sockets.remove(s);
        }
    }

    private byte[] readBody(InputStream in, List<String[]> headers, List<String> trailers) throws IOException {
        String te = null;
        String cl = null;
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase("Transfer-Encoding")) te = h[1];
            if (h[0].equalsIgnoreCase("Content-Length")) cl = h[1];
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            while (true) {
                String size = line(in);
                if (size == null) return null;
                int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                if (n == 0) {
                    String t;
                    while ((t = line(in)) != null && !t.isEmpty()) trailers.add(t);
                    return body.toByteArray();
                }
                body.write(in.readNBytes(n));
                line(in);
            }
        }
        if (cl != null) {
            int n = Integer.parseInt(cl.trim());
            byte[] b = in.readNBytes(n);
            return b.length == n ? b : null;
        }
        return body.toByteArray();
    }

    /** The connection's input, keeping a copy of every byte read since the last {@code captured.reset()}. */
    private static final class Tee extends java.io.FilterInputStream {
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();

        Tee(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int c = super.read();
            if (c >= 0) captured.write(c);
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) captured.write(b, off, n);
            return n;
        }
    }

    private static String line(InputStream in) throws IOException {
        return RawHttp.readLine(in);
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
