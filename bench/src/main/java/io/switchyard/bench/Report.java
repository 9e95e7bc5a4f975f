package io.switchyard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns the raw results of a run into docs/benchmarks.md (medians over rounds, ratios against each
 * peer, goals, validity flags, machine and configs) and docs/benchmarks.png.
 */
final class Report {
    static final String US = "switchyard";
    static final List<String> PEERS = List.of("nginx", "haproxy", "caddy");
    static final List<String> ALL = List.of("direct", US, "nginx", "haproxy", "caddy");

    private final JsonNode doc;
    /** target -> scenario -> cells of all rounds. */
    private final Map<String, Map<String, List<JsonNode>>> by = new LinkedHashMap<>();
    private final StringBuilder md = new StringBuilder();

    private Report(JsonNode doc) {
        this.doc = doc;
        for (JsonNode c : doc.path("cells")) {
            by.computeIfAbsent(c.path("target").asText(), k -> new LinkedHashMap<>())
                    .computeIfAbsent(c.path("scenario").asText(), k -> new ArrayList<>()).add(c);
        }
    }

    static void write(Path results, Path outDir) throws IOException {
        JsonNode doc = new ObjectMapper().readTree(results.toFile());
        Report r = new Report(doc);
        Files.createDirectories(outDir);
        Files.writeString(outDir.resolve("benchmarks.md"), r.markdown());
        Chart.write(r, outDir.resolve("benchmarks.png"));
    }

    int invalidCells() {
        int n = 0;
        for (JsonNode c : doc.path("cells")) if (invalid(c)) n++;
        return n;
    }

    int totalCells() {
        int n = 0;
        for (JsonNode c : doc.path("cells")) if (!c.path("scenario").asText().startsWith("start")) n++;
        return n;
    }

    static boolean invalid(JsonNode c) {
        for (JsonNode f : c.path("flags")) if (f.asText().startsWith("INVALID")) return true;
        return false;
    }

    /** The rounds of a cell that count: the valid ones, or all of them when none is valid. */
    List<JsonNode> rounds(String target, String scenario) {
        List<JsonNode> cs = by.getOrDefault(target, Map.of()).get(scenario);
        if (cs == null) return null;
        List<JsonNode> valid = cs.stream().filter(c -> !invalid(c)).toList();
        return valid.isEmpty() ? cs : valid;
    }

