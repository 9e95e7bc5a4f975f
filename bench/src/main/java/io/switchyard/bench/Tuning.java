package io.switchyard.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Switchyard's data plane alone, under one JVM setting after another, with the same instrument as
 * the main run: fresh RSS, cold HTTP (first seconds after start), steady HTTP and 32 B echo, RSS
 * with idle tunnels. A setting with a training step (class-data sharing, AOT cache) is first run
 * under load with the training flags and stopped, then measured with the run flags.
 * Writes docs/bench-results/jvm-tuning.json and the generated table in bench/JVM-TUNING.md.
 */
final class Tuning {
    private Tuning() {
    }

    static final String J17 = "java";
    static final String J25 = "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java";
    static final String QUIET = "-Dorg.slf4j.simpleLogger.log.switchyard.access=warn";
    static final String SMALL = "-XX:+UseSerialGC -Xms24m -Xmx96m -XX:ReservedCodeCacheSize=32m -XX:MaxMetaspaceSize=96m"
            + " -Xss256k -XX:MaxDirectMemorySize=64m -Dio.netty.allocator.numHeapArenas=1 -Dio.netty.allocator.numDirectArenas=1";
    static final String NOLEAK = " -Dio.netty.leakDetection.level=disabled";
    static final String RECOMMENDED = "-XX:+UseSerialGC -Xms16m -Xmx96m -XX:ReservedCodeCacheSize=32m -XX:MaxMetaspaceSize=96m"
            + " -Xss256k -XX:MaxDirectMemorySize=64m -Dio.netty.allocator.numHeapArenas=1 -Dio.netty.allocator.numDirectArenas=1"
            + " -Dio.netty.leakDetection.level=disabled";
    static final Map<String, String> ARENA2 = Map.of("MALLOC_ARENA_MAX", "2");
    static final String ARENAS = " -Dio.netty.allocator.maxOrder=7 -Dio.netty.allocator.useCacheForAllThreads=false";

    /** A JVM setting: name, java binary, flags for the measured run, flags for a training run (or null). */
    record Setting(String name, String java, String flags, String train, Map<String, String> env) {
        Setting(String name, String java, String flags, String train) {
            this(name, java, flags, train, null);
        }
    }

    static List<Setting> settings(Path work) {
        String jsa = work.resolve("switchyard.jsa").toString(), aot = work.resolve("switchyard.aot").toString();
        String jsa25 = work.resolve("switchyard25.jsa").toString(), jsaRec = work.resolve("switchyard-rec.jsa").toString();
        return List.of(
                new Setting("bench default until now (Parallel, 256-512 MB heap)", J17, "-Xms256m -Xmx512m -XX:+UseParallelGC -XX:-AlwaysPreTouch", null),
                new Setting("JVM defaults (one CPU visible: Serial GC, heap up to 1/4 of RAM)", J17, "", null),
                new Setting("G1, 96 MB heap", J17, "-XX:+UseG1GC -Xms24m -Xmx96m", null),
                new Setting("Parallel, 96 MB heap", J17, "-XX:+UseParallelGC -Xms24m -Xmx96m", null),
                new Setting("Serial, 96 MB heap", J17, "-XX:+UseSerialGC -Xms24m -Xmx96m", null),
                new Setting("Serial, 96 MB heap, small code cache, stacks, direct memory, 1 arena", J17, SMALL, null),
                new Setting("the same + Netty maxOrder=7, no thread caches for all threads", J17, SMALL + ARENAS, null),
                new Setting("the same, C1 only (TieredStopAtLevel=1)", J17, SMALL + ARENAS + " -XX:TieredStopAtLevel=1", null),
                new Setting("small set + AppCDS archive (Java 17)", J17, SMALL + ARENAS + " -XX:SharedArchiveFile=" + jsa,
                        SMALL + ARENAS + " -XX:ArchiveClassesAtExit=" + jsa),
                new Setting("small set on Java 25", J25, SMALL + ARENAS, null),
                new Setting("small set on Java 25 + AppCDS archive", J25, SMALL + ARENAS + " -XX:SharedArchiveFile=" + jsa25,
                        SMALL + ARENAS + " -XX:ArchiveClassesAtExit=" + jsa25),
                new Setting("small set on Java 25 + AOT cache (JEP 483/514/515)", J25, SMALL + ARENAS + " -XX:AOTCache=" + aot,
                        SMALL + ARENAS + " -XX:AOTCacheOutput=" + aot),
                new Setting("small set, Netty leak detector off", J17, SMALL + NOLEAK, null),
                new Setting("small set, leak detector off, MALLOC_ARENA_MAX=2", J17, SMALL + NOLEAK, null, ARENA2),
                new Setting("recommended (Java 17): small set, leak detector off, 16 MB initial heap, MALLOC_ARENA_MAX=2, AppCDS",
                        J17, RECOMMENDED + " -XX:SharedArchiveFile=" + jsaRec, RECOMMENDED + " -XX:ArchiveClassesAtExit=" + jsaRec, ARENA2));
    }

