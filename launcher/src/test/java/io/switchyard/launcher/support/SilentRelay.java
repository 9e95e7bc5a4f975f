package io.switchyard.launcher.support;

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
 * nothing, so neither end gets a FIN or a reset; what each end sends stays with the relay. The test that starts one
 * closes it (every socket and thread it made).
 */
public final class SilentRelay implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean silent;
    private volatile boolean closed;

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
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket in = server.accept();
                sockets.add(in);
                Socket out = new Socket();
                sockets.add(out);
                out.connect(target, 5_000);
                pump(in, out, "up");
                pump(out, in, "down");
            } catch (IOException e) {
                if (closed) return;
            }
        }
    }

    private void pump(Socket from, Socket to, String name) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            try {
                InputStream i = from.getInputStream();
                OutputStream o = to.getOutputStream();
                int n;
                while ((n = i.read(buf)) > 0) {
                    // What arrives once silent is held here for good: it never reaches the other end.
                    while (silent && !closed) Thread.sleep(20);
                    if (closed) return;
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

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : sockets) s.close();
    }
}
