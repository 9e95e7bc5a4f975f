package io.switchyard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs every scenario against every target, alternating the proxies inside each round, then
 * re-runs the direct (no proxy) cells that are not at least twice the fastest proxy, and writes
 * the raw results (one JSON document) plus the report. The load itself is the C load generator,
 * pinned with the C echo upstream to the load core; this JVM only starts processes and reads /proc.
 */
final class Runner {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final int[] SIZES = {32, 1024, 16384};
    static final int CONNECTIONS = 64;
    static final int ROUTES = 10;
    /** Foreign CPU (cores) above which a cell is invalid, and below which the machine counts as quiet. */
    static final double FOREIGN_INVALID = 0.10;

    /** Command-line settings; defaults are what the committed report used. */
    static final class Settings {
        int rounds = 3;
        double warmupS = 1;
        double durationS = 3;
        double coldS = 10;
        double primeS = 8;
        /**
         * Rounds that measure direct (no proxy): the load's own ceiling, 3x the fastest proxy under the
         * quota, moves little between rounds; a direct cell below the rule is re-run at the end anyway.
         */
        int directRounds = 1;
        String proxyCpus = "1";
        String loadCpus = "0";
        List<String> targets = List.of("direct", "switchyard", "nginx", "haproxy", "caddy");
        List<String> scenarios = List.of("echo", "handshake", "http", "cold", "idle", "routes", "swap");
        /** Fraction of its core every proxy may use (cgroup v1 CPU quota); 0 = no quota. */
        double proxyQuota = 0.4;
        long quotaPeriodUs = 2500;
        /** Routes in the large-table scenario. */
        int bigRoutes = 100_000;
        /**
         * Proxies run with {@code bigRoutes}: not Caddy by default (with 100,000 handle blocks it took 29 s to
         * start and 1.5 GB RSS on a whole core in a trial here; under the quota that is most of a round).
         */
        List<String> bigTargets = List.of("nginx", "haproxy", "switchyard");
        /** Interval of the snapshot swaps / reloads in the swap scenario. */
        long swapEveryMs = 100;
        /** Fixed rate (ops/s) of the p99 cells, which run without the quota; 16 KiB echo runs at {@code p99Rate16k}. */
        double p99Rate = 10_000;
        double p99Rate16k = 4_000;
        double rateWarmupS = 0.5;
        double rateDurationS = 2;
        /** Unmeasured traffic before the 100,000-route cells and before the swap process's cells. */
        double shortPrimeS = 5;
        int idle = 4000;
        int handshakeConcurrency = 16;
        int directRetries = 2;
        long softDeadlineS = 16 * 60 + 30;
        /** How long in all the run may wait for other programs to leave the CPU, and how many cells it may re-run. */
        long quietWaitS = 180;
        int retries = 40;
        Path repo = Path.of(".").toAbsolutePath().normalize();
        Path jar;
        Path bin;
        Path out;
        Path results;
        List<String> switchyardJvm = List.of("-Xms256m", "-Xmx512m", "-XX:+UseParallelGC", "-XX:-AlwaysPreTouch",
                "-Dorg.slf4j.simpleLogger.log.switchyard.access=warn");

