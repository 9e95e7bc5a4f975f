package io.switchyard.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A loopback port that refuses every connection for as long as the test holds it: a TCP socket bound to it that never
 * listens. Picking a port by opening and closing a listener is not enough: the kernel may hand that same port to the
 * next listener a test starts on port 0 (the proxy's own listener, say), and the "dead" target answers; here no other
 * socket can take the port until this one closes. Close it.
 */
public final class ClosedPort implements AutoCloseable {
    private final Socket socket = new Socket();

    public ClosedPort() throws IOException {
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    public int port() {
        return socket.getLocalPort();
    }

    /** {@code 127.0.0.1:port}, as a target's address. */
    public String address() {
        return "127.0.0.1:" + port();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
