package io.switchyard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs every scenario against every target, alternating targets inside each round, and writes the
 * raw results (one JSON document) plus the report. Runs inside the load-generator process, which
 * run.sh pins to the load core; proxies and the echo upstream are child processes.
 */
final class Runner {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final int[] SIZES = {32, 1024, 16384};
    static final int CONNECTIONS = 64;
    static final int ROUTES = 10;
    /** Foreign CPU (cores) above which a cell is invalid, and below which the machine counts as quiet. */
    static final double FOREIGN_INVALID = 0.15;

    /** Command-line settings; defaults are what the committed report used. */
    static final class Settings {
        int rounds = 3;
        long warmupMs = 500;
        long durationMs = 4000;
        String proxyCpus = "1";
        String loadCpus = "0";
        List<String> targets = List.of("direct", "switchyard", "nginx", "haproxy", "caddy");
        List<String> scenarios = List.of("A", "B", "C", "D", "E", "F", "G");
        int bigRoutes = 100_000;
        int[] idle = {1000, 2000, 4000, 8000};
        int handshakeConcurrency = 16;
        long swapEveryMs = 100;
        long primeMs = 1500;
        Path repo = Path.of(".").toAbsolutePath().normalize();
        Path jar;
        Path benchJar;
        Path out;
        List<String> switchyardJvm = List.of("-Xms256m", "-Xmx512m", "-XX:+UseParallelGC", "-XX:-AlwaysPreTouch",
                "-Dorg.slf4j.simpleLogger.log.switchyard.access=warn");