    /** Median over the valid rounds (see {@link #rounds}) of a numeric field; null when none has it. */
    Double med(String target, String scenario, String field) {
        List<JsonNode> cs = rounds(target, scenario);
        if (cs == null) return null;
        double[] v = cs.stream().map(c -> c.get(field)).filter(n -> n != null && n.isNumber())
                .mapToDouble(JsonNode::asDouble).sorted().toArray();
        if (v.length == 0) return null;
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** Median of RSS at one idle level. */
    Double medIdle(String target, int level) {
        List<JsonNode> cs = rounds(target, "D");
        if (cs == null) return null;
        double[] v = cs.stream().flatMap(c -> {
            List<Double> l = new ArrayList<>();
            for (JsonNode p : c.path("points")) if (p.path("asked").asInt() == level) l.add(p.path("rss_bytes").asDouble());
            return l.stream();
        }).mapToDouble(Double::doubleValue).sorted().toArray();
        if (v.length == 0) return null;
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** Added latency over direct at the same fixed rate. */
    Double added(String target, String field) {
        Double t = med(target, "B", field), d = med("direct", "B", field);
        return t == null || d == null ? null : t - d;
    }

    /** Change of a metric from 10 routes (A-1024) to 100k routes, as a fraction. */
    Double routesChange(String target, String field) {
        Double a = med(target, "A-1024", field), f = med(target, "F-100k", field);
        return a == null || f == null || a == 0 ? null : f / a - 1;
    }

    Double swapChange(String field) {
        Double a = med(US, "F-swap-base", field), f = med(US, "F-swap", field);
        return a == null || f == null || a == 0 ? null : f / a - 1;
    }

    boolean has(String target) {
        return by.containsKey(target) && by.get(target).keySet().stream().anyMatch(k -> !k.startsWith("start") && !k.equals("error"));
    }

    static String num(Double v) {
        if (v == null) return "–";
        double a = Math.abs(v);
        if (a >= 100) return String.format(Locale.ROOT, "%,.0f", v);
        if (a >= 10) return String.format(Locale.ROOT, "%.1f", v);
        return String.format(Locale.ROOT, "%.2f", v);
    }

    static String ratio(Double a, Double b) {
        return a == null || b == null || b == 0 ? "–" : String.format(Locale.ROOT, "%.2fx", a / b);
    }

    static String pct(Double f) {
        return f == null ? "–" : String.format(Locale.ROOT, "%+.1f%%", f * 100);
    }

    static String kib(Double bytes) {
        return bytes == null ? "–" : String.format(Locale.ROOT, "%.1f KiB", bytes / 1024);
    }

    static String mib(Double bytes) {
        return bytes == null ? "–" : String.format(Locale.ROOT, "%.1f MiB", bytes / (1 << 20));
    }

    private void line(String s) {
        md.append(s).append('\n');
    }

    private void row(Object... cells) {
        StringBuilder b = new StringBuilder("|");
        for (Object c : cells) {
            // cellsOf(...) hands over a whole row tail as one array.
            if (c instanceof Object[] more) {
                for (Object m : more) b.append(' ').append(m).append(" |");
            } else {
                b.append(' ').append(c).append(" |");
            }
        }
        line(b.toString());
    }

    private void header(String... cols) {
        row((Object[]) cols);
        String[] sep = new String[cols.length];
        Arrays.fill(sep, "---");
        row((Object[]) sep);
    }

    private String markdown() {
        JsonNode meta = doc.path("meta");
        line("# Benchmarks");
        line("");
        line("Generated by `bench/run.sh` (do not edit by hand; rerun it). Run started " + meta.path("started").asText()
                + ", took " + num(meta.path("elapsed_s").isNumber() ? meta.path("elapsed_s").asDouble() : null)
                + " s; commit `" + meta.path("switchyard_commit").asText() + "`. Every number is the median of "
                + meta.path("rounds").asInt() + " rounds; raw per-round results: `docs/bench-results/latest.json`.");
        line("");
        line("![Switchyard and its peers, normalised to nginx = 1.0 (higher is better)](benchmarks.png)");
        line("");
        boolean us = has(US);
        if (!us) {
            line("> **Switchyard was not measured in this run.** See the notes below; its column is wired and fills in"
                    + " as soon as `dist/switchyard.jar data-plane` runs.");
            line("");
        }
        if (doc.path("notes").size() > 0) {
            line("Notes from the run:");
            line("");
            for (JsonNode n : doc.path("notes")) line("- " + n.asText());
            line("");
        }
        goals();
        ratios();
        tables();
        validity();
        machine();
        return md.toString();
    }

    private void goals() {
        line("## Goals (issue 6)");
        line("");
        header("goal", "measured", "verdict");
        for (String sc : List.of("A-32", "A-1024", "A-16384")) {
            Double r = q(med(US, sc, "perSecond"), med("nginx", sc, "perSecond"));
            goal("A " + sc.substring(2) + " B throughput >= 1.0x nginx", ratioText(r), r == null ? null : r >= 1.0);
        }
        Double c = q(med(US, "C", "perSecond"), med("nginx", "C", "perSecond"));
        goal("C handshakes/s >= 1.0x nginx", ratioText(c), c == null ? null : c >= 1.0);
        Double ours = added(US, "p99Us"), theirs = added("nginx", "p99Us");
        goal("B added p99 <= nginx's", ours == null || theirs == null ? "–"
                : num(ours) + " µs vs " + num(theirs) + " µs", ours == null || theirs == null ? null : ours <= theirs);
        Double d = q(med(US, "D", "bytes_per_tunnel"), med("nginx", "D", "bytes_per_tunnel"));
        goal("D memory per idle tunnel <= 2x nginx's", ratioText(d), d == null ? null : d <= 2.0);
        Double e = q(med(US, "E", "perSecond"), med("nginx", "E", "perSecond"));
        goal("E HTTP keep-alive req/s >= 0.8x nginx", ratioText(e), e == null ? null : e >= 0.8);
        Double f = routesChange(US, "perSecond");
        Double fp = routesChange(US, "p99Us");
        goal("F 100k routes within 5% of 10 routes (throughput, p99)", pct(f) + " / " + pct(fp),
                f == null || fp == null ? null : Math.abs(f) <= 0.05 && fp <= 0.05);
        Double sw = swapChange("p99Us");
        goal("F snapshot swap every 100 ms moves p99 by < 10%", pct(sw), sw == null ? null : Math.abs(sw) < 0.10);
        line("");
    }

    private static Double q(Double a, Double b) {
        return a == null || b == null || b == 0 ? null : a / b;
    }

    private static String ratioText(Double r) {
        return r == null ? "–" : String.format(Locale.ROOT, "%.2fx", r);
    }

    private void goal(String what, String measured, Boolean ok) {
        row(what, measured, ok == null ? "not measured" : ok ? "met" : "**MISSED**");
    }

    private void ratios() {
        line("## Ratios");
        line("");
        line("Switchyard divided by each peer, and each proxy divided by direct (no proxy). For throughput higher is"
                + " better; for latency, CPU and memory lower is better.");
        line("");
        List<String[]> metrics = List.of(
                new String[] {"A-32", "perSecond", "A 32 B msg/s"},
                new String[] {"A-1024", "perSecond", "A 1 KiB msg/s"},
                new String[] {"A-16384", "perSecond", "A 16 KiB msg/s"},
                new String[] {"A-1024", "proxy_cpu_us_per_op", "A 1 KiB proxy CPU µs/msg"},
                new String[] {"B", "p99Us", "B p99 at fixed rate"},
                new String[] {"C", "perSecond", "C handshakes/s"},
                new String[] {"D", "bytes_per_tunnel", "D bytes per idle tunnel"},
                new String[] {"E", "perSecond", "E HTTP req/s"},
                new String[] {"F-100k", "perSecond", "F 100k routes msg/s"});
        header("metric", "ours / nginx", "ours / HAProxy", "ours / Caddy", "ours / direct", "nginx / direct",
                "HAProxy / direct", "Caddy / direct");
        for (String[] m : metrics) {
            Double o = med(US, m[0], m[1]);
            String dsc = m[0].startsWith("F") ? "A-1024" : m[0];
            Double dir = med("direct", dsc, m[1]);
            row(m[2], ratio(o, med("nginx", m[0], m[1])), ratio(o, med("haproxy", m[0], m[1])),
                    ratio(o, med("caddy", m[0], m[1])), ratio(o, dir), ratio(med("nginx", m[0], m[1]), dir),
                    ratio(med("haproxy", m[0], m[1]), dir), ratio(med("caddy", m[0], m[1]), dir));
        }
        line("");
    }

    private void tables() {
        JsonNode meta = doc.path("meta");
        line("## Results (medians)");
        line("");
        line("### A. Echo throughput, " + meta.path("connections").asInt() + " connections, closed loop");
        line("");
        line("Messages per second (each one a round trip through the proxy), the proxy's CPU per message (its"
                + " process tree's user+system time over the window divided by messages: comparable even when the"
                + " load core is the bottleneck) and the closed-loop p99 (service time, no correction needed).");
        line("");
        header("size", "metric", "direct", "switchyard", "nginx", "haproxy", "caddy");
        for (String sc : List.of("A-32", "A-1024", "A-16384")) {
            String size = sc.substring(2) + " B";
            row(size, "msg/s", cellsOf(sc, "perSecond"));
            row(size, "proxy CPU µs/msg", cellsOf(sc, "proxy_cpu_us_per_op"));
            row(size, "proxy CPU (cores)", cellsOf(sc, "proxy_cpu_cores"));
            row(size, "p99 µs", cellsOf(sc, "p99Us"));
        }
        line("");
        line("### B. Latency at a fixed rate (half of direct 1 KiB capacity: " + num(med("direct", "B", "targetRate"))
                + " msg/s), coordinated-omission corrected");
        line("");
        line("Latency runs from when each message was *due*, so a stall is charged for every message it delayed.");
        line("");
        header("target", "p50 µs", "p99 µs", "p99.9 µs", "added p50", "added p99", "added p99.9", "achieved msg/s");
        for (String t : ALL) {
            if (med(t, "B", "p50Us") == null) continue;
            row(t, num(med(t, "B", "p50Us")), num(med(t, "B", "p99Us")), num(med(t, "B", "p999Us")),
                    t.equals("direct") ? "–" : num(added(t, "p50Us")), t.equals("direct") ? "–" : num(added(t, "p99Us")),
                    t.equals("direct") ? "–" : num(added(t, "p999Us")), num(med(t, "B", "perSecond")));
        }
        line("");
        line("### C. New WebSocket handshakes per second (" + meta.path("handshake_concurrency").asInt()
                + " concurrent connect-upgrade-close loops)");
        line("");
        header("metric", "direct", "switchyard", "nginx", "haproxy", "caddy");
        row("handshakes/s", cellsOf("C", "perSecond"));
        row("connect-to-101 p99 µs", cellsOf("C", "p99Us"));
        row("proxy CPU µs/handshake", cellsOf("C", "proxy_cpu_us_per_op"));
        line("");
        line("### D. Idle tunnels: proxy RSS (process tree)");
        line("");
        header("open tunnels", "switchyard", "nginx", "haproxy", "caddy");
        row("0 (after A-C, E)", mib(med(US, "D", "rss_base_bytes")), mib(med("nginx", "D", "rss_base_bytes")),
                mib(med("haproxy", "D", "rss_base_bytes")), mib(med("caddy", "D", "rss_base_bytes")));
        for (JsonNode lv : meta.path("idle_levels")) {
            int l = lv.asInt();
            row(String.format(Locale.ROOT, "%,d", l), mib(medIdle(US, l)), mib(medIdle("nginx", l)),
                    mib(medIdle("haproxy", l)), mib(medIdle("caddy", l)));
        }
        row("**slope per tunnel**", kib(med(US, "D", "bytes_per_tunnel")), kib(med("nginx", "D", "bytes_per_tunnel")),
                kib(med("haproxy", "D", "bytes_per_tunnel")), kib(med("caddy", "D", "bytes_per_tunnel")));
        line("");
        line("The slope is the least-squares fit of RSS over 1k–8k open tunnels. For the JVM read it with its baseline:"
                + " heap pages that earlier traffic already touched are reused by new tunnels without growing RSS, so"
                + " Switchyard's slope is what one more tunnel costs *after* the heap has grown, and its fixed cost is the"
                + " 0-tunnel row (set by -Xms/-Xmx and Netty's pooled buffers), not the slope.");
        line("");
        line("### E. Plain HTTP keep-alive, wrk -t1 -c" + meta.path("connections").asInt());
        line("");
        header("metric", "direct", "switchyard", "nginx", "haproxy", "caddy");
        row("requests/s", cellsOf("E", "perSecond"));
        row("p99 µs (wrk, uncorrected)", cellsOf("E", "p99Us"));
        row("proxy CPU µs/request", cellsOf("E", "proxy_cpu_us_per_op"));
        line("");
        line("### F. 10 vs " + String.format(Locale.ROOT, "%,d", meta.path("big_routes").asInt())
                + " routes (1 KiB echo, match on the last route) and snapshot swaps");
        line("");
        header("metric", "switchyard", "nginx", "haproxy", "caddy");
        row("msg/s, 10 routes", cellsOf("A-1024", "perSecond", List.of(US, "nginx", "haproxy", "caddy")));
        row("msg/s, 100k routes", cellsOf("F-100k", "perSecond", List.of(US, "nginx", "haproxy", "caddy")));
        row("throughput change", pct(routesChange(US, "perSecond")), pct(routesChange("nginx", "perSecond")),
                pct(routesChange("haproxy", "perSecond")), pct(routesChange("caddy", "perSecond")));
        row("p99 change", pct(routesChange(US, "p99Us")), pct(routesChange("nginx", "p99Us")),
                pct(routesChange("haproxy", "p99Us")), pct(routesChange("caddy", "p99Us")));
        row("proxy CPU µs/msg change (robust to load-core noise)", pct(routesChange(US, "proxy_cpu_us_per_op")),
                pct(routesChange("nginx", "proxy_cpu_us_per_op")), pct(routesChange("haproxy", "proxy_cpu_us_per_op")),
                pct(routesChange("caddy", "proxy_cpu_us_per_op")));
        row("start-up to first proxied request, 100k routes (ms)", cellsOf("start-" + meta.path("big_routes").asInt(),
                "start_ms", List.of(US, "nginx", "haproxy", "caddy")));
        row("RSS after start, 100k routes", mibs("start-" + meta.path("big_routes").asInt()));
        line("");
        if (med(US, "F-swap", "perSecond") != null) {
            line("Snapshot swaps (Switchyard all-in-one, `PUT /api/v1/config` of the whole document every "
                    + meta.path("swap_every_ms").asInt() + " ms during the 1 KiB echo load):");
            line("");
            header("metric", "no swaps", "swaps", "change");
            row("msg/s", num(med(US, "F-swap-base", "perSecond")), num(med(US, "F-swap", "perSecond")), pct(swapChange("perSecond")));
            row("p99 µs", num(med(US, "F-swap-base", "p99Us")), num(med(US, "F-swap", "p99Us")), pct(swapChange("p99Us")));
            row("proxy CPU µs/msg (includes the control plane serving the PUTs)", num(med(US, "F-swap-base", "proxy_cpu_us_per_op")),
                    num(med(US, "F-swap", "proxy_cpu_us_per_op")), pct(swapChange("proxy_cpu_us_per_op")));
            row("swap to effect p50 / p99 / max (ms)", "", num(med(US, "F-swap", "swap_effect_p50_ms")) + " / "
                    + num(med(US, "F-swap", "swap_effect_p99_ms")) + " / " + num(med(US, "F-swap", "swap_effect_max_ms")), "");
            row("swaps per run", "", num(med(US, "F-swap", "swaps")), "");
            line("");
        } else {
            line("Snapshot swaps: not measured in this run (needs Switchyard all-in-one).");
            line("");
        }
        line("### G. wss (TLS): 1 KiB echo (" + meta.path("connections").asInt() + " connections) and TLS + WebSocket handshakes");
        line("");
        List<String> g = List.of(US, "switchyard-jdk", "nginx", "haproxy", "caddy");
        if (g.stream().anyMatch(t -> med(t, "G-wss-1024", "perSecond") != null)) {
            header("metric", "switchyard (OpenSSL)", "switchyard (JDK TLS)", "nginx", "haproxy", "caddy");
            row("wss msg/s", cellsOf("G-wss-1024", "perSecond", g));
            row("proxy CPU µs/msg", cellsOf("G-wss-1024", "proxy_cpu_us_per_op", g));
            row("p99 µs", cellsOf("G-wss-1024", "p99Us", g));
            row("TLS handshakes/s", cellsOf("G-wss-handshakes", "perSecond", g));
            row("proxy CPU µs/handshake", cellsOf("G-wss-handshakes", "proxy_cpu_us_per_op", g));
            row("ours (OpenSSL) / peer, msg/s", "", ratio(med(US, "G-wss-1024", "perSecond"), med("switchyard-jdk", "G-wss-1024", "perSecond")),
                    ratio(med(US, "G-wss-1024", "perSecond"), med("nginx", "G-wss-1024", "perSecond")),
                    ratio(med(US, "G-wss-1024", "perSecond"), med("haproxy", "G-wss-1024", "perSecond")),
                    ratio(med(US, "G-wss-1024", "perSecond"), med("caddy", "G-wss-1024", "perSecond")));
            line("");
        }
        for (JsonNode n : doc.path("notes")) {
            if (n.asText().startsWith("G ")) line("- " + n.asText());
        }
        line("");
    }

    private String mibs(String scenario) {
        StringBuilder b = new StringBuilder();
        for (String t : List.of(US, "nginx", "haproxy", "caddy")) {
            if (b.length() > 0) b.append(" | ");
            b.append(mib(med(t, scenario, "rss_bytes")));
        }
        return b.toString();
    }

    private Object[] cellsOf(String scenario, String field) {
        return cellsOf(scenario, field, ALL);
    }

    private Object[] cellsOf(String scenario, String field, List<String> targets) {
        return targets.stream().map(t -> num(med(t, scenario, field))).toArray();
    }

    private void validity() {
        line("## Validity flags");
        line("");
        line("Medians use only the valid rounds of a cell. A round is INVALID when it had errors, fewer connections than"
                + " asked, or other programs on this 2-core machine used a noticeable share of a core while it ran."
                + " \"Load core saturated\" is a warning, not an invalidation: the core running the load generator and the"
                + " echo upstream was busy the whole window, so throughput is a floor on what the proxy can do and the"
                + " proxy-CPU-per-message column is the fair comparison.");
        line("");
        List<String> noValid = new ArrayList<>();
        for (Map.Entry<String, Map<String, List<JsonNode>>> t : by.entrySet()) {
            for (Map.Entry<String, List<JsonNode>> sc : t.getValue().entrySet()) {
                if (!sc.getValue().isEmpty() && sc.getValue().stream().allMatch(Report::invalid)) {
                    noValid.add(t.getKey() + " " + sc.getKey());
                }
            }
        }
        long retried = 0;
        for (JsonNode c : doc.path("cells")) if (c.path("retried").asBoolean(false)) retried++;
        if (retried > 0) {
            line(retried + " cells were measured a second time because other programs used the CPU during the first"
                    + " attempt; the second attempt replaced the first (whatever its outcome).");
            line("");
        }
        if (!noValid.isEmpty()) {
            line("**No valid round (numbers shown for these are not to be quoted):** " + String.join(", ", noValid) + ".");
            line("");
        }
        Map<String, Map<String, Integer>> count = new TreeMap<>();
        for (JsonNode c : doc.path("cells")) {
            for (JsonNode f : c.path("flags")) {
                // Same problem, different numbers: count it once per kind.
                String text = f.asText().replaceAll(" \\(\\d+% busy\\)| \\(\\d+%\\)", "")
                        .replaceAll("used \\d+% of a core", "used part of a core");
                count.computeIfAbsent(c.path("target").asText() + " " + c.path("scenario").asText(), k -> new TreeMap<>())
                        .merge(text, 1, Integer::sum);
            }
        }
        if (count.isEmpty()) line("No cell was flagged.");
        for (Map.Entry<String, Map<String, Integer>> e : count.entrySet()) {
            StringBuilder b = new StringBuilder("- " + e.getKey() + ": ");
            boolean first = true;
            for (Map.Entry<String, Integer> f : e.getValue().entrySet()) {
                if (!first) b.append("; ");
                b.append(f.getKey()).append(" (").append(f.getValue()).append("x)");
                first = false;
            }
            line(b.toString());
        }
        line("");
    }

    private void machine() {
        JsonNode m = doc.path("meta");
        line("## Machine, versions, flags, configs");
        line("");
        header("what", "value");
        for (String k : List.of("cpu", "cores", "memory", "kernel", "java", "nginx", "haproxy", "caddy", "wrk",
                "switchyard_jvm_flags", "transport", "proxy_cpus", "load_cpus", "warmup_ms", "duration_ms",
                "connections", "routes", "big_routes", "tcp_tw_reuse", "open_files_limit")) {
            row(k, "`" + m.path(k).asText().replace("|", "/").replace("\n", " ") + "`");
        }
        line("");
        line("- Every proxy runs one worker on the proxy core (`taskset -c " + m.path("proxy_cpus").asText()
                + "`): nginx `worker_processes 1`, HAProxy `nbthread 1`, Caddy `GOMAXPROCS=1`, Switchyard's JVM sees one"
                + " CPU through the affinity mask. The load generator (this module, Netty epoll, one event loop), the echo"
                + " upstream (Netty, one event loop) and wrk share the other core (`taskset -c " + m.path("load_cpus").asText()
                + "`).");
        line("- Configs: `bench/peers/` (templates the runner fills in; README there explains each choice). Switchyard"
                + " gets the equivalent declarative document (`data-plane --config`), the swap scenario uses `all-in-one`.");
        line("- Scenarios alternate: direct first (B's rate derives from it), then the proxies in an order rotated each"
                + " round; each proxy is started fresh per round, 10 routes for A–E, then restarted with "
                + String.format(Locale.ROOT, "%,d", m.path("big_routes").asInt()) + " routes for F.");
        line("- Requests always target the last route (`/r9/...`, `/r99999/...`). Warm-up " + m.path("warmup_ms").asInt()
                + " ms, then a " + m.path("duration_ms").asInt() + " ms measured window per cell.");
        line("");
    }
}
