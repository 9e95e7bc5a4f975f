package io.switchyard.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A deliberately simple HTTP/1.1 client over a plain socket, so tests control every byte sent
 * (bad input, Host, pipelining) and see every byte answered. Not thread-safe. Close it.
 */
public final class RawHttp implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    /** One parsed response. Header names are lower-cased. */
    public record Response(int status, Map<String, String> headers, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    public RawHttp(InetSocketAddress address) throws IOException {
        this(connect(address));
    }

    /** Over an already connected socket, e.g. an {@code SSLSocket} after its handshake. */
    public RawHttp(Socket connected) throws IOException {
        socket = connected;
        socket.setSoTimeout(15000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    private static Socket connect(InetSocketAddress address) throws IOException {
        return connect(address, 0);
    }

    /**
     * A plain socket connected to {@code address}, its receive buffer set to {@code receiveBuffer} bytes before it
     * connects (0: the system's default), as tests of a client that reads slowly or not at all need (the buffer size
     * is fixed when the connection's window is agreed).
     */
    public static Socket connect(InetSocketAddress address, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        if (receiveBuffer > 0) s.setReceiveBufferSize(receiveBuffer);
        s.connect(address, 5000);
        return s;
    }

    public RawHttp send(String raw) throws IOException {
        return send(raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawHttp send(byte[] raw) throws IOException {
        out.write(raw);
        out.flush();
        return this;
    }

    public static String get(String path, String host) {
        return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
    }

    /** Reads one response (Content-Length, chunked, or until close). */
    public Response read() throws IOException {
        return read(false);
    }

    public Response read(boolean headRequest) throws IOException {
        String statusLine = line();
        if (statusLine == null) throw new IOException("connection closed before a response");
        String[] parts = statusLine.split(" ", 3);
        int status = Integer.parseInt(parts[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        String l;
        while ((l = line()) != null && !l.isEmpty()) {
            int colon = l.indexOf(':');
            String name = l.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = l.substring(colon + 1).trim();
            headers.merge(name, value, (a, b) -> a + ", " + b);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (headRequest || status == 204 || status == 304 || (status >= 100 && status < 200)) {
            return new Response(status, headers, body.toByteArray());
        }
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            while (true) {
                String size = line();
                int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                if (n == 0) {
                    while ((l = line()) != null && !l.isEmpty()) {
                        // trailers ignored
                    }
                    break;
                }
                body.write(in.readNBytes(n));
                line();
            }
        } else if (headers.containsKey("content-length")) {
            body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
        } else {
            body.write(in.readAllBytes());
        }
        return new Response(status, headers, body.toByteArray());
    }

    /** True when the server closed the connection (EOF) within the socket timeout. */
    public boolean closedByPeer() {
        try {
            return in.read() == -1;
        } catch (java.net.SocketTimeoutException e) {
            return false; // the read timeout ran out: the peer kept the connection open
        } catch (IOException e) {
            return true; // reset counts as closed
        }
    }

    public void setTimeout(int ms) throws IOException {
        socket.setSoTimeout(ms);
    }

    private String line() throws IOException {
        return readLine(in);
    }

    /** One line of {@code in} without its CR LF (or bare LF); null at the end of the stream. */
    public static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') break;
            if (c != '\r') b.write(c);
        }
        if (c == -1 && b.size() == 0) return null;
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
