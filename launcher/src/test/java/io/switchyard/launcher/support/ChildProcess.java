package io.switchyard.launcher.support;

import io.switchyard.launcher.Main;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The CLI in a child JVM with the test's class path, as a user runs it: its output lines are queued as they come,
 * {@link #output()} has all of them once the process ended. The test that starts one stops it (close).
 */
public class ChildProcess implements AutoCloseable {
    public final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder all = new StringBuilder();
    private final Thread reader;

    public ChildProcess(Path workingDir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).directory(workingDir.toFile()).start();
        reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    synchronized (all) {
                        all.append(l).append('\n');
                    }
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // process gone
            }
        }, "child-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** The first new line containing {@code contains}, within 40 s; fails with the whole output otherwise. */
    public String awaitLine(String contains) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        while (System.nanoTime() < deadline) {
            String l = lines.poll(200, TimeUnit.MILLISECONDS);
            if (l != null && l.contains(contains)) return l;
            if (l == null && !process.isAlive() && lines.isEmpty()) break;
        }
        throw new AssertionError("no line containing \"" + contains + "\"; output:\n" + output());
    }

    /** Everything printed so far; once the process ended, everything it printed (the reader is waited for). */
    public String output() {
        if (!process.isAlive()) {
            try {
                reader.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (all) {
            return all.toString();
        }
    }

    /** SIGTERM, then the exit status (fails when it does not exit within 30 s). */
    public int sigtermAndWait() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("did not exit after SIGTERM:\n" + output());
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
}
