package io.switchyard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The C load generator and echo upstream ({@code bench/c/}, built by run.sh with gcc -O2 into
 * {@code bench/target/c/}): starting them pinned to the load core and reading their JSON.
 */
final class CTools {
    static final ObjectMapper JSON = new ObjectMapper();

    private final Path bin;
    private final String loadCpus;

    CTools(Path bin, String loadCpus) {
        this.bin = bin;
        this.loadCpus = loadCpus;
    }

    /** Why the tools cannot run (missing binaries), or null. */
    String unavailable() {
        for (String t : List.of("loadgen", "echo", "changer")) {
            if (!Files.isExecutable(bin.resolve(t))) return bin.resolve(t) + " missing: run bench/run.sh (it builds bench/c with gcc)";
        }
        return null;
    }

    /**
     * The changer ({@code bench/c/changer.c}) with {@code args}, pinned to {@code cpus} under SCHED_IDLE (it runs
     * when the proxy does not), its output to {@code log}.
     */
    Process startChanger(String cpus, List<String> args, Path log) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(bin.resolve("changer").toString());
        cmd.addAll(args);
        return Procs.start(cpus, true, cmd, log, null);
    }

    /** The changer's JSON line from its log once it exited (null when it printed none). */
    static JsonNode changerResult(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).startsWith("{\"changes\"")) return JSON.readTree(lines.get(i));
        }
        return null;
    }

    /** The echo upstream, started and listening. */
    record Upstream(Process process, int port) {
    }

    Upstream startEcho(Path log) throws IOException, InterruptedException {
        Process p = Procs.track(new ProcessBuilder(command(List.of(bin.resolve("echo").toString(), "--port", "0")))
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start());
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
        String line = r.readLine();
        if (line == null || !line.startsWith("READY ")) {
            Procs.stop(p, 1000);
            throw new IllegalStateException("echo upstream did not start: " + line + " " + Files.readString(log));
        }
        return new Upstream(p, Integer.parseInt(line.substring(6).trim()));
    }

    /**
     * One closed-loop run ({@code echo}, {@code http}, {@code http-browser}: HTTP with a browser's request head, or
     * {@code handshake}); the loadgen's JSON.
     */
    JsonNode run(String mode, int port, String path, int conns, int size, double warmupS, double durationS)
            throws IOException, InterruptedException {
        return run(mode, port, path, conns, size, warmupS, durationS, 0);
    }

    /** As above; {@code rate > 0}: the connections together send that many ops per second on a fixed schedule. */
    JsonNode run(String mode, int port, String path, int conns, int size, double warmupS, double durationS, double rate)
            throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of(bin.resolve("loadgen").toString(), "--mode", mode.equals("http-browser") ? "http" : mode,
                "--port", Integer.toString(port), "--path", path, "--conns", Integer.toString(conns), "--size",
                Integer.toString(size), "--warmup", Double.toString(warmupS), "--duration", Double.toString(durationS),
                "--rate", Double.toString(rate)));
        if (mode.equals("http-browser")) args.add("--browser");
        List<String> cmd = command(args);
        Process p = Procs.track(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
        String out;
        try {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        } finally {
            Procs.untrack(p);
        }
        if (!p.waitFor((long) (warmupS + durationS) + 30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("loadgen did not finish: " + String.join(" ", cmd));
        }
        if (out.isEmpty()) throw new IllegalStateException("loadgen printed nothing (exit " + p.exitValue() + ")");
        return JSON.readTree(out);
    }

    /** Idle tunnels held open by a loadgen process until {@link #close()}. */
    static final class Idle implements AutoCloseable {
        final Process process;
        final JsonNode opened;

        Idle(Process process, JsonNode opened) {
            this.process = process;
            this.opened = opened;
        }

        int open() {
            return opened.path("open").asInt();
        }

        @Override
        public void close() {
            Procs.stop(process, 3000);
        }
    }

    /** Opens {@code n} WebSocket tunnels and returns once they are open (or failed); they stay open until closed. */
    Idle idle(int port, String path, int n, double holdS) throws IOException {
        List<String> cmd = command(List.of(bin.resolve("loadgen").toString(), "--mode", "idle", "--port",
                Integer.toString(port), "--path", path, "--conns", Integer.toString(n), "--duration", Double.toString(holdS)));
        Process p = Procs.track(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        if (line == null) {
            Procs.stop(p, 1000);
            throw new IllegalStateException("idle loadgen printed nothing");
        }
        return new Idle(p, JSON.readTree(line));
    }

    private List<String> command(List<String> tool) {
        List<String> cmd = new ArrayList<>();
        if (loadCpus != null && !loadCpus.isBlank()) cmd.addAll(List.of("taskset", "-c", loadCpus));
        cmd.addAll(tool);
        return cmd;
    }
}
