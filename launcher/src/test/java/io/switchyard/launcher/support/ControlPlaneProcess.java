package io.switchyard.launcher.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code switchyard control-plane} as a child process of the test, run from the test's own class path,
 * so that {@link #kill()} is a real {@code kill -9}. Its output is kept for failure messages.
 */
public final class ControlPlaneProcess implements AutoCloseable {
    private static final Pattern READY = Pattern.compile("control-plane ready: admin (https?)://([^,\\s]+):(\\d+)");

    private final Process process;
    private final List<String> output = new CopyOnWriteArrayList<>();
    private final CompletableFuture<String> ready = new CompletableFuture<>();

    private ControlPlaneProcess(Process process) {
        this.process = process;
        Thread reader = new Thread(this::read, "control-plane-output-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code control-plane} with {@code args} (plus {@code --admin 127.0.0.1:0} unless they name
     * {@code --admin}), with {@code env} added to the environment.
     */
    public static ControlPlaneProcess start(Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "io.switchyard.launcher.Main", "control-plane"));
        if (!List.of(args).contains("--admin")) cmd.addAll(List.of("--admin", "127.0.0.1:0"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        try {
            return new ControlPlaneProcess(pb.start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void read() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                output.add(line);
                Matcher m = READY.matcher(line);
                if (m.find()) ready.complete(m.group(1) + "://127.0.0.1:" + m.group(3));
            }
        } catch (IOException e) {
            // The process died: its output ends here.
        }
        ready.completeExceptionally(new IllegalStateException("control plane exited before it was ready:\n" + String.join("\n", output)));
    }

    /** Waits for the process's "ready" line; returns its admin base URL. */
    public String awaitReady() {
        try {
            return ready.get(90, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("control plane not ready: " + e.getMessage() + "\n" + String.join("\n", output), e);
        }
    }

    public String output() {
        return String.join("\n", output);
    }

    /** SIGKILL, as {@code kill -9}: no shutdown hook, no goodbye to its nodes. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM, then SIGKILL after 10 s. */
    @Override
    public void close() throws InterruptedException {
        if (!process.isAlive()) return;
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