    @SuppressWarnings("unchecked")
    static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--report-only")) {
            Map<String, Object> doc = Runner.JSON.readValue(Path.of(args[1]).toFile(), Map.class);
            writeMarkdown(doc, Path.of(args[2]));
            return;
        }
        Runner.Settings s = Runner.Settings.parse(args);
        Path work = Files.createTempDirectory("switchyard-tune-");
        CTools tools = new CTools(s.bin, s.loadCpus);
        String why = tools.unavailable();
        if (why != null) throw new IllegalStateException(why);
        Path jar = work.resolve("switchyard.jar");
        Files.copy(s.jar, jar);
        CTools.Upstream echo = tools.startEcho(work.resolve("echo.log"));
        List<Map<String, Object>> rows = new ArrayList<>();
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("meta", Meta.collect(s));
        doc.put("rows", rows);
        Path out = s.repo.resolve("docs/bench-results/jvm-tuning.json");
        // BENCH_TUNE_ONLY=regex measures some settings again; earlier rows are kept (the report shows the quietest).
        String only = System.getenv("BENCH_TUNE_ONLY");
        List<Setting> chosen = settings(work).stream()
                .filter(st -> only == null || only.isBlank() || st.name().matches(only)).toList();
        if (Files.isRegularFile(out) && only != null && !only.isBlank()) {
            Map<String, Object> old = Runner.JSON.readValue(out.toFile(), Map.class);
            for (Map<String, Object> r : (List<Map<String, Object>>) old.get("rows")) {
                rows.add(r);
            }
        }
        try {
            for (Setting st : chosen) {
                for (int round = 1; round <= s.rounds; round++) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("setting", st.name());
                    row.put("java", st.java());
                    row.put("flags", st.flags());
                    row.put("round", round);
                    try {
                        if (st.train() != null && round == 1) train(s, tools, work, jar, echo.port(), st);
                        measure(s, tools, work, jar, echo.port(), st, row);
                    } catch (Exception e) {
                        row.put("error", String.valueOf(e.getMessage()));
                    }
                    System.out.println("[tune] " + row);
                    rows.add(row);
                    Runner.JSON.writeValue(out.toFile(), doc);
                }
            }
        } finally {
            Procs.stop(echo.process(), 2000);
        }
        writeMarkdown(doc, s.repo.resolve("bench/JVM-TUNING.md"));
    }

    private static List<String> flags(String f) {
        List<String> l = new ArrayList<>();
        for (String x : f.trim().split("\\s+")) if (!x.isEmpty()) l.add(x);
        l.add(QUIET);
        return l;
    }

    private static void train(Runner.Settings s, CTools tools, Path work, Path jar, int echoPort, Setting st) throws Exception {
        Path dir = Files.createDirectories(work.resolve("train-" + Math.abs(st.name().hashCode())));
        Peer.Ctx ctx = new Peer.Ctx(dir, s.repo.resolve("bench/peers"), s.proxyCpus, echoPort, jar, flags(st.train()), st.java(), st.env());
        Peer.Running r = new Peer.Switchyard().start(ctx, Runner.ROUTES);
        String prefix = Peer.prefix(Runner.ROUTES - 1);
        tools.run("http", r.port(), prefix + "/hello", Runner.CONNECTIONS, 0, 0, 6);
        tools.run("echo", r.port(), prefix + "/ws", Runner.CONNECTIONS, 32, 0, 3);
        tools.run("handshake", r.port(), prefix + "/ws", 16, 0, 0, 2);
        // SIGTERM: the JVM exits through its shutdown hooks and writes the archive or cache on the way out.
        Procs.stop(r.process(), 60_000);
    }

    /** Waits up to {@code budgetMs} for other programs to leave the CPU alone; returns their last share. */
    static double awaitQuiet(long budgetMs) throws InterruptedException {
        long end = System.currentTimeMillis() + budgetMs;
        double f;
        do {
            Map<Long, Long> a = Procs.foreignTicks();
            long t = System.nanoTime();
            Thread.sleep(500);
            f = Procs.foreignCores(a, Procs.foreignTicks(), (System.nanoTime() - t) / 1e9);
        } while (f >= Runner.FOREIGN_INVALID && System.currentTimeMillis() < end);
        return f;
    }

    private static void measure(Runner.Settings s, CTools tools, Path work, Path jar, int echoPort, Setting st,
                                Map<String, Object> row) throws Exception {
        awaitQuiet(90_000);
        Path dir = Files.createDirectories(work.resolve("run-" + System.nanoTime()));
        Peer.Ctx ctx = new Peer.Ctx(dir, s.repo.resolve("bench/peers"), s.proxyCpus, echoPort, jar, flags(st.flags()), st.java(), st.env());
        Peer.Running r = new Peer.Switchyard().start(ctx, Runner.ROUTES);
        String prefix = Peer.prefix(Runner.ROUTES - 1);
        try {
            row.put("start_ms", r.startMs());
            Thread.sleep(1000);
            row.put("fresh_rss_bytes", Procs.rssTree(r.pid()));
            Map<Long, Long> f0 = Procs.foreignTicks();
            long t0 = System.nanoTime();
            JsonNode cold = tools.run("http", r.port(), prefix + "/hello", Runner.CONNECTIONS, 0, 0, s.coldS);
            row.put("cold_http_per_second", cold.path("per_second").asDouble());
            row.put("cold_timeline", cold.path("timeline"));
            tools.run("echo", r.port(), prefix + "/ws", Runner.CONNECTIONS, 1024, 0, s.primeS * 0.6);
            tools.run("handshake", r.port(), prefix + "/ws", 16, 0, 0, s.primeS * 0.4);
            double cpu0 = Procs.cpuTree(r.pid());
            JsonNode http = tools.run("http", r.port(), prefix + "/hello", Runner.CONNECTIONS, 0, s.warmupS, s.durationS);
            double cpu1 = Procs.cpuTree(r.pid());
            long httpAll = 0;
            for (JsonNode n : http.path("timeline")) httpAll += n.asLong();
            row.put("http_per_second", http.path("per_second").asDouble());
            row.put("http_p99_us", http.path("p99_us").asDouble());
            row.put("http_cpu_us_per_op", httpAll > 0 ? (cpu1 - cpu0) * 1e6 / httpAll : null);
            JsonNode echo = tools.run("echo", r.port(), prefix + "/ws", Runner.CONNECTIONS, 32, s.warmupS, s.durationS);
            row.put("echo32_per_second", echo.path("per_second").asDouble());
            row.put("echo32_p99_us", echo.path("p99_us").asDouble());
            long errors = cold.path("errors").asLong() + http.path("errors").asLong() + echo.path("errors").asLong();
            try (CTools.Idle idle = tools.idle(r.port(), prefix + "/ws", s.idle, 600)) {
                Thread.sleep(1000);
                row.put("idle_open", idle.open());
                row.put("idle_rss_bytes", Procs.rssTree(r.pid()));
                errors += idle.opened.path("errors").asLong();
            }
            row.put("errors", errors);
            row.put("foreign_cpu_cores", Procs.foreignCores(f0, Procs.foreignTicks(), (System.nanoTime() - t0) / 1e9));
        } finally {
            Procs.stop(r.process(), 5000);
        }
    }

    static Double median(List<Map<String, Object>> rows, String field) {
        double[] v = rows.stream().map(r -> r.get(field)).filter(x -> x instanceof Number)
                .mapToDouble(x -> ((Number) x).doubleValue()).sorted().toArray();
        if (v.length == 0) return null;
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    @SuppressWarnings("unchecked")
    static void writeMarkdown(Map<String, Object> doc, Path md) throws Exception {
        List<Map<String, Object>> rows = (List<Map<String, Object>>) doc.get("rows");
        Map<String, List<Map<String, Object>>> by = new LinkedHashMap<>();
        for (Setting st : settings(Path.of("/tmp"))) {
            if (rows.stream().anyMatch(r -> st.name().equals(r.get("setting")))) by.put(st.name(), new ArrayList<>());
        }
        for (Map<String, Object> r : rows) {
            boolean bad = r.containsKey("error") || (r.get("errors") instanceof Number n && n.longValue() > 0);
            by.computeIfAbsent((String) r.get("setting"), k -> new ArrayList<>());
            if (!bad) by.get(r.get("setting")).add(r);
        }
        StringBuilder t = new StringBuilder();
        t.append("| setting | java | fresh RSS | RSS, 4,000 idle tunnels | cold HTTP, first 10 s | steady HTTP req/s | HTTP CPU µs/req | steady echo 32 B msg/s | echo 32 B p99 | start-up | other programs' CPU | runs |\n");
        t.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (Map.Entry<String, List<Map<String, Object>>> e : by.entrySet()) {
            List<Map<String, Object>> rs = e.getValue();
            String java = rows.stream().filter(r -> r.get("setting").equals(e.getKey())).findFirst()
                    .map(r -> ((String) r.get("java")).contains("25") ? "25" : "17").orElse("?");
            t.append("| ").append(e.getKey()).append(" | ").append(java).append(" | ");
            if (rs.isEmpty()) {
                String err = rows.stream().filter(r -> r.get("setting").equals(e.getKey())).map(r -> String.valueOf(r.getOrDefault("error", "errors or other programs' CPU use")))
                        .findFirst().orElse("?");
                t.append("invalid: ").append(Runner.firstLine(err).replace("|", "/")).append(" | | | | | | | | | |\n");
                continue;
            }
            // The quietest measurement of the setting (least CPU used by other programs while it ran).
            Map<String, Object> q = rs.stream().min(Comparator.comparingDouble(
                    r -> r.get("foreign_cpu_cores") instanceof Number f ? f.doubleValue() : 9)).orElseThrow();
            rs = List.of(q);
            t.append(mb(median(rs, "fresh_rss_bytes"))).append(" | ").append(mb(median(rs, "idle_rss_bytes"))).append(" | ")
                    .append(n(median(rs, "cold_http_per_second"))).append(" | ").append(n(median(rs, "http_per_second"))).append(" | ")
                    .append(f1(median(rs, "http_cpu_us_per_op"))).append(" | ").append(n(median(rs, "echo32_per_second"))).append(" | ")
                    .append(us(median(rs, "echo32_p99_us"))).append(" | ").append(n(median(rs, "start_ms"))).append(" ms | ")
                    .append(String.format(Locale.ROOT, "%.0f%%", 100 * median(rs, "foreign_cpu_cores")))
                    .append(median(rs, "foreign_cpu_cores") >= Runner.FOREIGN_INVALID ? " (noisy)" : "")
                    .append(" | ").append(e.getValue().size()).append(" |\n");
        }
        t.append("\nEach row is the quietest of the setting's measurements (\"runs\"; all are in the raw file): the one during which"
                + " other programs used the least CPU.\n");
        t.append("\nFlags of each setting (all also get `").append(QUIET).append("`):\n\n");
        for (Setting st : settings(Path.of("/tmp/switchyard-tune"))) {
            t.append("- ").append(st.name()).append(": `").append(st.flags().isEmpty() ? "(none)" : st.flags()).append('`');
            if (st.train() != null) t.append("; trained first with `").append(st.train()).append('`');
            if (st.env() != null) t.append("; environment ").append(st.env());
            t.append('\n');
        }
        String begin = "<!-- generated table: bench/run.sh --tune -->", end = "<!-- end of generated table -->";
        String body = Files.isRegularFile(md) ? Files.readString(md) : "# JVM tuning\n\n" + begin + "\n" + end + "\n";
        int a = body.indexOf(begin), b = body.indexOf(end);
        if (a < 0 || b < 0) body = body + "\n" + begin + "\n" + end + "\n";
        a = body.indexOf(begin);
        b = body.indexOf(end);
        Files.writeString(md, body.substring(0, a + begin.length()) + "\n\n" + t + "\n" + body.substring(b));
    }

    private static String mb(Double v) {
        return v == null ? "–" : String.format(Locale.ROOT, "%.0f MB", v / 1e6);
    }

    private static String n(Double v) {
        return v == null ? "–" : String.format(Locale.ROOT, "%,.0f", v);
    }

    private static String f1(Double v) {
        return v == null ? "–" : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String us(Double v) {
        return v == null ? "–" : v >= 1000 ? String.format(Locale.ROOT, "%.2f ms", v / 1000) : String.format(Locale.ROOT, "%.0f µs", v);
    }
}
