package io.switchyard.controlplane;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * A control plane as its own process, for tests that kill it: {@code ControlPlaneMain <db> [port]}
 * listens on 127.0.0.1 (a free port unless given), prints {@code PORT <n>} once ready, and runs until killed.
 */
public final class ControlPlaneMain {
    private ControlPlaneMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        ControlPlane cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", args.length > 1 ? Integer.parseInt(args[1]) : 0), Path.of(args[0]), null, null));
        System.out.println("PORT " + cp.adminAddress().getPort());
        System.out.flush();
        Thread.currentThread().join();
    }
}