        static Settings parse(String[] args) {
            Settings s = new Settings();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String v = i + 1 < args.length ? args[i + 1] : null;
                switch (a) {
                    case "--rounds" -> { s.rounds = Integer.parseInt(v); i++; }
                    case "--warmup-ms" -> { s.warmupMs = Long.parseLong(v); i++; }
                    case "--duration-ms" -> { s.durationMs = Long.parseLong(v); i++; }
                    case "--proxy-cpus" -> { s.proxyCpus = v; i++; }
                    case "--load-cpus" -> { s.loadCpus = v; i++; }
                    case "--targets" -> { s.targets = List.of(v.split(",")); i++; }
                    case "--scenarios" -> { s.scenarios = List.of(v.split(",")); i++; }
                    case "--prime-ms" -> { s.primeMs = Long.parseLong(v); i++; }
                    case "--big-routes" -> { s.bigRoutes = Integer.parseInt(v); i++; }
                    case "--idle" -> { s.idle = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray(); i++; }
                    case "--repo" -> { s.repo = Path.of(v).toAbsolutePath().normalize(); i++; }
                    case "--jar" -> { s.jar = Path.of(v).toAbsolutePath(); i++; }
                    case "--bench-jar" -> { s.benchJar = Path.of(v).toAbsolutePath(); i++; }
                    case "--out" -> { s.out = Path.of(v).toAbsolutePath(); i++; }
                    case "--switchyard-jvm" -> { s.switchyardJvm = List.of(v.trim().split("\\s+")); i++; }
                    default -> throw new IllegalArgumentException("unknown option: " + a
                            + " (expected: --rounds --warmup-ms --duration-ms --proxy-cpus --load-cpus --targets"
                            + " --scenarios --big-routes --idle --repo --jar --bench-jar --out --switchyard-jvm)");
                }
            }
            if (s.jar == null) s.jar = s.repo.resolve("dist/switchyard.jar");
            if (s.benchJar == null) s.benchJar = s.repo.resolve("bench/target/switchyard-bench.jar");
            if (s.out == null) s.out = s.repo.resolve("docs");
            return s;
        }
    }

    private final Settings s;
    private final List<Map<String, Object>> cells = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final Path work;
    private Process echo;
    private long quietBudgetMs = 90_000;
    private boolean waitedLogged;
    private Path cert, key;
    private boolean switchyardTls;
    private int echoPort;
    private final long started = System.currentTimeMillis();

    Runner(Settings s) throws IOException {
        this.s = s;
        this.work = Files.createTempDirectory("switchyard-bench-");
    }

    private void log(String msg) {
        System.out.printf("[bench %5.0fs] %s%n", (System.currentTimeMillis() - started) / 1000.0, msg);
        System.out.flush();
    }

    private boolean wants(String scenario) {
        return s.scenarios.contains(scenario);
    }

    void run() throws Exception {
        Map<String, Object> meta = Meta.collect(s);
        startEcho();
        // Run a private copy: colleagues rebuild dist/switchyard.jar while we measure, and a jar
        // replaced under a running JVM breaks its class loading in the middle of a cell.
        if (Files.isRegularFile(s.jar)) {
            Path copy = work.resolve("switchyard.jar");
            Files.copy(s.jar, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            meta.put("switchyard_jar_sha256", sha256(copy));
            s.jar = copy;
        }
        if (wants("G")) setUpTls();
        Peer.Ctx baseCtx = new Peer.Ctx(work, s.repo.resolve("bench/peers"), s.proxyCpus, echoPort, s.jar,
                s.switchyardJvm, cert, key);
        List<Peer> proxies = new ArrayList<>();
        for (String t : s.targets) {
            switch (t) {
                case "direct" -> { }
                case "nginx" -> proxies.add(new Peer.Nginx());
                case "haproxy" -> proxies.add(new Peer.Haproxy());
                case "caddy" -> proxies.add(new Peer.Caddy());
                case "switchyard" -> {
                    String why = Meta.switchyardUnavailable(s.jar);
                    if (why == null) proxies.add(new Peer.Switchyard());
                    else note("switchyard: not measured: " + why);
                }
                default -> throw new IllegalArgumentException("unknown target: " + t);
            }
        }
        try {
            for (int round = 1; round <= s.rounds; round++) {
                log("round " + round + " of " + s.rounds);
                // Direct first in every round: scenario B's rate is half of this round's direct capacity.
                double directCapacity = runDirect(baseCtx, round);
                // Alternate: each round starts with a different proxy so drift (thermal, page cache,
                // TIME_WAIT build-up) does not always favour the same one.
                for (int k = 0; k < proxies.size(); k++) {
                    Peer p = proxies.get((k + round - 1) % proxies.size());
                    Path dir = Files.createDirectories(work.resolve(p.name + "-r" + round));
                    Peer.Ctx ctx = new Peer.Ctx(dir, baseCtx.peersDir(), s.proxyCpus, echoPort, s.jar, s.switchyardJvm, cert, key);
                    try {
                        runProxy(p, ctx, round, directCapacity);
                    } catch (Exception e) {
                        log(p.name + " failed: " + e);
                        Map<String, Object> c = cell(round, p.name, "error");
                        c.put("error", String.valueOf(e.getMessage()));
                        c.put("flags", List.of("peer failed: " + firstLine(e.getMessage())));
                    }
                }
                if (wants("F") && proxies.stream().anyMatch(p -> p.name.equals("switchyard"))) {
                    try {
                        runSwaps(round);
                    } catch (Exception e) {
                        log("swaps failed: " + e);
                        note("round " + round + ": snapshot-swap scenario failed: " + firstLine(e.getMessage()));
                    }
                }
                writeResults(meta);
            }
        } finally {
            Procs.stop(echo, 3000);
        }
        meta.put("elapsed_s", (System.currentTimeMillis() - started) / 1000.0);
        Path raw = writeResults(meta);
        Report.write(raw, s.out);
        log("done: " + raw + " and " + s.out.resolve("benchmarks.md"));
    }

    static String sha256(Path f) throws IOException {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f));
            return java.util.HexFormat.of().formatHex(d).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path writeResults(Map<String, Object> meta) throws IOException {
        Path dir = Files.createDirectories(s.out.resolve("bench-results"));
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("meta", meta);
        doc.put("notes", notes);
        doc.put("cells", cells);
        Path f = dir.resolve("latest.json");
        JSON.writeValue(f.toFile(), doc);
        return f;
    }

    private void note(String n) {
        log("note: " + n);
        notes.add(n);
    }

    static String firstLine(String s) {
        if (s == null) return "unknown";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    private void startEcho() throws Exception {
        echoPort = Peer.freePort();
        Path log = work.resolve("echo.log");
        echo = Procs.start(s.loadCpus, List.of("java", "-Xms128m", "-Xmx256m", "-XX:+UseParallelGC",
                "-cp", s.benchJar.toString(), "io.switchyard.bench.Main", "echo", "--port", Integer.toString(echoPort),
                "--threads", "1"), log, null);
        long end = System.currentTimeMillis() + 20_000;
        while (!Procs.portOpen(echoPort)) {
            if (!echo.isAlive() || System.currentTimeMillis() > end) {
                throw new IllegalStateException("echo upstream did not start: " + Files.readString(log));
            }
            Thread.sleep(50);
        }
        log("echo upstream on 127.0.0.1:" + echoPort + " (pid " + echo.pid() + "); warming it and the load generator up");
        // Both are JVMs: without this the first direct cells would measure the JIT, not the echo path.
        String url = "ws://127.0.0.1:" + echoPort + "/warm";
        for (int size : SIZES) LoadGen.echo(new LoadGen.Options(url, CONNECTIONS, size, 0, 0, s.primeMs, 1));
        LoadGen.handshakes(new LoadGen.Options(url, s.handshakeConcurrency, 0, 0, 0, s.primeMs, 1));
        LoadGen.echo(new LoadGen.Options(url, CONNECTIONS, 1024, 5000, 0, s.primeMs, 1));
        wrk("http://127.0.0.1:" + echoPort + "/warm", 2, work.resolve("wrk.log"));
    }

    private Map<String, Object> cell(int round, String target, String scenario) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("round", round);
        c.put("target", target);
        c.put("scenario", scenario);
        cells.add(c);
        return c;
    }

    /** Samples proxy CPU and both cores' busy time around a measured window. */
    private final class Sampler implements LoadGen.Probe {
        final long proxyPid;
        double proxyCpu0, echoCpu0, proxyCpu, echoCpu;
        long[] load0, proxy0, load1, proxy1;
        long t0, t1;
        Map<Long, Long> foreign0, foreign1;

        Sampler(long proxyPid) {
            this.proxyPid = proxyPid;
        }

        @Override
        public void begin() {
            foreign0 = Procs.foreignTicks();
            t0 = System.nanoTime();
            proxyCpu0 = proxyPid > 0 ? Procs.cpuTree(proxyPid) : 0;
            echoCpu0 = Procs.cpuTree(echo.pid());
            load0 = Procs.coreTicks(firstCpu(s.loadCpus));
            proxy0 = Procs.coreTicks(firstCpu(s.proxyCpus));
        }

        @Override
        public void end() {
            t1 = System.nanoTime();
            proxyCpu = proxyPid > 0 ? Procs.cpuTree(proxyPid) - proxyCpu0 : 0;
            echoCpu = Procs.cpuTree(echo.pid()) - echoCpu0;
            load1 = Procs.coreTicks(firstCpu(s.loadCpus));
            proxy1 = Procs.coreTicks(firstCpu(s.proxyCpus));
            foreign1 = Procs.foreignTicks();
        }

        void into(Map<String, Object> c, long ops) {
            double secs = (t1 - t0) / 1e9;
            c.put("proxy_cpu_cores", proxyPid > 0 ? proxyCpu / secs : null);
            c.put("proxy_cpu_us_per_op", proxyPid > 0 && ops > 0 ? proxyCpu * 1e6 / ops : null);
            c.put("echo_cpu_cores", echoCpu / secs);
            c.put("load_core_busy", Procs.busy(load0, load1));
            c.put("proxy_core_busy", Procs.busy(proxy0, proxy1));
            // Another program eating CPU on a 2-core machine invalidates the cell: say so, with how much.
            double foreign = Procs.foreignCores(foreign0, foreign1, secs);
            c.put("foreign_cpu_cores", foreign);
            if (foreign >= FOREIGN_INVALID) {
                flags(c).add(String.format("INVALID: other processes used %.0f%% of a core", foreign * 100));
            }
        }
    }

    static int firstCpu(String list) {
        return Integer.parseInt(list.split("[,-]")[0].trim());
    }

    private Map<String, Object> echoCell(int round, String target, String scenario, Peer.Running r, int size,
                                         double rate) throws Exception {
        String url = "ws://127.0.0.1:" + r.port() + Peer.prefix(ROUTES - 1) + "/ws";
        return echoCell(round, target, scenario, r.pid(), url, size, rate);
    }

    /**
     * Waits (from a run-wide budget) until other programs leave the machine alone: on 2 cores a
     * colleague's test suite would otherwise be measured as our proxy's slowness.
     */
    private void awaitQuiet() throws InterruptedException {
        while (quietBudgetMs > 0 && !pastSoftDeadline()) {
            Map<Long, Long> a = Procs.foreignTicks();
            long t = System.nanoTime();
            Thread.sleep(300);
            double f = Procs.foreignCores(a, Procs.foreignTicks(), (System.nanoTime() - t) / 1e9);
            if (f < FOREIGN_INVALID) return;
            if (!waitedLogged) log(String.format("other processes use %.0f%% of a core; waiting for a quiet machine", f * 100));
            waitedLogged = true;
            Thread.sleep(700);
            quietBudgetMs -= 1000;
        }
    }

    private interface CellRun {
        Map<String, Object> run() throws Exception;
    }

    private int retriesLeft = 15;

    /** Time after which the run stops waiting for quiet and stops retrying, to finish within 20 minutes. */
    private boolean pastSoftDeadline() {
        return System.currentTimeMillis() - started > 15 * 60_000L;
    }

    /**
     * Runs a cell, and once more if other programs' CPU use invalidated it (from a run-wide budget):
     * the retry replaces the first attempt, and says so in the cell.
     */
    private Map<String, Object> retrying(CellRun r) throws Exception {
        Map<String, Object> c = r.run();
        boolean foreign = flags(c).stream().anyMatch(f -> f.startsWith("INVALID: other processes"));
        if (foreign && retriesLeft > 0 && !pastSoftDeadline()) {
            retriesLeft--;
            cells.remove(c);
            log("retrying " + c.get("target") + " " + c.get("scenario") + ": other processes were using the CPU");
            Map<String, Object> again = r.run();
            again.put("retried", true);
            return again;
        }
        return c;
    }

    private Map<String, Object> echoCell(int round, String target, String scenario, long pid, String url, int size,
                                         double rate) throws Exception {
        return retrying(() -> echoCellOnce(round, target, scenario, pid, url, size, rate));
    }

    private Map<String, Object> echoCellOnce(int round, String target, String scenario, long pid, String url, int size,
                                             double rate) throws Exception {
        awaitQuiet();
        Sampler sm = new Sampler(pid);
        LoadGen.Result res = LoadGen.echo(new LoadGen.Options(url, CONNECTIONS, size, rate, s.warmupMs, s.durationMs, 1), sm);
        Map<String, Object> c = cell(round, target, scenario);
        c.put("size", size);
        c.put("connections", CONNECTIONS);
        c.putAll(JSON.convertValue(res, Map.class));
        sm.into(c, res.messages());
        flag(c, res);
        if (rate > 0 && res.perSecond() < rate * 0.95) {
            flags(c).add(String.format("sustained %.0f of %.0f msg/s asked", res.perSecond(), rate));
        }
        log(String.format("%-10s %-8s %8.0f/s p50 %6.0fus p99 %7.0fus p99.9 %7.0fus proxyCPU %s err %d %s",
                target, scenario, res.perSecond(), res.p50Us(), res.p99Us(), res.p999Us(),
                c.get("proxy_cpu_cores") == null ? "-" : String.format("%.2f", (Double) c.get("proxy_cpu_cores")),
                res.errors(), flags(c)));
        return c;
    }

    @SuppressWarnings("unchecked")
    static List<String> flags(Map<String, Object> c) {
        return (List<String>) c.computeIfAbsent("flags", k -> new ArrayList<String>());
    }

    /** Marks a cell whose numbers cannot be trusted, or are bounded by the load side. */
    private static void flag(Map<String, Object> c, LoadGen.Result res) {
        List<String> f = flags(c);
        if (res.errors() > 0) f.add("INVALID: " + res.errors() + " errors (first: " + res.firstError() + ")");
        if (res.connectionsOpen() < res.connectionsAsked()) {
            f.add("INVALID: " + res.connectionsOpen() + " of " + res.connectionsAsked() + " connections");
        }
        if (res.loadCpuCores() >= 0.95) f.add(String.format("load generator CPU saturated (%.0f%%)", res.loadCpuCores() * 100));
        Object busy = c.get("load_core_busy");
        if (busy instanceof Double b && b >= 0.97) f.add(String.format("load core saturated (%.0f%% busy)", b * 100));
    }

    private double runDirect(Peer.Ctx ctx, int round) throws Exception {
        Peer.Running r = new Peer.Direct().start(ctx, ROUTES, false);
        double capacity = 0;
        if (wants("A") || wants("B")) {
            for (int size : SIZES) {
                Map<String, Object> c = echoCell(round, "direct", "A-" + size, r, size, 0);
                if (size == 1024) capacity = ((Number) c.get("perSecond")).doubleValue();
            }
        }
        if (wants("B")) echoCell(round, "direct", "B", r, 1024, Math.max(100, capacity / 2));
        if (wants("C")) handshakeCell(round, "direct", "C", r, "ws://127.0.0.1:" + r.port());
        if (wants("E")) wrkCell(round, "direct", r);
        return capacity;
    }

    private void runProxy(Peer p, Peer.Ctx ctx, int round, double directCapacity) throws Exception {
        boolean tls = tlsFor(p, round);
        log("starting " + p.name + " (" + ROUTES + " routes" + (tls ? ", plus a TLS listener" : "") + ")");
        Peer.Running r = p.start(ctx, ROUTES, tls);
        try {
            Map<String, Object> st = cell(round, p.name, "start-" + ROUTES);
            st.put("start_ms", r.startMs());
            st.put("rss_bytes", Procs.rssTree(r.pid()));
            prime(r, ROUTES);
            if (wants("A")) for (int size : SIZES) echoCell(round, p.name, "A-" + size, r, size, 0);
            if (wants("B")) echoCell(round, p.name, "B", r, 1024, Math.max(100, directCapacity / 2));
            if (wants("C")) handshakeCell(round, p.name, "C", r, "ws://127.0.0.1:" + r.port());
            if (wants("E")) wrkCell(round, p.name, r);
            if (wants("D")) idleCell(round, p.name, r);
            if (tls) tlsCells(round, p.name, r);
        } finally {
            Procs.stop(r.process(), 5000);
        }
        if (tls && p instanceof Peer.Switchyard) {
            // The same data plane with Netty's OpenSSL binding switched off: JDK TLS (SSLEngine).
            List<String> jvm = new ArrayList<>(s.switchyardJvm);
            jvm.add("-Dio.netty.handler.ssl.noOpenSsl=true");
            Peer.Ctx jdk = new Peer.Ctx(ctx.work(), ctx.peersDir(), ctx.proxyCpus(), ctx.echoPort(), ctx.jar(), jvm,
                    ctx.cert(), ctx.key());
            log("starting switchyard with JDK TLS");
            Peer.Running rj = p.start(jdk, ROUTES, true);
            try {
                prime(rj, ROUTES);
                tlsCells(round, "switchyard-jdk", rj);
            } finally {
                Procs.stop(rj.process(), 5000);
            }
        }
        // 100k routes: Switchyard in every round (its goal); the peers in round 1 only, because
        // Caddy needs over a minute to load them and nginx half a minute, every time.
        if (wants("F") && (round == 1 || p instanceof Peer.Switchyard)) {
            log("starting " + p.name + " (" + s.bigRoutes + " routes)");
            Peer.Running big = p.start(ctx, s.bigRoutes, false);
            try {
                Map<String, Object> st = cell(round, p.name, "start-" + s.bigRoutes);
                st.put("start_ms", big.startMs());
                st.put("rss_bytes", Procs.rssTree(big.pid()));
                prime(big, s.bigRoutes);
                String url = "ws://127.0.0.1:" + big.port() + Peer.prefix(s.bigRoutes - 1) + "/ws";
                echoCell(round, p.name, "F-100k", big.pid(), url, 1024, 0);
            } finally {
                Procs.stop(big.process(), 5000);
            }
        }
    }

    private boolean tlsFor(Peer p, int round) {
        // G runs in round 1 only: with JDK TLS as a sixth target it would push the run past 20 minutes.
        if (!wants("G") || cert == null || round != 1) return false;
        return !(p instanceof Peer.Switchyard) || switchyardTls;
    }

    /** Scenario G: the A 1 KiB echo and the C handshake loop over wss on the peer's TLS listener. */
    private void tlsCells(int round, String target, Peer.Running r) throws Exception {
        String base = "wss://127.0.0.1:" + r.tlsPort();
        echoCell(round, target, "G-wss-1024", r.pid(), base + Peer.prefix(ROUTES - 1) + "/ws", 1024, 0);
        handshakeCell(round, target, "G-wss-handshakes", r, base);
    }

    /**
     * Unmeasured traffic right after a proxy starts: the same for every peer, and it lets a JIT
     * (Switchyard's JVM) compile the hot paths before the first measured cell, as it would have in
     * a proxy that has been up for more than a few seconds.
     */
    private void prime(Peer.Running r, int routes) throws Exception {
        String url = "ws://127.0.0.1:" + r.port() + Peer.prefix(routes - 1) + "/ws";
        LoadGen.echo(new LoadGen.Options(url, CONNECTIONS, 1024, 0, 0, s.primeMs, 1));
        LoadGen.handshakes(new LoadGen.Options(url, s.handshakeConcurrency, 0, 0, 0, s.primeMs / 2, 1));
        wrk("http://127.0.0.1:" + r.port() + Peer.prefix(routes - 1) + "/hello", 1, work.resolve("wrk.log"));
    }

    private void handshakeCell(int round, String target, String scenario, Peer.Running r, String base) throws Exception {
        retrying(() -> handshakeCellOnce(round, target, scenario, r, base));
    }

    private Map<String, Object> handshakeCellOnce(int round, String target, String scenario, Peer.Running r, String base)
            throws Exception {
        String url = base + Peer.prefix(ROUTES - 1) + "/ws";
        awaitQuiet();
        Sampler sm = new Sampler(r.pid());
        LoadGen.Result res = LoadGen.handshakes(new LoadGen.Options(url, s.handshakeConcurrency, 0, 0, s.warmupMs,
                s.durationMs, 1), sm);
        Map<String, Object> c = cell(round, target, scenario);
        c.put("concurrency", s.handshakeConcurrency);
        c.putAll(JSON.convertValue(res, Map.class));
        sm.into(c, res.messages());
        // In this mode "connectionsOpen" is just the loops alive at the end; it is not a validity signal.
        List<String> f = flags(c);
        if (res.errors() > 0) f.add("INVALID: " + res.errors() + " errors (first: " + res.firstError() + ")");
        if (res.loadCpuCores() >= 0.95) f.add(String.format("load generator CPU saturated (%.0f%%)", res.loadCpuCores() * 100));
        Object busy = c.get("load_core_busy");
        if (busy instanceof Double b && b >= 0.97) f.add(String.format("load core saturated (%.0f%% busy)", b * 100));
        log(String.format("%-10s %-8s %8.0f handshakes/s p99 %6.0fus err %d %s", target, scenario, res.perSecond(),
                res.p99Us(), res.errors(), f));
        return c;
    }

    private void idleCell(int round, String target, Peer.Running r) throws Exception {
        String url = "ws://127.0.0.1:" + r.port() + Peer.prefix(ROUTES - 1) + "/ws";
        Map<String, Object> c = cell(round, target, "D");
        List<Map<String, Object>> points = new ArrayList<>();
        try (LoadGen.IdleTunnels t = new LoadGen.IdleTunnels(url, 1)) {
            Thread.sleep(500);
            long base = Procs.rssTree(r.pid());
            c.put("rss_base_bytes", base);
            for (int level : s.idle) {
                int open = t.growTo(level, 64);
                // Let the proxy finish any lazy work for the last handshakes before sampling RSS.
                Thread.sleep(400);
                long rss = Procs.rssTree(r.pid());
                Map<String, Object> pt = new LinkedHashMap<>();
                pt.put("asked", level);
                pt.put("open", open);
                pt.put("rss_bytes", rss);
                points.add(pt);
                if (open < level) flags(c).add("INVALID: " + open + " of " + level + " tunnels open");
            }
            c.put("errors", t.errors());
            if (t.errors() > 0) flags(c).add("INVALID: " + t.errors() + " errors (first: " + t.firstError() + ")");
        }
        c.put("points", points);
        // Least-squares slope of RSS over open tunnels: bytes one more idle tunnel costs.
        double n = points.size(), sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (Map<String, Object> pt : points) {
            double x = ((Number) pt.get("open")).doubleValue(), y = ((Number) pt.get("rss_bytes")).doubleValue();
            sx += x; sy += y; sxx += x * x; sxy += x * y;
        }
        double slope = n > 1 ? (n * sxy - sx * sy) / (n * sxx - sx * sx) : 0;
        c.put("bytes_per_tunnel", slope);
        flags(c);
        log(String.format("%-10s %-8s %8.0f bytes/tunnel %s", target, "D", slope, points));
    }

    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern P99 = Pattern.compile("\\s99%\\s+([0-9.]+)(us|ms|s)");
    private static final Pattern P50 = Pattern.compile("\\s50%\\s+([0-9.]+)(us|ms|s)");
    private static final Pattern NON2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");
    private static final Pattern SOCKERR = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in");

    private void wrkCell(int round, String target, Peer.Running r) throws Exception {
        retrying(() -> wrkCellOnce(round, target, r));
    }

    private Map<String, Object> wrkCellOnce(int round, String target, Peer.Running r) throws Exception {
        String url = "http://127.0.0.1:" + r.port() + Peer.prefix(ROUTES - 1) + "/hello";
        Path log = work.resolve("wrk.log");
        // Warm-up run, then the measured one.
        wrk(url, Math.max(1, s.warmupMs / 1000), log);
        awaitQuiet();
        Sampler sm = new Sampler(r.pid());
        sm.begin();
        String out = wrk(url, Math.max(1, s.durationMs / 1000), log);
        sm.end();
        Map<String, Object> c = cell(round, target, "E");
        c.put("connections", CONNECTIONS);
        Matcher m = RPS.matcher(out);
        double rps = m.find() ? Double.parseDouble(m.group(1)) : 0;
        c.put("perSecond", rps);
        c.put("p50Us", latencyUs(P50.matcher(out)));
        c.put("p99Us", latencyUs(P99.matcher(out)));
        Matcher t = TOTAL.matcher(out);
        long total = t.find() ? Long.parseLong(t.group(1)) : 0;
        sm.into(c, total);
        long errors = 0;
        Matcher n = NON2XX.matcher(out);
        if (n.find()) errors += Long.parseLong(n.group(1));
        Matcher se = SOCKERR.matcher(out);
        if (se.find()) for (int i = 1; i <= 4; i++) errors += Long.parseLong(se.group(i));
        c.put("errors", errors);
        List<String> f = flags(c);
        if (rps == 0) f.add("INVALID: wrk reported nothing: " + firstLine(out));
        if (errors > 0) f.add("INVALID: " + errors + " errors (non-2xx or socket)");
        Object busy = c.get("load_core_busy");
        if (busy instanceof Double b && b >= 0.97) f.add(String.format("load core saturated (%.0f%% busy)", b * 100));
        log(String.format("%-10s %-8s %8.0f req/s p99 %s us err %d %s", target, "E", rps, c.get("p99Us"), errors, f));
        return c;
    }

    private static Double latencyUs(Matcher m) {
        if (!m.find()) return null;
        double v = Double.parseDouble(m.group(1));
        return switch (m.group(2)) {
            case "us" -> v;
            case "ms" -> v * 1000;
            default -> v * 1_000_000;
        };
    }

    private String wrk(String url, long seconds, Path log) throws Exception {
        Process p = new ProcessBuilder("taskset", "-c", s.loadCpus, "wrk", "-t1", "-c" + CONNECTIONS,
                "-d" + seconds + "s", "--latency", url).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(seconds + 30, TimeUnit.SECONDS);
        Files.writeString(log, out, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        return out;
    }

    /**
     * Scenario F, second half: Switchyard all-in-one under the A 1 KiB load, first without and then
     * with a whole-document {@code PUT /api/v1/config} every {@link Settings#swapEveryMs} ms. Each
     * swap's time-to-effect runs from sending the PUT until {@code GET /status} reports the new
     * {@code applied_version}.
     */
    private void runSwaps(int round) throws Exception {
        Path dir = Files.createDirectories(work.resolve("swap-r" + round));
        int admin = Peer.freePort(), listen = Peer.freePort(), status = Peer.freePort();
        List<String> cmd = new ArrayList<>();
        cmd.add("java");
        cmd.addAll(s.switchyardJvm);
        cmd.addAll(List.of("-jar", s.jar.toString(), "all-in-one", "--admin", "127.0.0.1:" + admin,
                "--listen", "127.0.0.1:" + listen, "--status", "127.0.0.1:" + status,
                "--db", dir.resolve("switchyard.db").toString(), "--state-dir", dir.resolve("state").toString()));
        Path log = dir.resolve("all-in-one.log");
        log("starting switchyard all-in-one for snapshot swaps");
        Process p = Procs.start(s.proxyCpus, cmd, log, null);
        try {
            String api = "http://127.0.0.1:" + admin + "/api/v1/config";
            long end = System.currentTimeMillis() + 60_000;
            HttpResponse<String> put = null;
            while (System.currentTimeMillis() < end && p.isAlive()) {
                try {
                    put = Procs.send("PUT", api, Peer.Switchyard.document(echoPort, ROUTES, null));
                    break;
                } catch (IOException e) {
                    Thread.sleep(100);
                }
            }
            if (put == null || put.statusCode() / 100 != 2) {
                throw new IllegalStateException("PUT /api/v1/config failed: "
                        + (put == null ? "no answer" : put.statusCode() + " " + put.body()) + "; log: "
                        + Peer.tail(Files.readString(log), 800));
            }
            if (!Procs.await200("http://127.0.0.1:" + listen + Peer.prefix(ROUTES - 1) + "/ready", 30_000, p)) {
                throw new IllegalStateException("all-in-one never routed the document; log: " + Peer.tail(Files.readString(log), 800));
            }
            String url = "ws://127.0.0.1:" + listen + Peer.prefix(ROUTES - 1) + "/ws";
            echoCell(round, "switchyard", "F-swap-base", p.pid(), url, 1024, 0);
            Swapper sw = new Swapper(api, "http://127.0.0.1:" + listen);
            Thread t = new Thread(sw, "swapper");
            t.setDaemon(true);
            t.start();
            Map<String, Object> c = echoCell(round, "switchyard", "F-swap", p.pid(), url, 1024, 0);
            sw.stop = true;
            t.join(5000);
            double[] e;
            synchronized (sw.effects) {
                e = sw.effects.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            }
            c.put("swaps", e.length);
            c.put("swap_errors", sw.errors);
            c.put("swap_first_error", sw.firstError);
            if (e.length > 0) {
                c.put("swap_effect_p50_ms", e[e.length / 2]);
                c.put("swap_effect_p99_ms", e[Math.min(e.length - 1, (int) Math.ceil(e.length * 0.99) - 1)]);
                c.put("swap_effect_max_ms", e[e.length - 1]);
            }
            if (sw.errors > 0) flags(c).add("INVALID: " + sw.errors + " swap errors (first: " + sw.firstError + ")");
            log(String.format("swaps: %d, effect p50 %s ms, max %s ms, errors %d", e.length,
                    c.get("swap_effect_p50_ms"), c.get("swap_effect_max_ms"), sw.errors));
        } finally {
            Procs.stop(p, 5000);
        }
    }

    /**
     * PUTs a slightly different whole document every period (one extra route {@code /swapK}) and
     * times how long each takes to take effect on the data path: from sending the PUT until a
     * request to {@code /swapK} is proxied (200) instead of answered 404.
     */
    private final class Swapper implements Runnable {
        final String api, listen;
        final List<Double> effects = new ArrayList<>();
        volatile boolean stop;
        volatile int errors;
        volatile String firstError;

        Swapper(String api, String listen) {
            this.api = api;
            this.listen = listen;
        }

        @Override
        public void run() {
            int k = 0;
            while (!stop) {
                long t0 = System.nanoTime();
                String name = "swap" + (k++);
                try {
                    HttpResponse<String> r = Procs.send("PUT", api, Peer.Switchyard.document(echoPort, ROUTES, name));
                    if (r.statusCode() / 100 != 2) throw new IllegalStateException("PUT answered " + r.statusCode() + " " + r.body());
                    long deadline = t0 + TimeUnit.SECONDS.toNanos(10);
                    while (true) {
                        HttpResponse<String> st = Procs.get(listen + "/" + name + "/x");
                        if (st != null && st.statusCode() == 200) break;
                        if (System.nanoTime() > deadline) throw new IllegalStateException(name + " not routed 10 s after the PUT");
                        Thread.sleep(1);
                    }
                    synchronized (effects) {
                        effects.add((System.nanoTime() - t0) / 1e6);
                    }
                } catch (Exception e) {
                    errors++;
                    if (firstError == null) firstError = e.toString();
                }
                long left = s.swapEveryMs - (System.nanoTime() - t0) / 1_000_000;
                if (left > 0) {
                    try {
                        Thread.sleep(left);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }
    }

    /**
     * Scenario G needs a certificate (a throw-away self-signed ECDSA P-256 one for "localhost",
     * made with the openssl CLI) and Switchyard's --tls-listen; without the latter the peers still
     * run G and Switchyard's column says why it is empty.
     */
    private void setUpTls() {
        Path c = work.resolve("cert.pem"), k = work.resolve("key.pem");
        String out = Procs.output("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", k.toString(), "-out", c.toString(), "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
        if (!Files.isRegularFile(c) || !Files.isRegularFile(k)) {
            note("G (wss): skipped: could not make a test certificate with openssl: " + firstLine(out));
            return;
        }
        cert = c;
        key = k;
        if (s.targets.contains("switchyard")) {
            String help = Procs.output("java", "-jar", s.jar.toString(), "data-plane", "--help");
            switchyardTls = help.contains("--tls-listen");
            if (!switchyardTls) note("G (wss): Switchyard not measured: this build's data-plane has no --tls-listen yet");
        }
        note("G (wss): measured in round 1 only (time budget), so its numbers are single runs, not medians;"
                + " ECDSA P-256 self-signed certificate, TLS 1.3 as negotiated; the load generator's TLS is"
                + " Netty's OpenSSL (BoringSSL) binding on the load core; Switchyard runs twice, with Netty's OpenSSL binding (default) and with"
                + " -Dio.netty.handler.ssl.noOpenSsl=true (JDK TLS, column switchyard-jdk)");
    }
}
