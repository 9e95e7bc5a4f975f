package io.switchyard.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on {@code 127.0.0.1:0} in front of another address, that can go silent as a network path does when a
 * machine loses power or a firewall starts dropping: {@link #goSilent()} stops passing bytes either way and closes
 * nothing, so neither end gets a FIN or a reset; what each end sends stays with the relay. {@link #goSilentAfter}
 * does it at a chosen point: right after the connecting side's bytes that hold a given text reached the other end.
 * The test that starts one closes it (every socket and thread it made).
 */
public final class SilentRelay implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean silent;
    private volatile byte[] trigger;
    private final java.util.concurrent.CountDownLatch wentSilent = new java.util.concurrent.CountDownLatch(1);
    private volatile boolean closed;
    private final java.util.concurrent.CountDownLatch closing = new java.util.concurrent.CountDownLatch(1);

    public SilentRelay(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "silent-relay-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** From now on no byte passes either way, and no connection is closed. */
    public void goSilent() {
        silent = true;
        wentSilent.countDown();
    }

    /**
     * Goes silent once bytes from the connecting side that contain {@code text} (within one read) have been passed on:
     * the other end got them, and nothing after them goes either way.
     */
    public void goSilentAfter(String text) {
        trigger = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Waits until the relay went silent; false when {@code seconds} passed first. */
    public boolean awaitSilent(long seconds) throws InterruptedException {
        return wentSilent.await(seconds, java.util.concurrent.TimeUnit.SECONDS);
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket in = server.accept();
                sockets.add(in);
                Socket out = new Socket();
                sockets.add(out);
                out.connect(target, 5_000);
                pump(in, out, "up", true);
                pump(out, in, "down", false);
            } catch (IOException e) {
                if (closed) return;
            }
        }
    }

    private void pump(Socket from, Socket to, String name, boolean fromClient) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            try {
                InputStream i = from.getInputStream();
                OutputStream o = to.getOutputStream();
                int n;
                while ((n = i.read(buf)) > 0) {
                    byte[] pattern = trigger;
                    if (fromClient && pattern != null && contains(buf, n, pattern)) {
                        // Silent before these bytes go on, so that no answer to them can slip through; they still go.
                        trigger = null;
                        goSilent();
                    } else if (silent) {
                        // What arrives once silent is held here for good: it never reaches the other end.
                        closing.await();
                        return;
                    }
                    o.write(buf, 0, n);
                    o.flush();
                }
                if (!silent) to.shutdownOutput();
            } catch (IOException | InterruptedException ignored) {
                // The relay closed, or an end went away while the path was up.
            }
        }, "silent-relay-" + name);
        t.setDaemon(true);
        t.start();
    }

    private static boolean contains(byte[] buf, int n, byte[] t) {
        outer:
        for (int i = 0; i + t.length <= n; i++) {
            for (int j = 0; j < t.length; j++) if (buf[i + j] != t[j]) continue outer;
            return true;
        }
        return false;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        closing.countDown();
        server.close();
        for (Socket s : sockets) s.close();
    }
}
