package io.switchyard.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Child processes and what /proc says about them (RSS, CPU time, per-core busy time). */
final class Procs {
    private Procs() {
    }

    /** Every child still running, so an interrupted run (Ctrl-C, SIGTERM) leaves no proxy behind. */
    private static final java.util.Set<Process> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Process p : LIVE) stop(p, 2000);
        }, "bench-cleanup"));
    }

    /** Starts {@code cmd} pinned to {@code cpus} (taskset list, e.g. "1"), output to {@code log}. */
    static Process start(String cpus, List<String> cmd, Path log, Map<String, String> env) throws IOException {
        return start(cpus, false, cmd, log, env);
    }

    /**
     * Like {@link #start(String, List, Path, Map)}; {@code idle} runs it under SCHED_IDLE ({@code chrt --idle 0}):
     * it gets the CPU only when nothing else on its cores wants it.
     */
    static Process start(String cpus, boolean idle, List<String> cmd, Path log, Map<String, String> env) throws IOException {
        List<String> full = new ArrayList<>();
        if (cpus != null && !cpus.isBlank()) {
            full.add("taskset");
            full.add("-c");
            full.add(cpus);
        }
        if (idle) full.addAll(List.of("chrt", "--idle", "0"));
        full.addAll(cmd);
        ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        if (env != null) pb.environment().putAll(env);
        Files.writeString(log, "$ " + String.join(" ", full) + "\n", java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        Process p = pb.start();
        LIVE.add(p);
        return p;
    }

    /** Registers a process started elsewhere so that an interrupted run stops it too. */
    static Process track(Process p) {
        LIVE.add(p);
        return p;
    }

    static void untrack(Process p) {
        LIVE.remove(p);
    }

    /** SIGTERM, then SIGKILL after {@code graceMs}; children too (nginx workers, haproxy, caddy). */
    static void stop(Process p, long graceMs) {
        if (p == null) return;
        LIVE.remove(p);
        List<ProcessHandle> kids = p.descendants().toList();
        p.destroy();
        try {
            if (!p.waitFor(graceMs, TimeUnit.MILLISECONDS)) p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (ProcessHandle k : kids) {
            if (k.isAlive()) k.destroyForcibly();
        }
    }

    private static Stream<ProcessHandle> tree(long pid) {
        return ProcessHandle.of(pid).map(h -> Stream.concat(Stream.of(h), h.descendants())).orElse(Stream.empty());
    }

    /** Resident set size of the process and all its descendants, in bytes (what an operator's top shows, summed). */
    static long rssTree(long pid) {
        return tree(pid).mapToLong(h -> rss(h.pid())).sum();
    }

    static long rss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /**
     * CPU seconds (user + system) consumed so far by the process tree, children that already exited
     * included (their time is in their parent's cutime/cstime once reaped: nginx's retired workers).
     */
    static double cpuTree(long pid) {
        return tree(pid).mapToDouble(h -> cpuWithReaped(h.pid())).sum();
    }

    /**
     * CPU ticks (user + system) of each thread of a process so far, by "name/tid" (/proc/PID/task/TID/stat and comm):
     * which thread took a cell's CPU (the event loop, or a JIT compiler, the collector, a log writer).
     */
    static Map<String, Long> threadTicks(long pid) {
        Map<String, Long> out = new java.util.HashMap<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    String name = Files.readString(t.resolve("comm")).trim();
                    // user ticks in the low 32 bits, system ticks above: one map, both parts kept
                    out.put(name + "/" + t.getFileName(), Long.parseLong(f[11]) + (Long.parseLong(f[12]) << 32));
                } catch (IOException | RuntimeException gone) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process is gone
        }
        return out;
    }

    /**
     * The {@code n} threads that used the most CPU between two {@link #threadTicks} samples, busiest first, as
     * "name" to "total ms (user ms + system ms)"; threads of the same name are summed.
     */
    static Map<String, String> busiestThreads(Map<String, Long> before, Map<String, Long> after, int n) {
        Map<String, long[]> byName = new java.util.HashMap<>();
        after.forEach((k, v) -> {
            long b = before.getOrDefault(k, 0L);
            long user = ((v & 0xffffffffL) - (b & 0xffffffffL)) * 10, sys = ((v >>> 32) - (b >>> 32)) * 10;
            if (user + sys <= 0) return;
            long[] a = byName.computeIfAbsent(k.substring(0, k.lastIndexOf('/')), x -> new long[2]);
            a[0] += user;
            a[1] += sys;
        });
        Map<String, String> out = new java.util.LinkedHashMap<>();
        byName.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[0] + y.getValue()[1], x.getValue()[0] + x.getValue()[1]))
                .limit(n).forEach(e -> out.put(e.getKey(), (e.getValue()[0] + e.getValue()[1]) + " (" + e.getValue()[0] + " user + "
                        + e.getValue()[1] + " sys)"));
        return out;
    }

    /** utime + stime + cutime + cstime of one process from /proc/PID/stat, in seconds (0 when it is gone). */
    static double cpuWithReaped(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // After the command: state is f[0]; utime, stime, cutime, cstime are fields 14-17 of stat, f[11..14].
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
            return ticks / 100.0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * CPU ticks (user + system, in clock ticks) of every user-space process that is not the
     * current process or one of its descendants: other people's work on the same machine.
     */
    private static final Path SHM = Path.of("/dev/shm");

    /** A new directory in memory-backed storage ({@code /dev/shm}), or null when there is none to write to. */
    static Path memoryDir(String prefix) throws IOException {
        if (!Files.isDirectory(SHM) || !Files.isWritable(SHM)) return null;
        return Files.createTempDirectory(SHM, prefix);
    }

    /** Deletes what {@link #memoryDir} made for this run (directories named {@code switchyard-bench-*}). */
    static void deleteMemoryDirs() {
        if (!Files.isDirectory(SHM)) return;
        try (Stream<Path> dirs = Files.list(SHM)) {
            for (Path d : dirs.filter(d -> d.getFileName().toString().startsWith("switchyard-bench-")).toList()) {
                try (Stream<Path> tree = Files.walk(d)) {
                    for (Path f : tree.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
                }
            }
        } catch (IOException | RuntimeException e) {
            // left behind in /dev/shm: small, and named for what it is
        }
    }

    static Map<Long, Long> foreignTicks() {
        java.util.Set<Long> ours = new java.util.HashSet<>();
        ours.add(ProcessHandle.current().pid());
        ProcessHandle.current().descendants().forEach(h -> ours.add(h.pid()));
        Map<Long, Long> m = new java.util.HashMap<>();
        try (Stream<Path> dirs = Files.list(Path.of("/proc"))) {
            dirs.forEach(d -> {
                String name = d.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) return;
                long pid = Long.parseLong(name);
                if (ours.contains(pid)) return;
                try {
                    // Kernel threads have an empty cmdline; loopback softirq work done for us lands there.
                    if (Files.readAllBytes(d.resolve("cmdline")).length == 0) return;
                    String stat = Files.readString(d.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    m.put(pid, Long.parseLong(f[11]) + Long.parseLong(f[12]));
                } catch (IOException | RuntimeException e) {
                    // The process ended while we looked: nothing to count.
                }
            });
        } catch (IOException e) {
            return m;
        }
        return m;
    }

    /** Cores' worth of CPU that foreign processes used between two {@link #foreignTicks} samples. */
    static double foreignCores(Map<Long, Long> before, Map<Long, Long> after, double seconds) {
        long ticks = 0;
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            ticks += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        return seconds <= 0 ? 0 : ticks / 100.0 / seconds;
    }

    /** Busy and total jiffies of one core from /proc/stat. */
    static long[] coreTicks(int cpu) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu" + cpu + " ")) {
                    String[] f = line.trim().split("\\s+");
                    long total = 0;
                    for (int i = 1; i < f.length && i <= 8; i++) total += Long.parseLong(f[i]);
                    long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
                    return new long[] {total - idle, total};
                }
            }
        } catch (IOException e) {
            return new long[] {0, 0};
        }
        return new long[] {0, 0};
    }

    /** Fraction of time the core was busy between two {@link #coreTicks} samples. */
    static double busy(long[] a, long[] b) {
        long total = b[1] - a[1];
        return total <= 0 ? 0 : (double) (b[0] - a[0]) / total;
    }

    static boolean portOpen(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** GET, returning status (or -1 when the connection failed) and body. */
    static HttpResponse<String> get(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    static HttpResponse<String> send(String method, String url, String body) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Polls {@code url} until it answers 200 or {@code timeoutMs} passes, or the process dies. */
    static boolean await200(String url, long timeoutMs, Process p) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < end) {
            if (p != null && !p.isAlive()) return false;
            HttpResponse<String> r = get(url);
            if (r != null && r.statusCode() == 200) return true;
            Thread.sleep(50);
        }
        return false;
    }

    /** Runs a short command and returns its combined output (for version strings). */
    static String output(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor(10, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            return "unavailable (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
