package io.switchyard.launcher;

import java.util.concurrent.CountDownLatch;

/** Blocks the main thread until SIGTERM/SIGINT, then shuts down gracefully and exits 0. */
final class Lifecycle {
    private Lifecycle() {
    }

    static int runUntilSignal(Runnable gracefulShutdown) {
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                gracefulShutdown.run();
            } finally {
                done.countDown();
                // A JVM ended by SIGTERM exits 143 by default; a graceful shutdown that completed is a success.
                Runtime.getRuntime().halt(0);
            }
        }, "switchyard-shutdown"));
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