        static Settings parse(String[] args) {
            Settings s = new Settings();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
                String v = args[++i];
                switch (a) {
                    case "--rounds" -> s.rounds = Integer.parseInt(v);
                    case "--warmup-s" -> s.warmupS = Double.parseDouble(v);
                    case "--duration-s" -> s.durationS = Double.parseDouble(v);
                    case "--cold-s" -> s.coldS = Double.parseDouble(v);
                    case "--prime-s" -> s.primeS = Double.parseDouble(v);
                    case "--proxy-cpus" -> s.proxyCpus = v;
                    case "--load-cpus" -> s.loadCpus = v;
                    case "--targets" -> s.targets = List.of(v.split(","));
                    case "--scenarios" -> s.scenarios = List.of(v.split(","));
                    case "--idle" -> s.idle = Integer.parseInt(v);
                    case "--handshake-conns" -> s.handshakeConcurrency = Integer.parseInt(v);
                    case "--direct-retries" -> s.directRetries = Integer.parseInt(v);
                    case "--direct-rounds" -> s.directRounds = Integer.parseInt(v);
                    case "--soft-deadline-s" -> s.softDeadlineS = Long.parseLong(v);
                    case "--quiet-wait-s" -> s.quietWaitS = Long.parseLong(v);
                    case "--retries" -> s.retries = Integer.parseInt(v);
                    case "--proxy-quota" -> s.proxyQuota = Double.parseDouble(v);
                    case "--quota-period-us" -> s.quotaPeriodUs = Long.parseLong(v);
                    case "--big-routes" -> s.bigRoutes = Integer.parseInt(v);
                    case "--big-targets" -> s.bigTargets = List.of(v.split(","));
                    case "--swap-every-ms" -> s.swapEveryMs = Long.parseLong(v);
                    case "--p99-rate" -> s.p99Rate = Double.parseDouble(v);
                    case "--p99-rate-16k" -> s.p99Rate16k = Double.parseDouble(v);
                    case "--repo" -> s.repo = Path.of(v).toAbsolutePath().normalize();
                    case "--jar" -> s.jar = Path.of(v).toAbsolutePath();
                    case "--bin" -> s.bin = Path.of(v).toAbsolutePath();
                    case "--out" -> s.out = Path.of(v).toAbsolutePath();
                    case "--results" -> s.results = Path.of(v).toAbsolutePath();
                    case "--switchyard-jvm" -> s.switchyardJvm = List.of(v.trim().split("\\s+"));
                    default -> throw new IllegalArgumentException("unknown option: " + a
                            + " (expected: --rounds --warmup-s --duration-s --cold-s --prime-s --proxy-cpus --load-cpus"
                            + " --targets --scenarios --idle --handshake-conns --direct-retries --direct-rounds --soft-deadline-s --quiet-wait-s --retries --proxy-quota"
                            + " --quota-period-us --big-routes --big-targets --swap-every-ms --p99-rate --p99-rate-16k --repo"
                            + " --jar --bin --out --results --switchyard-jvm)");
                }
            }
            if (s.jar == null) s.jar = s.repo.resolve("dist/switchyard.jar");
            if (s.bin == null) s.bin = s.repo.resolve("bench/target/c");
            if (s.out == null) s.out = s.repo.resolve("docs");
            if (s.results == null) s.results = s.out.resolve("bench-results/latest.json");
            return s;
        }
    }

    private final Settings s;
    private final List<Map<String, Object>> cells = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final Path work;
    private final CTools tools;
    private CTools.Upstream echo;
    private CpuQuota quota;
    private ControlPlane controlPlane;
    private long quietBudgetMs;
    private boolean waitedLogged;
    private final long started = System.currentTimeMillis();

    Runner(Settings s) throws IOException {
        this.s = s;
        this.work = Files.createTempDirectory("switchyard-bench-");
        this.tools = new CTools(s.bin, s.loadCpus);
        this.quietBudgetMs = s.quietWaitS * 1000;
        this.retriesLeft = s.retries;
    }

    private void log(String msg) {
        System.out.printf("[bench %5.0fs] %s%n", (System.currentTimeMillis() - started) / 1000.0, msg);
        System.out.flush();
    }

    private boolean wants(String scenario) {
        return s.scenarios.contains(scenario);
    }

    /** Runs everything and returns the raw results file. */
    Path run() throws Exception {
        String why = tools.unavailable();
        if (why != null) throw new IllegalStateException(why);
        Map<String, Object> meta = Meta.collect(s);
        CpuQuota.Setup q = CpuQuota.create(CpuQuota.ROOT, "switchyard-bench-" + ProcessHandle.current().pid(), s.proxyQuota, s.quotaPeriodUs);
        quota = q.quota();
        if (quota != null) {
            meta.put("proxy_cpu_quota", quota.describe());
            log("proxy CPU quota: " + quota.describe());
        } else {
            meta.put("proxy_cpu_quota", "none: " + q.unavailable());
            note("no proxy CPU quota: " + q.unavailable() + "; every proxy has its whole core, so cells where the load"
                    + " cannot reach twice the fastest proxy stay invalid");
        }
        echo = tools.startEcho(work.resolve("echo.log"));
        log("echo upstream on 127.0.0.1:" + echo.port() + " (pid " + echo.process().pid() + ", cpus " + s.loadCpus + ")");
        // Run a private copy: colleagues rebuild dist/switchyard.jar while we measure.
        if (Files.isRegularFile(s.jar)) {
            Path copy = work.resolve("switchyard.jar");
            Files.copy(s.jar, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            meta.put("switchyard_jar_sha256", sha256(copy));
            s.jar = copy;
        }
        List<Peer> proxies = new ArrayList<>();
        boolean direct = false;
        for (String t : s.targets) {
            switch (t) {
                case "direct" -> direct = true;
                case "nginx" -> proxies.add(new Peer.Nginx());
                case "haproxy" -> proxies.add(new Peer.Haproxy());
                case "caddy" -> proxies.add(new Peer.Caddy());
                case "switchyard" -> {
                    String no = Meta.switchyardUnavailable(s.jar);
                    if (no == null) proxies.add(new Peer.Switchyard());
                    else note("switchyard: not measured: " + no);
                }
                default -> throw new IllegalArgumentException("unknown target: " + t);
            }
        }
        try {
            long roundStarted = System.currentTimeMillis(), lastRoundMs = 0;
            for (int round = 1; round <= s.rounds; round++) {
                long elapsed = System.currentTimeMillis() - started;
                if (round > 1 && elapsed + lastRoundMs > s.softDeadlineS * 1000L + 60_000) {
                    note(String.format("rounds %d to %d skipped: the run had taken %.0f s and a round %.0f s, which would"
                            + " end past the time budget (other programs' CPU use made cells re-run)", round, s.rounds,
                            elapsed / 1000.0, lastRoundMs / 1000.0));
                    break;
                }
                roundStarted = System.currentTimeMillis();
                log("round " + round + " of " + s.rounds);
                if (direct && round <= s.directRounds) runDirect(round);
                // Each round starts with a different proxy so drift does not always favour the same one.
                for (int k = 0; k < proxies.size(); k++) {
                    Peer p = proxies.get((k + round - 1) % proxies.size());
                    try {
                        runProxy(p, round);
                    } catch (Exception e) {
                        log(p.name + " failed: " + e);
                        Map<String, Object> c = cell(round, p.name, "error");
                        c.put("error", String.valueOf(e.getMessage()));
                        flags(c).add("INVALID: peer failed: " + firstLine(e.getMessage()));
                    }
                }
                writeResults(meta);
                lastRoundMs = System.currentTimeMillis() - roundStarted;
            }
            if (direct) recheckDirect();
        } finally {
            if (controlPlane != null) controlPlane.stop();
            Procs.deleteMemoryDirs();
            Procs.stop(echo.process(), 3000);
            if (quota != null) quota.remove();
        }
        meta.put("elapsed_s", (System.currentTimeMillis() - started) / 1000.0);
        Path raw = writeResults(meta);
        log("raw results: " + raw);
        return raw;
    }

    /**
     * The validity rule: with no proxy the load must reach at least twice the fastest proxy's
     * figure. A direct cell below that is run again (a slow direct round may have been noise);
     * if it stays below, the report marks the whole cell invalid.
     */
    private void recheckDirect() throws Exception {
        for (int attempt = 1; attempt <= s.directRetries && !pastSoftDeadline(); attempt++) {
            Report rep = Report.of(doc(Map.of()));
            List<String> low = rep.loadBoundScenarios();
            if (low.isEmpty()) return;
            log("direct below 2x the fastest proxy in " + low + "; running those direct cells again (" + attempt + ")");
            for (String sc : low) directCell(s.rounds + attempt, sc);
        }
    }

    private void directCell(int round, String scenario) throws Exception {
        scenario = Report.directOf(scenario);
        if (scenario.startsWith("echo-")) {
            echoCell(round, "direct", scenario, -1, echo.port(), "/ws", Integer.parseInt(scenario.substring(5)));
        } else if (scenario.equals("handshake")) {
            loadCell(round, "direct", "handshake", -1, "handshake", echo.port(), "/ws", s.handshakeConcurrency, 0);
        } else if (scenario.equals("http") || scenario.equals("http-browser")) {
            loadCell(round, "direct", scenario, -1, scenario, echo.port(), "/hello", CONNECTIONS, 0);
        }
    }

    static String sha256(Path f) throws IOException {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f));
            return java.util.HexFormat.of().formatHex(d).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Map<String, Object> doc(Map<String, Object> meta) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("meta", meta);
        doc.put("notes", notes);
        doc.put("cells", cells);
        return doc;
    }

    private Path writeResults(Map<String, Object> meta) throws IOException {
        Files.createDirectories(s.results.getParent());
        JSON.writeValue(s.results.toFile(), doc(meta));
        return s.results;
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

    private Map<String, Object> cell(int round, String target, String scenario) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("round", round);
        c.put("target", target);
        c.put("scenario", scenario);
        cells.add(c);
        return c;
    }

    @SuppressWarnings("unchecked")
    static List<String> flags(Map<String, Object> c) {
        return (List<String>) c.computeIfAbsent("flags", k -> new ArrayList<String>());
    }

    /** Samples proxy CPU, both cores' busy time and other programs' CPU around a measured window. */
    private final class Sampler {
        final long proxyPid;
        double proxyCpu0, echoCpu0, proxyCpu, echoCpu;
        long[] load0, proxy0, load1, proxy1, thr0, thr1;
        Map<String, Long> threads0, threads1;
        long t0, t1;
        Map<Long, Long> foreign0, foreign1;

        Sampler(long proxyPid) {
            this.proxyPid = proxyPid;
        }

        void begin() {
            foreign0 = Procs.foreignTicks();
            t0 = System.nanoTime();
            proxyCpu0 = proxyPid > 0 ? Procs.cpuTree(proxyPid) : 0;
            threads0 = proxyPid > 0 ? Procs.threadTicks(proxyPid) : Map.of();
            echoCpu0 = Procs.cpuTree(echo.process().pid());
            load0 = Procs.coreTicks(firstCpu(s.loadCpus));
            proxy0 = Procs.coreTicks(firstCpu(s.proxyCpus));
            thr0 = quota != null && proxyPid > 0 ? quota.throttled() : null;
        }

        void end() {
            t1 = System.nanoTime();
            proxyCpu = proxyPid > 0 ? Procs.cpuTree(proxyPid) - proxyCpu0 : 0;
            threads1 = proxyPid > 0 ? Procs.threadTicks(proxyPid) : Map.of();
            echoCpu = Procs.cpuTree(echo.process().pid()) - echoCpu0;
            load1 = Procs.coreTicks(firstCpu(s.loadCpus));
            proxy1 = Procs.coreTicks(firstCpu(s.proxyCpus));
            foreign1 = Procs.foreignTicks();
            thr1 = thr0 != null ? quota.throttled() : null;
        }

        /**
         * Whole-run figures (warm-up included: /proc has no finer clock than the process's
         * lifetime); CPU per op divides the proxy's CPU over the run by every op in it.
         */
        void into(Map<String, Object> c, long opsInRun) {
            double secs = (t1 - t0) / 1e9;
            c.put("proxy_cpu_cores", proxyPid > 0 ? proxyCpu / secs : null);
            c.put("proxy_cpu_us_per_op", proxyPid > 0 && opsInRun > 0 ? proxyCpu * 1e6 / opsInRun : null);
            // Which of the proxy's threads used that CPU (ms, the three busiest): a JIT compiler or collector busy
            // inside a cell under the quota takes the event loop's share.
            if (proxyPid > 0) c.put("proxy_threads_ms", Procs.busiestThreads(threads0, threads1, 3));
            c.put("echo_cpu_cores", echoCpu / secs);
            c.put("load_core_busy", Procs.busy(load0, load1));
            c.put("proxy_core_busy", Procs.busy(proxy0, proxy1));
            double foreign = Procs.foreignCores(foreign0, foreign1, secs);
            c.put("foreign_cpu_cores", foreign);
            if (thr0 != null) {
                // How often the quota held the proxy back, and for how long in all.
                c.put("throttled_periods", thr1[0] - thr0[0]);
                c.put("throttled_ms", (thr1[1] - thr0[1]) / 1e6);
                c.put("periods", Math.round(secs * 1e6 / quota.periodUs));
            }
            if (foreign >= FOREIGN_INVALID) {
                flags(c).add(String.format("INVALID: other processes used %.0f%% of a core", foreign * 100));
            }
        }
    }

    static int firstCpu(String list) {
        return Integer.parseInt(list.split("[,-]")[0].trim());
    }

    /** Time after which the run stops waiting for quiet and stops retrying, to finish within 20 minutes. */
    private boolean pastSoftDeadline() {
        return System.currentTimeMillis() - started > s.softDeadlineS * 1000L;
    }

    /**
     * Waits (from a run-wide budget) until other programs leave the machine alone: on 2 cores a
     * colleague's build would otherwise be measured as a proxy's slowness.
     */
    private void awaitQuiet() throws InterruptedException {
        while (quietBudgetMs > 0 && !pastSoftDeadline()) {
            Map<Long, Long> a = Procs.foreignTicks();
            long t = System.nanoTime();
            Thread.sleep(500);
            double f = Procs.foreignCores(a, Procs.foreignTicks(), (System.nanoTime() - t) / 1e9);
            if (f < FOREIGN_INVALID) return;
            if (!waitedLogged) log(String.format("other processes use %.0f%% of a core; waiting for a quiet machine", f * 100));
            waitedLogged = true;
            Thread.sleep(500);
            quietBudgetMs -= 1000;
        }
    }

    private interface CellRun {
        Map<String, Object> run() throws Exception;
    }

    private int retriesLeft;

    /** Runs a cell, and once more if other programs' CPU use invalidated it (from a run-wide budget). */
    private Map<String, Object> retrying(CellRun r) throws Exception {
        Map<String, Object> c = r.run();
        for (int attempt = 1; attempt <= 2; attempt++) {
            boolean foreign = flags(c).stream().anyMatch(f -> f.startsWith("INVALID: other processes"));
            if (!foreign || retriesLeft <= 0 || pastSoftDeadline()) break;
            retriesLeft--;
            cells.remove(c);
            log("retrying " + c.get("target") + " " + c.get("scenario") + ": other processes were using the CPU");
            c = r.run();
            c.put("retried", attempt);
        }
        return c;
    }

    private Map<String, Object> echoCell(int round, String target, String scenario, long pid, int port, String path,
                                         int size) throws Exception {
        return loadCell(round, target, scenario, pid, "echo", port, path, CONNECTIONS, size);
    }

    private Map<String, Object> loadCell(int round, String target, String scenario, long pid, String mode, int port,
                                         String path, int conns, int size) throws Exception {
        double warmup = mode.equals("handshake") ? Math.max(s.warmupS, 2) : s.warmupS;
        return retrying(() -> loadCellOnce(round, target, scenario, pid, mode, port, path, conns, size, warmup, s.durationS));
    }

    private Map<String, Object> loadCellOnce(int round, String target, String scenario, long pid, String mode, int port,
                                             String path, int conns, int size, double warmupS, double durationS)
            throws Exception {
        return loadCellOnce(round, target, scenario, pid, mode, port, path, conns, size, warmupS, durationS, 0);
    }

    double rateFor(int size) {
        return size >= 16384 ? s.p99Rate16k : s.p99Rate;
    }

    /**
     * A latency cell: a fixed rate well below what any proxy manages on a whole core, with the quota
     * lifted for the cell, so that p99 shows the proxy's own delay, not queueing in a closed loop nor
     * the quota's throttling. Valid only if the proxy kept up with the rate.
     */
    private Map<String, Object> rateCell(int round, String target, String scenario, long pid, String mode, int port,
                                         String path, int size) throws Exception {
        return retrying(() -> rateCellOnce(round, target, scenario, pid, mode, port, path, size));
    }

    private Map<String, Object> rateCellOnce(int round, String target, String scenario, long pid, String mode, int port,
                                             String path, int size) throws Exception {
        double rate = rateFor(size);
        boolean lifted = quota != null && pid > 0;
        if (lifted) quota.lift();
        Map<String, Object> c;
        try {
            c = loadCellOnce(round, target, scenario, pid, mode, port, path, CONNECTIONS, size, s.rateWarmupS, s.rateDurationS, rate);
        } finally {
            if (lifted) quota.restore();
        }
        c.put("quota", lifted ? "lifted" : "none");
        double got = c.get("per_second") instanceof Number n ? n.doubleValue() : 0;
        if (got < 0.97 * rate) {
            flags(c).add(String.format(Locale.ROOT, "INVALID: fell behind the fixed rate (%.0f of %.0f/s)", got, rate));
        }
        return c;
    }

    private Map<String, Object> loadCellOnce(int round, String target, String scenario, long pid, String mode, int port,
                                             String path, int conns, int size, double warmupS, double durationS, double rate)
            throws Exception {
        if (warmupS > 0) awaitQuiet();
        Sampler sm = new Sampler(pid);
        sm.begin();
        JsonNode res = tools.run(mode, port, path, conns, size, warmupS, durationS, rate);
        sm.end();
        Map<String, Object> c = cell(round, target, scenario);
        c.put("mode", mode);
        c.put("size", size);
        Iterator<Map.Entry<String, JsonNode>> it = res.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().equals("mode") && !e.getKey().equals("size")) c.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class));
        }
        long all = 0;
        for (JsonNode n : res.path("timeline")) all += n.asLong();
        sm.into(c, all);
        List<String> f = flags(c);
        long errors = res.path("errors").asLong();
        if (errors > 0) f.add("INVALID: " + errors + " errors (first: " + res.path("first_error").asText() + ")");
        if (!mode.equals("handshake") && res.path("conns_open").asInt() < conns) {
            f.add("INVALID: " + res.path("conns_open").asInt() + " of " + conns + " connections open at the end");
        }
        if (res.path("ops").asLong() == 0) f.add("INVALID: no completed operation");
        log(String.format("%-10s %-11s %9.0f/s p50 %7.0fus p99 %7.0fus proxy %s us/op, load core %.0f%%, proxy core %.0f%% %s%s",
                target, scenario, res.path("per_second").asDouble(), res.path("p50_us").asDouble(), res.path("p99_us").asDouble(),
                c.get("proxy_cpu_us_per_op") == null ? "-" : String.format("%.1f", (Double) c.get("proxy_cpu_us_per_op")),
                100 * (Double) c.get("load_core_busy"), 100 * (Double) c.get("proxy_core_busy"), f,
                c.get("proxy_threads_ms") == null ? "" : " threads, ms: " + c.get("proxy_threads_ms")));
        return c;
    }

    private void runDirect(int round) throws Exception {
        if (wants("echo")) for (int size : SIZES) directCell(round, "echo-" + size);
        if (wants("http")) directCell(round, "http");
        if (wants("http")) directCell(round, "http-browser");
        // The load's own latency at the p99 cells' fixed rates: the floor under every proxy's p99.
        if (wants("echo")) for (int size : SIZES) rateCell(round, "direct", "p99-echo-" + size, -1, "echo", echo.port(), "/ws", size);
        if (wants("http")) rateCell(round, "direct", "p99-http", -1, "http", echo.port(), "/hello", 0);
        if (wants("handshake")) directCell(round, "handshake");
    }

    private void runProxy(Peer p, int round) throws Exception {
        Path dir = Files.createDirectories(work.resolve(p.name + "-r" + round));
        Peer.Ctx ctx = ctx(dir, null);
        awaitQuiet();
        log("starting " + p.name + " (" + ROUTES + " routes)");
        Peer.Running r = startUnthrottled(p, ctx, ROUTES);
        String prefix = Peer.prefix(ROUTES - 1);
        try {
            // Fresh: right after the first proxied request answered, before any load.
            Thread.sleep(1000);
            Map<String, Object> st = cell(round, p.name, "fresh");
            st.put("start_ms", r.startMs());
            st.put("rss_bytes", Procs.rssTree(r.pid()));
            if (wants("cold")) {
                // Cold: HTTP keep-alive for the first seconds after the proxy answered, no warm-up.
                loadCellOnce(round, p.name, "cold-http", r.pid(), "http", r.port(), prefix + "/hello", CONNECTIONS, 0, 0, s.coldS);
            }
            // Unmeasured traffic on every path, the same for every proxy: a JIT compiles the hot
            // paths here, as it would in a proxy that has been up for a while.
            // (HTTP is already warm from the cold cell; handshakes come last, with a longer warm-up,
            // so that what closed tunnels leave behind in a proxy cannot spill into another cell.)
            // HTTP too: the cold cell ran under the quota, so a JIT has had less than a core for it.
            prime(r, "http", prefix + "/hello", 0, s.primeS / 2);
            prime(r, "echo", prefix + "/ws", 1024, s.primeS / 2);
            if (wants("echo")) for (int size : SIZES) echoCell(round, p.name, "echo-" + size, r.pid(), r.port(), prefix + "/ws", size);
            if (wants("http")) loadCell(round, p.name, "http", r.pid(), "http", r.port(), prefix + "/hello", CONNECTIONS, 0);
            // The same with the head a browser sends to a site it has cookies for (loadgen --browser): per-byte work on heads.
            if (wants("http")) loadCell(round, p.name, "http-browser", r.pid(), "http-browser", r.port(), prefix + "/hello", CONNECTIONS, 0);
            if (wants("echo")) {
                for (int size : SIZES) rateCell(round, p.name, "p99-echo-" + size, r.pid(), "echo", r.port(), prefix + "/ws", size);
            }
            if (wants("http")) rateCell(round, p.name, "p99-http", r.pid(), "http", r.port(), prefix + "/hello", 0);
            if (wants("swap") && p instanceof Peer.Nginx) {
                // The changer rewrites the file from a template with the /swap/N/ location and signals the master.
                Path template = ctx.work().resolve("nginx.conf.swap-template");
                Files.writeString(template, Peer.Nginx.conf(ctx, ROUTES, r.port(), 0).replace("/swap/0/", "/swap/@@N@@/"));
                swapPhase(round, p.name, r, new Swapper() {
                    @Override
                    public List<String> changerArgs() {
                        return List.of("--mode", "nginx", "--template", template.toString(),
                                "--conf", ctx.work().resolve("nginx.conf").toString(), "--pid", Long.toString(r.pid()));
                    }

                    @Override
                    public String verify(long n, long version) throws Exception {
                        // New workers read the last file: its /swap/N/ location answers.
                        return Procs.await200("http://127.0.0.1:" + r.port() + "/swap/" + n + "/ready", 10_000, r.process())
                                ? null : "nginx never served /swap/" + n + "/ after the last reload";
                    }
                }, wants("echo") && wants("http"));
            }
            if (wants("handshake")) {
                // Handshakes take a path of their own (upgrade check, upstream connect, the switch to a tunnel, two
                // closes): primed like the others with the quota lifted, right before their cell, so that a JIT does
                // not compile it inside the measured cell and out of the quota.
                prime(r, "handshake", prefix + "/ws", s.handshakeConcurrency, 0, s.primeS / 4);
                loadCell(round, p.name, "handshake", r.pid(), "handshake", r.port(), prefix + "/ws", s.handshakeConcurrency, 0);
            }
            if (wants("idle")) idleCell(round, p.name, r);
        } finally {
            Procs.stop(r.process(), 5000);
        }
        if (wants("swap") && p instanceof Peer.Switchyard) switchyardSwaps(round);
        if (wants("routes") && s.bigTargets.contains(p.name)) bigTable(p, round);
    }

    /**
     * Unmeasured traffic with the quota lifted: a JIT compiles the hot paths here on a whole core, as
     * it would in a proxy that has been up a while, instead of taking its compile time out of the quota.
     */
    private void prime(Peer.Running r, String mode, String path, int size, double seconds) throws Exception {
        prime(r, mode, path, CONNECTIONS, size, seconds);
    }

    private void prime(Peer.Running r, String mode, String path, int conns, int size, double seconds) throws Exception {
        if (seconds <= 0) return;
        if (quota != null) quota.lift();
        try {
            tools.run(mode, r.port(), path, conns, size, 0, seconds);
        } finally {
            if (quota != null) quota.restore();
        }
    }

    /**
     * Starts a proxy with the quota lifted until it answers: start-up time is shown as it is on a whole
     * core (and nginx's 100,000 locations do not take a round's time to parse); every cell runs with it.
     */
    private Peer.Running startUnthrottled(Peer p, Peer.Ctx ctx, int routes) throws Exception {
        if (quota != null) quota.lift();
        try {
            return p.start(ctx, routes);
        } finally {
            if (quota != null) quota.restore();
        }
    }

    Peer.Ctx ctx(Path dir, String controlPlaneUrl) {
        return new Peer.Ctx(dir, s.repo.resolve("bench/peers"), s.proxyCpus, echo.port(), s.jar, s.switchyardJvm, "java", null,
                quota, controlPlaneUrl);
    }

    /**
     * The large table: the proxy started afresh with {@code bigRoutes} prefix routes, requests to the
     * last one (a linear matcher pays for all of them), HTTP keep-alive, since a WebSocket tunnel looks
     * its route up once, at the handshake. Compared with the 10-route {@code http} cell.
     */
    private void bigTable(Peer p, int round) throws Exception {
        if (pastSoftDeadline()) {
            note(p.name + " round " + round + ": the " + s.bigRoutes + "-route cell was skipped (time budget)");
            return;
        }
        Path dir = Files.createDirectories(work.resolve(p.name + "-r" + round + "-big"));
        awaitQuiet();
        log("starting " + p.name + " (" + s.bigRoutes + " routes)");
        Peer.Running r;
        try {
            r = startUnthrottled(p, ctx(dir, null), s.bigRoutes);
        } catch (Exception e) {
            Map<String, Object> c = cell(round, p.name, "http-big");
            flags(c).add("INVALID: did not start with " + s.bigRoutes + " routes: " + firstLine(e.getMessage()));
            log(p.name + " with " + s.bigRoutes + " routes failed: " + firstLine(e.getMessage()));
            return;
        }
        try {
            Thread.sleep(1000);
            Map<String, Object> st = cell(round, p.name, "fresh-big");
            st.put("start_ms", r.startMs());
            st.put("rss_bytes", Procs.rssTree(r.pid()));
            String path = Peer.prefix(s.bigRoutes - 1) + "/hello";
            prime(r, "http", path, 0, s.shortPrimeS);
            loadCell(round, p.name, "http-big", r.pid(), "http", r.port(), path, CONNECTIONS, 0);
            rateCell(round, p.name, "p99-http-big", r.pid(), "http", r.port(), path, 0);
        } finally {
            Procs.stop(r.process(), 5000);
        }
    }

    /**
     * How the changer ({@code bench/c/changer.c}) changes a proxy's running configuration, and the check that the
     * last change took effect.
     */
    interface Swapper {
        /** The changer's mode arguments (without --every-ms, --duration, --start). */
        List<String> changerArgs();

        /** Null when change {@code n} (which made {@code version}, where the proxy has versions) is what the proxy serves now, else why not. */
        String verify(long n, long version) throws Exception;
    }

    private int swapSeq;

    /**
     * The swap scenario on one running proxy: echo 32 B and HTTP keep-alive, each without changes
     * and then with a configuration change every {@code swapEveryMs}, back to back in the same process.
     */
    private void swapPhase(int round, String target, Peer.Running r, Swapper sw, boolean baseMeasured) throws Exception {
        String path = Peer.prefix(ROUTES - 1);
        // The base is the same fixed-rate load without changes, in the same process: the p99 cells just
        // measured when this process ran them (nginx), else cells of its own (swap-base-*).
        if (!baseMeasured) rateCell(round, target, "swap-base-echo-32", r.pid(), "echo", r.port(), path + "/ws", 32);
        swapCell(round, target, "swap-echo-32", r, r.pid(), r.port(), "echo", path + "/ws", 32, sw);
        if (!baseMeasured) rateCell(round, target, "swap-base-http", r.pid(), "http", r.port(), path + "/hello", 0);
        swapCell(round, target, "swap-http", r, r.pid(), r.port(), "http", path + "/hello", 0, sw);
        // The instrument under the same changes: the load generator straight to the echo upstream while this proxy's
        // change machinery runs. Its p99 against the direct p99 cells without changes shows whether the changes
        // disturb the load side (they must not: the changer and the proxy both run on the proxy core).
        swapCell(round, target, "swap-direct-echo-32", r, -1, echo.port(), "echo", "/ws", 32, sw);
        swapCell(round, target, "swap-direct-http", r, -1, echo.port(), "http", "/hello", 0, sw);
    }

    private Map<String, Object> swapCell(int round, String target, String scenario, Peer.Running r, long pid, int port, String mode,
                                         String path, int size, Swapper sw) throws Exception {
        return retrying(() -> {
            awaitQuiet();
            long start = swapSeq + 1;
            Path log = work.resolve("changer-" + target + "-" + scenario + "-r" + round + "-" + start + ".log");
            List<String> args = new ArrayList<>(sw.changerArgs());
            args.addAll(List.of("--every-ms", Long.toString(s.swapEveryMs), "--start", Long.toString(start),
                    "--duration", Double.toString(s.rateWarmupS + s.rateDurationS + 0.2)));
            // The changes come from the proxy core, never the load core where latency is timed.
            Process changer = tools.startChanger(s.proxyCpus, args, log);
            Map<String, Object> c;
            try {
                c = rateCellOnce(round, target, scenario, pid, mode, port, path, size);
            } finally {
                if (!changer.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) Procs.stop(changer, 1000);
            }
            JsonNode res = CTools.changerResult(log);
            long made = res == null ? 0 : res.path("changes").asLong();
            swapSeq = (int) Math.max(swapSeq, res == null ? swapSeq : res.path("last").asLong());
            double spanMs = res == null ? Double.NaN : res.path("span_ms").asDouble();
            c.put("swaps", made);
            c.put("swap_every_ms", s.swapEveryMs);
            c.put("swap_driver", "bench/c/changer on cpus " + s.proxyCpus);
            double every = made == 0 ? Double.NaN : spanMs / made;
            c.put("swap_interval_ms", made == 0 ? null : every);
            if (res != null) {
                c.put("swap_call_ms_p50", res.path("call_ms_p50").asDouble());
                c.put("swap_call_ms_max", res.path("call_ms_max").asDouble());
            }
            if (res == null) flags(c).add("INVALID: the changer printed no result (" + Peer.tail(Files.readString(log), 300) + ")");
            else if (res.path("errors").asLong() > 0) flags(c).add("INVALID: changer: " + res.path("first_error").asText());
            else if (made == 0 || every > 1.5 * s.swapEveryMs) {
                flags(c).add(String.format(Locale.ROOT, "INVALID: %d swaps in %.0f ms, not one every %d ms", made, spanMs, s.swapEveryMs));
            } else {
                String why = sw.verify(res.path("last").asLong(), res.path("last_version").asLong());
                if (why != null) flags(c).add("INVALID: " + why);
            }
            log(String.format(Locale.ROOT, "%-10s %-11s %d swaps, one every %.0f ms (call p50 %.1f ms) %s", target, scenario,
                    made, every, res == null ? Double.NaN : res.path("call_ms_p50").asDouble(), flags(c)));
            return c;
        });
    }

    /**
     * Switchyard's swap scenario: a data plane that takes its snapshots from a control plane over
     * the fleet channel (the control plane runs on the proxy core, outside the quota); each change is
     * an admin API write of one route, which makes a new version and a new routing table on the node.
     */
    private void switchyardSwaps(int round) throws Exception {
        if (pastSoftDeadline()) {
            note("switchyard round " + round + ": the swap cells were skipped (time budget)");
            return;
        }
        if (controlPlane == null) {
            // On the proxy core, like the changer that writes to it: nothing of the change traffic runs where latency is timed.
            controlPlane = ControlPlane.start(s.jar, s.switchyardJvm, s.proxyCpus, work.resolve("control-plane"));
            log("control plane on " + controlPlane.base + " (cpus " + s.proxyCpus + ")");
        }
        long v0 = controlPlane.putConfig(Peer.Switchyard.document(echo.port(), ROUTES));
        Path dir = Files.createDirectories(work.resolve("switchyard-r" + round + "-swap"));
        awaitQuiet();
        log("starting switchyard (fleet node of the control plane, config version " + v0 + ")");
        Peer.Running r = startUnthrottled(new Peer.Switchyard(), ctx(dir, controlPlane.base), ROUTES);
        try {
            String path = Peer.prefix(ROUTES - 1);
            // The same unmeasured traffic the 10-route process had before its cells.
            prime(r, "http", path + "/hello", 0, s.shortPrimeS);
            prime(r, "echo", path + "/ws", 1024, s.primeS - s.shortPrimeS);
            // The route the changer rewrites exists before the first change (the changer only PUTs it).
            controlPlane.putRoute("swap", "/swap/0", "echo");
            swapPhase(round, "switchyard", r, new Swapper() {
                @Override
                public List<String> changerArgs() {
                    return List.of("--mode", "put", "--port", Integer.toString(controlPlane.port()));
                }

                @Override
                public String verify(long n, long version) throws Exception {
                    if (!controlPlane.awaitApplied("bench", version, 10_000)) return "the node never applied version " + version;
                    return Procs.await200("http://127.0.0.1:" + r.port() + "/swap/" + n + "/ready", 10_000, r.process())
                            ? null : "switchyard never served /swap/" + n + "/ after version " + version;
                }
            }, false);
        } finally {
            Procs.stop(r.process(), 5000);
        }
    }

    private void idleCell(int round, String target, Peer.Running r) throws Exception {
        Map<String, Object> c = cell(round, target, "idle");
        c.put("asked", s.idle);
        long before = Procs.rssTree(r.pid());
        try (CTools.Idle t = tools.idle(r.port(), Peer.prefix(ROUTES - 1) + "/ws", s.idle, 600)) {
            // Let the proxy finish any lazy work for the last handshakes before sampling RSS.
            Thread.sleep(1000);
            c.put("rss_before_bytes", before);
            c.put("rss_bytes", Procs.rssTree(r.pid()));
            c.put("open", t.open());
            c.put("errors", t.opened.path("errors").asLong());
            if (t.open() < s.idle) {
                flags(c).add("INVALID: " + t.open() + " of " + s.idle + " tunnels open (first error: "
                        + t.opened.path("first_error").asText() + ")");
            }
            c.put("bytes_per_tunnel", t.open() > 0 ? (Procs.rssTree(r.pid()) - before) / (double) t.open() : null);
        }
        flags(c);
        log(String.format("%-10s %-11s %d tunnels: RSS %.1f MiB (was %.1f MiB) %s", target, "idle", c.get("open"),
                ((Number) c.get("rss_bytes")).doubleValue() / 1048576, before / 1048576.0, c.get("flags")));
    }
}
