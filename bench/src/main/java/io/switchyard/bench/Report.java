package io.switchyard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns the raw results of a run into docs/benchmarks.md and docs/benchmarks.png: medians over
 * the valid rounds, the proxy-bound rule (direct at least twice the fastest proxy, or the cell is
 * invalid and shows no number), goals, "where we lose", cold versus steady, and the machine.
 */
final class Report {
    static final String US = "switchyard";
    static final List<String> PEERS = List.of("nginx", "haproxy", "caddy");
    static final List<String> PROXIES = List.of("nginx", "haproxy", "caddy", US);
    static final Map<String, String> NAMES = Map.of("direct", "direct", "nginx", "nginx", "haproxy", "HAProxy",
            "caddy", "Caddy", US, "Switchyard");
    /** How much faster than the fastest proxy the load must be with no proxy for a cell to count. */
    static final double MIN_DIRECT_FACTOR = 2.0;

    enum Kind { RATE, LATENCY, MEMORY }

    /**
     * A headline row. {@code loadScenario} is the direct scenario that proves the cell proxy-bound
     * (null: the row does not depend on the load, like RSS).
     */
    record Row(String label, String scenario, String field, Kind kind, String loadScenario) {
        boolean higherIsBetter() {
            return kind == Kind.RATE;
        }
    }

    static final List<Row> ROWS = List.of(
            new Row("echo 32 B, 64 conns (msg/s)", "echo-32", "per_second", Kind.RATE, "echo-32"),
            new Row("echo 1 KiB (msg/s)", "echo-1024", "per_second", Kind.RATE, "echo-1024"),
            new Row("echo 16 KiB (msg/s)", "echo-16384", "per_second", Kind.RATE, "echo-16384"),
            new Row("p99 at 32 B (fixed rate, no quota)", "p99-echo-32", "p99_us", Kind.LATENCY, null),
            new Row("p99 at 1 KiB (fixed rate, no quota)", "p99-echo-1024", "p99_us", Kind.LATENCY, null),
            new Row("p99 at 16 KiB (fixed rate, no quota)", "p99-echo-16384", "p99_us", Kind.LATENCY, null),
            new Row("handshakes/s (16 loops)", "handshake", "per_second", Kind.RATE, "handshake"),
            new Row("HTTP keep-alive req/s (64 conns)", "http", "per_second", Kind.RATE, "http"),
            new Row("HTTP keep-alive, a browser's 960-byte head (req/s)", "http-browser", "per_second", Kind.RATE, "http-browser"),
            new Row("HTTP cold: first 10 s after start (req/s)", "cold-http", "per_second", Kind.RATE, "http"),
            new Row("RSS, fresh process", "fresh", "rss_bytes", Kind.MEMORY, null),
            new Row("RSS with 4,000 idle tunnels", "idle", "rss_bytes", Kind.MEMORY, null));

    static final List<String> LOAD_SCENARIOS = List.of("echo-32", "echo-1024", "echo-16384", "handshake", "http", "http-browser");

    /** The headline row of {@code scenario}. */
    static Row row(String scenario) {
        for (Row r : ROWS) if (r.scenario().equals(scenario)) return r;
        throw new IllegalArgumentException("no row for " + scenario);
    }

    /** The scale and change scenarios; each is held to the proxy-bound rule against its direct scenario. */
    static final List<String> EXTRA_SCENARIOS = List.of("http-big");

    /** The direct (no proxy) scenario that proves a scenario proxy-bound. */
    static String directOf(String scenario) {
        if (scenario.endsWith("echo-32")) return "echo-32";
        if (scenario.equals("http-big") || scenario.endsWith("-http")) return "http";
        return scenario;
    }

    static final Row HTTP_10 = new Row("HTTP keep-alive req/s, 10 routes", "http", "per_second", Kind.RATE, "http");
    static final Row HTTP_BIG = new Row("HTTP keep-alive req/s, 100,000 routes", "http-big", "per_second", Kind.RATE, "http");
    static final Row P99_10 = new Row("HTTP p99, 10 routes", "p99-http", "p99_us", Kind.LATENCY, null);
    static final Row P99_BIG = new Row("HTTP p99, 100,000 routes", "p99-http-big", "p99_us", Kind.LATENCY, null);

    private final JsonNode doc;
    /** target -> scenario -> cells of all rounds. */
    private final Map<String, Map<String, List<JsonNode>>> by = new LinkedHashMap<>();

    private Report(JsonNode doc) {
        this.doc = doc;
        for (JsonNode c : doc.path("cells")) {
            by.computeIfAbsent(c.path("target").asText(), k -> new LinkedHashMap<>())
                    .computeIfAbsent(c.path("scenario").asText(), k -> new ArrayList<>()).add(c);
        }
    }

    static Report of(Object results) {
        return new Report(new ObjectMapper().valueToTree(results));
    }

    static void write(Path results, Path outDir) throws IOException {
        Report r = new Report(new ObjectMapper().readTree(results.toFile()));
        Files.createDirectories(outDir);
        Files.writeString(outDir.resolve("benchmarks.md"), r.markdown());
        Chart.write(r, outDir.resolve("benchmarks.png"));
    }

    static boolean invalid(JsonNode c) {
        for (JsonNode f : c.path("flags")) if (f.asText().startsWith("INVALID")) return true;
        return false;
    }

    boolean has(String target) {
        return by.containsKey(target);
    }

    /** The valid rounds of a cell; empty when it ran but none is valid; null when it never ran. */
    List<JsonNode> rounds(String target, String scenario) {
        List<JsonNode> cs = by.getOrDefault(target, Map.of()).get(scenario);
        if (cs == null) return null;
        return cs.stream().filter(c -> !invalid(c)).toList();
    }

    /** Median over the valid rounds of a numeric field; null when there is none. */
    Double med(String target, String scenario, String field) {
        List<JsonNode> cs = rounds(target, scenario);
        if (cs == null) return null;
        double[] v = cs.stream().map(c -> c.get(field)).filter(n -> n != null && n.isNumber())
                .mapToDouble(JsonNode::asDouble).sorted().toArray();
        if (v.length == 0) return null;
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** True when every INVALID flag of the cell is about other programs' CPU use. */
    static boolean onlyForeign(JsonNode c) {
        boolean any = false;
        for (JsonNode f : c.path("flags")) {
            if (!f.asText().startsWith("INVALID")) continue;
            if (!f.asText().startsWith("INVALID: other processes")) return false;
            any = true;
        }
        return any;
    }

    /**
     * Median proxy CPU per operation: over the valid rounds, or (marked approximate) over rounds
     * that were invalid only because other programs used the CPU: the proxy's own CPU time per
     * operation moves much less under such contention than its throughput does.
     */
    record Cost(double value, boolean approximate) {
    }

    Cost cost(String target, String scenario) {
        Double v = med(target, scenario, "proxy_cpu_us_per_op");
        if (v != null) return new Cost(v, false);
        List<JsonNode> cs = by.getOrDefault(target, Map.of()).get(scenario);
        if (cs == null) return null;
        double[] a = cs.stream().filter(Report::onlyForeign).map(c -> c.get("proxy_cpu_us_per_op"))
                .filter(n -> n != null && n.isNumber()).mapToDouble(JsonNode::asDouble).sorted().toArray();
        if (a.length == 0) return null;
        return new Cost(a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2, true);
    }

    /** The proxy with the highest median throughput in a scenario, or null. */
    String fastest(String scenario) {
        String best = null;
        double bv = -1;
        for (String p : PROXIES) {
            Double v = med(p, scenario, "per_second");
            if (v != null && v > bv) {
                bv = v;
                best = p;
            }
        }
        return best;
    }

    /** Direct throughput over the fastest proxy's in the same scenario; null if either is missing. */
    Double directFactor(String scenario) {
        String f = fastest(scenario);
        Double d = med("direct", directOf(scenario), "per_second");
        if (f == null || d == null) return null;
        return d / med(f, scenario, "per_second");
    }

    /** Scenarios where the load with no proxy did not reach twice the fastest proxy. */
    List<String> loadBoundScenarios() {
        List<String> out = new ArrayList<>();
        List<String> all = new ArrayList<>(LOAD_SCENARIOS);
        all.addAll(EXTRA_SCENARIOS);
        for (String sc : all) {
            Double f = directFactor(sc);
            List<JsonNode> d = rounds("direct", directOf(sc));
            // Below 2x the fastest proxy, or no valid direct round at all (other programs' CPU use).
            if (((f != null && f < MIN_DIRECT_FACTOR) || (d != null && d.isEmpty())) && !out.contains(directOf(sc))) {
                out.add(directOf(sc));
            }
        }
        return out;
    }

    /** Why a row's numbers cannot be quoted (load-bound), or null when they can. */
    String loadBoundWhy(Row row) {
        if (row.loadScenario() == null) return null;
        Double d = med("direct", row.loadScenario(), "per_second");
        String f = fastest(row.scenario());
        if (d == null) return "no valid direct (no proxy) run to prove the load can outrun the proxies";
        if (f == null) return null;
        double fv = med(f, row.scenario(), "per_second");
        double factor = d / fv;
        if (factor >= MIN_DIRECT_FACTOR) return null;
        return String.format(Locale.ROOT, "load-bound: with no proxy the load reached %s/s, only %.2fx the fastest proxy (%s, %s/s); the rule is %.0fx",
                num(d), factor, NAMES.get(f), num(fv), MIN_DIRECT_FACTOR);
    }

    /** A row's value for a target, or null when not measured, invalid or load-bound. */
    Double value(Row row, String target) {
        if (loadBoundWhy(row) != null) return null;
        return med(target, row.scenario(), row.field());
    }

    /** Best peer (not Switchyard) of a row, by its own direction; null if none has a value. */
    String bestPeer(Row row) {
        String best = null;
        Double bv = null;
        for (String p : PEERS) {
            Double v = value(row, p);
            if (v == null) continue;
            if (bv == null || (row.higherIsBetter() ? v > bv : v < bv)) {
                bv = v;
                best = p;
            }
        }
        return best;
    }

    /** Switchyard over the best peer; for rates higher is better, for latency and memory lower is. */
    Double vsBest(Row row) {
        String b = bestPeer(row);
        Double ours = value(row, US);
        if (b == null || ours == null || value(row, b) == 0) return null;
        return ours / value(row, b);
    }

    static String secs(double v) {
        return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    static String num(double v) {
        if (v >= 100_000) return String.format(Locale.ROOT, "%.0fk", v / 1000);
        if (v >= 10_000) return String.format(Locale.ROOT, "%.1fk", v / 1000);
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    static String fmt(Row row, double v) {
        return switch (row.kind()) {
            case RATE -> num(v);
            case LATENCY -> v >= 1000 ? String.format(Locale.ROOT, "%.2f ms", v / 1000) : String.format(Locale.ROOT, "%.0f µs", v);
            case MEMORY -> String.format(Locale.ROOT, "%.0f MB", v / 1e6);
        };
    }

    private String cellText(Row row, String target) {
        if (target.equals("direct") && (row.kind() == Kind.MEMORY || row.scenario().equals("cold-http"))) return "–";
        List<JsonNode> rs = rounds(target, row.scenario());
        if (rs == null) return "not run";
        if (rs.isEmpty()) return "invalid";
        if (!target.equals("direct") && loadBoundWhy(row) != null) return "invalid";
        Double v = med(target, row.scenario(), row.field());
        return v == null ? "–" : fmt(row, v);
    }

    private String ratioText(Row row) {
        Double r = vsBest(row);
        if (r == null) return loadBoundWhy(row) != null ? "invalid" : "–";
        String peer = NAMES.get(bestPeer(row));
        if (row.higherIsBetter()) return String.format(Locale.ROOT, "%.2fx %s", r, peer);
        return r <= 1 ? String.format(Locale.ROOT, "%.2fx %s (better)", r, peer)
                : String.format(Locale.ROOT, "%.2fx %s (worse)", r, peer);
    }

    String markdown() {
        StringBuilder md = new StringBuilder();
        JsonNode meta = doc.path("meta");
        md.append("# Benchmarks\n\n");
        md.append("Generated by `bench/run.sh` from `docs/bench-results/latest.json` (do not edit by hand; rerun it). Run started ")
                .append(meta.path("started").asText("?")).append(", took ").append(String.format(Locale.ROOT, "%.0f", meta.path("elapsed_s").asDouble()))
                .append(" s; commit `").append(meta.path("switchyard_commit").asText("?")).append("`. Every number is the median of the valid rounds (")
                .append(meta.path("rounds").asInt()).append(" rounds, proxies alternating).\n\n");
        md.append("![Switchyard and its peers relative to nginx = 1.0, higher is better](benchmarks.png)\n\n");
        md.append("## How it is measured\n\n");
        md.append("- **Load**: a C epoll load generator (`bench/c/loadgen.c`, one thread) and a C epoll echo upstream (`bench/c/echo.c`, one thread, WebSocket echo and HTTP/1.1 keep-alive), both built by `run.sh` with `gcc -O2` and pinned to core ")
                .append(meta.path("load_cpus").asText("0")).append(". Each proxy runs one worker pinned to core ").append(meta.path("proxy_cpus").asText("1"))
                .append(". Access logs are off everywhere.\n");
        md.append("- **Closed loop**: every connection has one message in flight and sends the next when the answer is complete (WebSocket: masked binary frames, the echo is compared byte for byte; HTTP: `GET` answered `200`, with a bare head of request line and `Host`, or in the browser row the 960-byte head Chromium sends to a site it has cookies for: client hints, `Accept*`, `Sec-Fetch-*`, `Referer`, a 330-byte `Cookie`). Latency percentiles come from a log-linear histogram (64 sub-buckets per power of two, under 1.6% error).\n");
        md.append("- **Direct** is the same load generator talking to the same echo upstream with no proxy, both still on the load core. It is the load side's own ceiling in exactly the placement the proxied runs have, so it shows whether the load core could have gone faster than what a proxy got. " + (meta.path("direct_rounds").asInt(meta.path("rounds").asInt()) >= meta.path("rounds").asInt() ? "It runs in every round."
                : "It runs in the first " + meta.path("direct_rounds").asInt() + " of the " + meta.path("rounds").asInt() + " rounds (`--direct-rounds`; the load's ceiling moves little), and again at the end for any scenario where it was below the rule.") + "\n");
        md.append(String.format(Locale.ROOT, "- **Proxy-bound rule**: a cell counts only if direct reached at least %.0fx the fastest proxy's figure. A direct run below that is run again; if it stays below, the cell shows *invalid* and no number (the raw file keeps them).%n", MIN_DIRECT_FACTOR));
        String quota = meta.path("proxy_cpu_quota").asText("");
        if (quota.startsWith("none") || quota.isEmpty()) {
            md.append("- **CPU quota**: none in this run (").append(quota.isEmpty() ? "not recorded" : quota.substring(quota.indexOf(':') + 1).trim())
                    .append("): every proxy had its whole core, so a cell counts only where the load still reached twice the fastest proxy.\n");
        } else {
            md.append("- **CPU quota**: every proxy, peers and Switchyard alike, runs inside the same CPU quota: ").append(quota)
                    .append(". Why: on this 2-core machine one core of C load does, per round trip, the same kernel work a minimal proxy does (the load generator and the upstream each send and receive once; the proxy receives and sends twice), so with whole cores the load reached only 1.1 to 1.5x the fastest proxy and no throughput cell could pass the proxy-bound rule. Holding every proxy to the same fraction of its core makes the load core at least twice as fast as any of them, and ranks the proxies by what each does with an equal CPU budget, which is the comparison the rule is there to protect. The short period keeps throttling fine-grained: a proxy that used up its quota waits at most the rest of the period (the raw file counts throttled periods per cell). Throughput under the quota is what a proxy does with that share of a core, the same share for all; latency under it includes those waits for every proxy alike, which is why p99 has cells of its own without the quota (below).\n");
        }
        md.append(String.format(Locale.ROOT, "- **Steady state**: each cell runs %s s of warm-up (handshakes: %s s) and then %s s measured, after the proxy has already served %.0f s of cold HTTP and %.0f s of unmeasured HTTP and 1 KiB echo (half each, with the quota lifted so that a JIT compiles on a whole core); the handshake cell comes after %.0f s of unmeasured handshakes, also with the quota lifted. Order per proxy: fresh RSS, cold HTTP, echo 32 B / 1 KiB / 16 KiB, HTTP, HTTP with a browser's head, the p99 cells, the changes every 100 ms (nginx), handshakes, idle tunnels; then, in processes of their own, Switchyard's changes every 100 ms and the 100,000-route cells. **Cold**: HTTP keep-alive for the first %.0f s after the proxy first answered (start-up time not included, shown apart), under the quota like the steady cells: a JIT that is still compiling does so inside the same quota (cold without a quota is in `bench/JVM-TUNING.md`).%n",
                secs(meta.path("warmup_s").asDouble()), secs(Math.max(meta.path("warmup_s").asDouble(), 2)), secs(meta.path("duration_s").asDouble()),
                meta.path("cold_s").asDouble(), meta.path("prime_s").asDouble(), meta.path("prime_s").asDouble() / 4, meta.path("cold_s").asDouble()));
        md.append(String.format(Locale.ROOT, "- **p99** comes from its own cells: the same 64 connections send a fixed %s msg/s in all (16 KiB: %s), each message due on a schedule and its latency counted from when it was due (a proxy that stalls is charged for what it held back), %s for the cell (%s). That rate is far below what any proxy does on a whole core, so p99 is the proxy's own delay: neither the queue of a closed loop (64 messages in flight at saturation) nor the quota's throttling, which in the closed-loop cells adds waits of up to a period to every proxy alike (their p99 is in the raw file). A cell where the proxy fell behind the rate is invalid; *direct* in the p99 rows is the load's own latency at the same rate.%n",
                String.format(Locale.ROOT, "%,.0f", meta.path("p99_rate").asDouble(10_000)), String.format(Locale.ROOT, "%,.0f", meta.path("p99_rate_16k").asDouble(4_000)),
                quota.startsWith("none") || quota.isEmpty() ? "on the proxy's whole core" : "with the CPU quota lifted",
                meta.path("p99_cell_s").asText("0.5 warm-up + 2 measured") + " s"));
        md.append("- **RSS** is the proxy's process tree from `/proc/PID/status` (VmRSS, nginx master and worker summed): fresh is 1 s after it first answered, before any load; idle is with 4,000 WebSocket tunnels open and quiet, after the other cells.\n");
        md.append("- **Quiet machine**: CPU used by other programs is sampled around each cell; a cell where they used 10% of a core or more is re-run once and otherwise invalid.\n\n");

        if (!has(US)) {
            md.append("**Switchyard was not measured in this run.**\n\n");
        }
        for (JsonNode n : doc.path("notes")) md.append("- ").append(n.asText()).append('\n');
        if (doc.path("notes").size() > 0) md.append('\n');

        String q = meta.path("proxy_cpu_quota").asText("");
        md.append(q.isEmpty() || q.startsWith("none") ? "## Headline (steady state, one core each)\n\n"
                : "## Headline (steady state; rates within the same CPU quota, p99 at a fixed rate without it)\n\n");
        md.append("| scenario | direct | nginx | HAProxy | Caddy | Switchyard | Switchyard vs best peer |\n");
        md.append("| --- | --- | --- | --- | --- | --- | --- |\n");
        for (Row row : ROWS) {
            md.append("| ").append(row.label());
            md.append(" | ").append(cellText(row, "direct"));
            for (String p : PROXIES) md.append(" | ").append(cellText(row, p));
            md.append(" | ").append(ratioText(row)).append(" |\n");
        }
        md.append("\nMessages per second are round trips. For p99 and RSS lower is better.\n\n");
        List<String> why = new ArrayList<>();
        for (Row row : ROWS) {
            String w = loadBoundWhy(row);
            if (w != null && !why.contains(row.scenario() + ": " + w)) why.add(row.label() + ": " + w);
        }
        if (!why.isEmpty()) {
            md.append("Invalid rows (no number is reported for them):\n\n");
            for (String w : why) md.append("- ").append(w).append('\n');
            md.append("\nWhy the load can be the limit: per round trip the load core does the same kernel work a minimal proxy does"
                    + " (the load generator and the upstream each send and receive once; the proxy receives and sends twice), and on this"
                    + " machine that kernel work is most of the cost (`bench/PROFILE.md` counts the syscalls). A proxy that adds little above"
                    + " the kernel therefore cannot be out-run twice over by one core of load; for those rows the proxy CPU per operation"
                    + " below is the comparison that holds.\n\n");
        }

        cpuTable(md);
        scaleAndChange(md);
        goals(md);
        whereWeLose(md);
        cold(md);
        validity(md);
        machine(md, meta);
        return md.toString();
    }

    /** Proxy CPU per operation: valid even when the load bounds throughput (a cost, not a rate). */
    private void cpuTable(StringBuilder md) {
        md.append("## Proxy CPU per operation\n\n");
        md.append("CPU time (user + system, from `/proc`) of the proxy's process tree per completed operation over the whole cell. This is a cost, not a rate: it stays comparable when the load side bounds the throughput, though a proxy that is not saturated batches less and so pays a little more per operation than it would at full load.\n\n");
        md.append("A value marked ≈ comes only from rounds that were invalid because other programs used the CPU (no valid round): the proxy's own CPU per operation moves much less under such contention than its throughput, but treat it as approximate.\n\n");
        md.append("| scenario | nginx | HAProxy | Caddy | Switchyard | Switchyard vs cheapest peer |\n| --- | --- | --- | --- | --- | --- |\n");
        for (String sc : LOAD_SCENARIOS) {
            md.append("| ").append(sc);
            Double best = null;
            String bestP = null;
            boolean approx = false;
            for (String p : PROXIES) {
                Cost v = cost(p, sc);
                md.append(" | ").append(v == null ? "–" : String.format(Locale.ROOT, "%s%.1f µs", v.approximate() ? "≈" : "", v.value()));
                if (v != null && PEERS.contains(p) && (best == null || v.value() < best)) {
                    best = v.value();
                    bestP = p;
                }
            }
            Cost ours = cost(US, sc);
            if (ours != null && bestP != null) approx = ours.approximate() || cost(bestP, sc).approximate();
            md.append(" | ").append(ours == null || best == null ? "–"
                    : String.format(Locale.ROOT, "%s%.2fx %s", approx ? "≈" : "", ours.value() / best, NAMES.get(bestP))).append(" |\n");
        }
        md.append('\n');
    }

    private void goals(StringBuilder md) {
        md.append("## Goals (issue 12)\n\n| goal | measured | verdict |\n| --- | --- | --- |\n");
        for (Row row : ROWS) {
            if (row.kind() != Kind.RATE || row.scenario().equals("cold-http")) continue;
            goalRow(md, row.label() + " >= 1.0x the best peer", vsBest(row), r -> r >= 1.0, loadBoundWhy(row));
        }
        for (Row row : ROWS) {
            if (row.kind() != Kind.LATENCY) continue;
            Double ours = value(row, US), ng = value(row, "nginx");
            goalRow(md, row.label() + " <= nginx's", ours == null || ng == null ? null : ours / ng, r -> r <= 1.0, loadBoundWhy(row));
        }
        Row idle = row("idle"), fresh = row("fresh");
        Double oi = value(idle, US), ni = value(idle, "nginx");
        goalRow(md, "RSS with 4,000 idle tunnels <= nginx's", oi == null || ni == null ? null : oi / ni, r -> r <= 1.0, null);
        Double of = value(fresh, US);
        md.append("| RSS of a fresh process <= 64 MB | ").append(of == null ? "–" : fmt(fresh, of)).append(" | ")
                .append(of == null ? "not measured" : of <= 64e6 ? "met" : "**MISSED**").append(" |\n");
        Double cold = med(US, "cold-http", "per_second"), warm = med(US, "http", "per_second");
        String coldWhy = loadBoundWhy(row("cold-http"));
        md.append("| cold: first 10 s >= 80% of steady HTTP req/s | ")
                .append(cold == null || warm == null ? "–" : String.format(Locale.ROOT, "%.0f%% (%s of %s)", 100 * cold / warm, num(cold), num(warm)))
                .append(" | ").append(cold == null || warm == null ? "not measured" : coldWhy != null ? "invalid (" + coldWhy + ")"
                        : cold / warm >= 0.8 ? "met" : "**MISSED**").append(" |\n");
        Double rate = change(HTTP_BIG, HTTP_10, US), lat = change(P99_BIG, P99_10, US);
        goalChange(md, "100,000 routes: HTTP req/s within 5% of 10 routes", rate, rate == null ? null : rate >= -0.05,
                whyNot(HTTP_BIG, HTTP_10));
        goalChange(md, "100,000 routes: HTTP p99 within 5% of 10 routes", lat, lat == null ? null : lat <= 0.05, whyNot(P99_BIG, P99_10));
        for (String[] sw : SWAPS) {
            Row base = swapRow(swapBase(US, sw), "p99_us"), with = swapRow(sw[1], "p99_us");
            Double ch = change(with, base, US);
            String invalid = whyNot(with, base) != null ? whyNot(with, base) : undecidable(US, sw, value(base, US), value(with, US));
            goalChange(md, "a swap every 100 ms moves p99 (" + sw[2] + ") by less than 10%", ch, ch == null ? null : Math.abs(ch) < 0.10,
                    invalid);
        }
        md.append('\n');
    }

    /**
     * Why the change goal of {@code target} cannot be decided, or null. The instrument's own move is how much the load
     * generator's p99, talking straight to the echo upstream, rose under the same changes ({@code sw[4]}) over the
     * direct p99 cell without them. "Missed" stands when the proxy's p99 rose by more than 10% even after taking that
     * move off; "met" needs an instrument that moved by at most 10% of the proxy's p99 itself.
     */
    String undecidable(String target, String[] sw, Double base, Double with) {
        Double under = value(swapRow(sw[4], "p99_us"), target), quiet = value(swapRow(sw[3], "p99_us"), "direct");
        if (under == null || quiet == null) return "no direct cell under the same changes";
        if (base == null || with == null) return null;
        double moved = Math.max(0, under - quiet);
        if (with - base - moved > 0.10 * base) return null; // missed, whatever the instrument did
        if (moved <= 0.10 * base) return null;
        return String.format(Locale.ROOT, "the load's own p99 rose %.0f µs under the same changes with no proxy, more than 10%% of %.0f µs",
                moved, base);
    }

    /**
     * Base (own cells), with changes, label, base when the process measured it as its p99 cell (and the direct p99
     * cell without changes), the direct cell under the same changes.
     */
    static final String[][] SWAPS = {{"swap-base-echo-32", "swap-echo-32", "echo 32 B", "p99-echo-32", "swap-direct-echo-32"},
            {"swap-base-http", "swap-http", "HTTP keep-alive", "p99-http", "swap-direct-http"}};

    /** The no-change cell of the same process: its own swap-base cell, else the p99 cell it ran before the changes. */
    String swapBase(String target, String[] sw) {
        return rounds(target, sw[0]) != null ? sw[0] : sw[3];
    }

    static Row swapRow(String scenario, String field) {
        Kind k = field.equals("p99_us") ? Kind.LATENCY : Kind.RATE;
        return new Row(scenario + " " + field, scenario, field, k, null);
    }

    /** {@code a / b - 1} for one target, or null when either is missing, invalid or load-bound. */
    Double change(Row a, Row b, String target) {
        Double va = value(a, target), vb = value(b, target);
        if (va == null || vb == null || vb == 0) return null;
        return va / vb - 1;
    }

    private String whyNot(Row a, Row b) {
        String w = loadBoundWhy(a);
        return w != null ? w : loadBoundWhy(b);
    }

    private static void goalChange(StringBuilder md, String goal, Double change, Boolean met, String invalidWhy) {
        md.append("| ").append(goal).append(" | ");
        if (invalidWhy != null) {
            md.append("– | invalid (").append(invalidWhy).append(") |\n");
        } else if (change == null) {
            md.append("– | not measured (no valid round) |\n");
        } else {
            md.append(pct(change)).append(" | ").append(met ? "met" : "**MISSED**").append(" |\n");
        }
    }

    static String pct(double change) {
        return String.format(Locale.ROOT, "%+.1f%%", change * 100);
    }

    private String cellOrDash(Row row, String target) {
        if (rounds(target, row.scenario()) == null) return "not run";
        if (loadBoundWhy(row) != null) return "invalid";
        Double v = value(row, target);
        return v == null ? "invalid" : fmt(row, v);
    }

    private String changeText(Row a, Row b, String target) {
        Double c = change(a, b, target);
        return c == null ? "–" : pct(c);
    }

    /** Median of a numeric field over every round of a cell (valid or not), or null. */
    Double medAll(String target, String scenario, String field) {
        List<JsonNode> cs = by.getOrDefault(target, Map.of()).get(scenario);
        if (cs == null) return null;
        double[] v = cs.stream().map(c -> c.get(field)).filter(n -> n != null && n.isNumber()).mapToDouble(JsonNode::asDouble).sorted().toArray();
        if (v.length == 0) return null;
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** 100,000 routes against 10, and a configuration change every 100 ms against none, per proxy. */
    private void scaleAndChange(StringBuilder md) {
        boolean big = PROXIES.stream().anyMatch(p -> rounds(p, "http-big") != null);
        boolean swaps = PROXIES.stream().anyMatch(p -> rounds(p, "swap-echo-32") != null || rounds(p, "swap-http") != null);
        if (!big && !swaps) return;
        md.append("## Scale and change\n\n");
        if (big) {
            md.append("### 100,000 routes against 10\n\n");
            md.append("Each proxy started afresh with 100,000 prefix routes (`/r0/` ... `/r99999/`; nginx: one `location` each, HAProxy: a `map_beg` file, Caddy: one `handle` each, Switchyard: the declarative document), HTTP keep-alive requests to the last route (req/s: closed loop under the quota; p99: the fixed-rate cell without it), after " + secs(doc.path("meta").path("short_prime_s").asDouble(5)) + " s of unmeasured HTTP with the quota lifted (a JIT compiles on a whole core, as in the 10-route process). HTTP, not WebSocket echo: a tunnel looks its route up once, at the handshake, so messages through it cost the same whatever the table's size. The 10-route figures are the headline's HTTP cells.");
            List<String> bt = new ArrayList<>();
            doc.path("meta").path("big_targets").forEach(n -> bt.add(n.asText()));
            if (!bt.isEmpty() && !bt.contains("caddy")) {
                md.append(" Caddy is left out (`--big-targets`): with 100,000 `handle` blocks it took 29 s to start and 1.5 GB of RSS on a whole core in a trial on this machine, most of a round under the quota.");
            }
            md.append("\n\n");
            md.append("| proxy | start-up, 100,000 routes | RSS fresh, 100,000 routes | req/s, 10 routes | req/s, 100,000 | change | p99, 10 routes | p99, 100,000 | change |\n");
            md.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
            for (String p : PROXIES) {
                if (rounds(p, "http-big") == null) continue;
                Double st = medAll(p, "fresh-big", "start_ms"), rss = medAll(p, "fresh-big", "rss_bytes");
                md.append("| ").append(NAMES.get(p)).append(" | ").append(st == null ? "–" : String.format(Locale.ROOT, "%,.0f ms", st))
                        .append(" | ").append(rss == null ? "–" : String.format(Locale.ROOT, "%.0f MB", rss / 1e6))
                        .append(" | ").append(cellOrDash(HTTP_10, p)).append(" | ").append(cellOrDash(HTTP_BIG, p)).append(" | ").append(changeText(HTTP_BIG, HTTP_10, p))
                        .append(" | ").append(cellOrDash(P99_10, p)).append(" | ").append(cellOrDash(P99_BIG, p)).append(" | ").append(changeText(P99_BIG, P99_10, p))
                        .append(" |\n");
            }
            md.append('\n');
        }
        if (swaps) {
            md.append("### A configuration change every 100 ms\n\n");
            md.append("In one running process, each load first without changes, then with a change of the configuration every 100 ms during the whole cell (warm-up included). nginx's no-change figures are its p99 cells, run just before in the same process; Switchyard's come from cells of their own in its fleet-node process. Switchyard: a data plane that takes its snapshots from a control plane over the fleet channel; every change is an admin API write of one route (`PUT /api/v1/routes/swap` with a new `path_prefix`), so it makes a new version, and the node compiles a new routing table and swaps it in. nginx: the same as `nginx -s reload` with a file that really changed (a new `location /swap/N/`, then SIGHUP to the master: new workers start, the old ones finish their requests and keep their tunnels until those close). After each cell the last change is checked to be served (`/swap/N/` answers through the proxy). HAProxy and Caddy are not measured here (their reloads are a different mechanism each: HAProxy's master-worker reload, Caddy's admin API). HTTP keep-alive requests that find their connection closed by a retiring worker are sent again on a new connection, as HTTP clients do, with their latency counted from the first send (*retried*).\n\n");
            md.append("Both loads run at the p99 cells' fixed rate with the quota lifted; what the changes cost shows in the proxy's CPU per message. **Where the changes come from**: a small C program (`bench/c/changer.c`) makes them on a fixed schedule, pinned to the proxy core, and Switchyard's control plane runs there too (under SCHED_IDLE, so that it takes the core only when the data plane does not want it, as a control plane on another host would; its database and the node's state directory in `/dev/shm`, because the journaling threads an fsync wakes run on any core): nothing of the change traffic runs on the load core, where latency is timed (an earlier version made the changes from the load core, and `bench/load-disturbance.sh` shows what that does to the load's own p99 with no proxy at all: 165-180 µs became 2.8-3.6 ms). Each proxy's change machinery (nginx's master starting workers, Switchyard's control plane and node) thus shares the proxy's core, as it would on a one-core host. **The instrument under the same changes**: the *direct* rows are the load generator talking straight to the echo upstream at the same rate while that proxy's changes run; their p99 against the direct p99 cells without changes shows whether the changes reach the load side. A goal row says *missed* when the proxy's p99 rose by more than 10% even after taking off what the load's own p99 rose under the same changes, *met* only when the load's own p99 rose by at most 10% of the proxy's, and *invalid* otherwise.\n\n");
            md.append("| proxy | load | changes made | p99, none | p99, every 100 ms | change | CPU per op, none | CPU per op, every 100 ms | change | retried requests |\n");
            md.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
            for (String p : PROXIES) {
                for (String[] sw : SWAPS) {
                    if (rounds(p, sw[1]) == null) continue;
                    String base = swapBase(p, sw);
                    Row lb = swapRow(base, "p99_us"), lw = swapRow(sw[1], "p99_us");
                    Double n = medAll(p, sw[1], "swaps"), retried = medAll(p, sw[1], "stale_retries");
                    Double cb = med(p, base, "proxy_cpu_us_per_op"), cw = med(p, sw[1], "proxy_cpu_us_per_op");
                    md.append("| ").append(NAMES.get(p)).append(" | ").append(sw[2]).append(" | ").append(n == null ? "–" : String.format(Locale.ROOT, "%.0f", n))
                            .append(" | ").append(cellOrDash(lb, p)).append(" | ").append(cellOrDash(lw, p)).append(" | ").append(changeText(lw, lb, p))
                            .append(" | ").append(cb == null ? "–" : String.format(Locale.ROOT, "%.1f µs", cb))
                            .append(" | ").append(cw == null ? "–" : String.format(Locale.ROOT, "%.1f µs", cw))
                            .append(" | ").append(cb == null || cw == null ? "–" : pct(cw / cb - 1))
                            .append(" | ").append(retried == null ? "–" : String.format(Locale.ROOT, "%,.0f", retried)).append(" |\n");
                }
                for (String[] sw : SWAPS) {
                    if (rounds(p, sw[4]) == null) continue;
                    Row db = swapRow(sw[3], "p99_us"), dw = swapRow(sw[4], "p99_us");
                    Double n = medAll(p, sw[4], "swaps");
                    Double vb = value(db, "direct"), vw = value(dw, p);
                    md.append("| direct, under ").append(NAMES.get(p)).append("'s changes | ").append(sw[2]).append(" | ")
                            .append(n == null ? "–" : String.format(Locale.ROOT, "%.0f", n))
                            .append(" | ").append(cellOrDash(db, "direct")).append(" | ").append(cellOrDash(dw, p))
                            .append(" | ").append(vb == null || vw == null || vb == 0 ? "–" : pct(vw / vb - 1))
                            .append(" | – | – | – | – |\n");
                }
            }
            md.append('\n');
        }
    }

    private static void goalRow(StringBuilder md, String goal, Double ratio, java.util.function.DoublePredicate ok, String invalidWhy) {
        md.append("| ").append(goal).append(" | ");
        if (invalidWhy != null) {
            md.append("– | invalid (").append(invalidWhy).append(") |\n");
            return;
        }
        if (ratio == null) {
            md.append("– | not measured (no valid round for Switchyard or for any peer) |\n");
            return;
        }
        md.append(String.format(Locale.ROOT, "%.2fx", ratio)).append(" | ").append(ok.test(ratio) ? "met" : "**MISSED**").append(" |\n");
    }

    /** Every row where Switchyard is behind the best peer, with the CPU cost that explains it. */
    private void whereWeLose(StringBuilder md) {
        md.append("## Where we lose\n\nWritten from the numbers above by the report generator.\n\n");
        int n = 0;
        for (Row row : ROWS) {
            String why = loadBoundWhy(row);
            String cpuSc = LOAD_SCENARIOS.contains(row.scenario()) ? row.scenario() : null;
            if (why == null && row.kind() == Kind.RATE && cpuSc != null && vsBest(row) == null && value(row, US) != null
                    && bestPeer(row) == null) {
                why = "no peer had a round free of other programs' CPU use";
            }
            if (why != null) {
                if (row.kind() != Kind.RATE || cpuSc == null) continue;
                String cheap = cheapestPeer(cpuSc);
                Cost ours = cost(US, cpuSc);
                if (cheap != null && ours != null && ours.value() > cost(cheap, cpuSc).value()) {
                    Cost c = cost(cheap, cpuSc);
                    boolean approx = ours.approximate() || c.approximate();
                    md.append(String.format(Locale.ROOT, "- **%s**: throughput is not comparable (%s), but per operation Switchyard's core spends %s%.1f µs against %s's %.1f µs (%.2fx)%s.%n",
                            row.label(), why, approx ? "≈" : "", ours.value(), NAMES.get(cheap), c.value(), ours.value() / c.value(),
                            approx ? ", from rounds with other programs' CPU use" : ""));
                    n++;
                }
                continue;
            }
            Double r = vsBest(row);
            if (r == null) continue;
            boolean lose = row.higherIsBetter() ? r < 1.0 : r > 1.0;
            if (!lose) continue;
            String peer = bestPeer(row);
            md.append(String.format(Locale.ROOT, "- **%s**: Switchyard %s against %s's %s (%.2fx)", row.label(),
                    fmt(row, value(row, US)), NAMES.get(peer), fmt(row, value(row, peer)), r));
            if (cpuSc != null) {
                Cost ours = cost(US, cpuSc), theirs = cost(peer, cpuSc);
                if (ours != null && theirs != null) {
                    md.append(String.format(Locale.ROOT, "; its core spends %.1f µs per operation against %.1f µs", ours.value(), theirs.value()));
                }
            }
            if (row.scenario().equals("idle")) {
                Double ob = med(US, "idle", "rss_before_bytes"), oa = med(US, "idle", "rss_bytes");
                Double pb = med(peer, "idle", "rss_before_bytes"), pa = med(peer, "idle", "rss_bytes");
                if (ob != null && oa != null && pb != null && pa != null) {
                    md.append(String.format(Locale.ROOT, "; the 4,000 tunnels added %.0f MB to Switchyard (from %.0f MB after the other cells) and %.0f MB to %s",
                            (oa - ob) / 1e6, ob / 1e6, (pa - pb) / 1e6, NAMES.get(peer)));
                }
            }
            if (row.scenario().equals("cold-http")) {
                Double warm = med(US, "http", "per_second");
                if (warm != null) md.append(String.format(Locale.ROOT, "; warm, Switchyard does %s", num(warm)));
            }
            md.append(".\n");
            n++;
        }
        Row coldRow = row("cold-http");
        Double cold = med(US, "cold-http", "per_second"), warm = med(US, "http", "per_second");
        if (cold != null && warm != null && cold / warm < 0.8 && loadBoundWhy(coldRow) == null) {
            md.append(String.format(Locale.ROOT, "- **Cold start**: the first %s s run at %.0f%% of Switchyard's own steady HTTP rate (goal: 80%%).%n",
                    doc.path("meta").path("cold_s").asText("10"), 100 * cold / warm));
            n++;
        }
        if (n == 0) md.append("Nowhere in this run.\n");
        md.append('\n');
    }

    private String cheapestPeer(String scenario) {
        String best = null;
        Double bv = null;
        for (String p : PEERS) {
            Cost c = cost(p, scenario);
            Double v = c == null ? null : c.value();
            if (v != null && (bv == null || v < bv)) {
                bv = v;
                best = p;
            }
        }
        return best;
    }

    /** Per-second timeline of the cold cell (median over rounds per second). */
    private void cold(StringBuilder md) {
        md.append("## Cold versus steady (HTTP keep-alive)\n\n");
        md.append("Requests per second in each of the first seconds after the proxy first answered, then the steady-state figure. Start-up is the time from launching the process to its first proxied answer.\n\n");
        int secs = (int) Math.round(doc.path("meta").path("cold_s").asDouble(10));
        md.append("| proxy | start-up | ");
        for (int i = 1; i <= secs; i++) md.append(i).append(" s | ");
        md.append("first ").append(secs).append(" s | steady |\n|");
        for (int i = 0; i < secs + 4; i++) md.append(" --- |");
        md.append('\n');
        for (String p : PROXIES) {
            List<JsonNode> cs = rounds(p, "cold-http");
            if (cs == null) continue;
            Double st = med(p, "fresh", "start_ms");
            md.append("| ").append(NAMES.get(p)).append(" | ").append(st == null ? "–" : String.format(Locale.ROOT, "%.0f ms", st)).append(" | ");
            for (int i = 0; i < secs; i++) {
                List<Double> v = new ArrayList<>();
                for (JsonNode c : cs) if (c.path("timeline").size() > i) v.add(c.path("timeline").get(i).asDouble());
                v.sort(Double::compare);
                md.append(v.isEmpty() ? "–" : num(v.size() % 2 == 1 ? v.get(v.size() / 2) : (v.get(v.size() / 2 - 1) + v.get(v.size() / 2)) / 2)).append(" | ");
            }
            Double c = med(p, "cold-http", "per_second"), w = med(p, "http", "per_second");
            md.append(c == null ? "invalid" : num(c)).append(" | ").append(w == null ? "–" : num(w)).append(" |\n");
        }
        md.append('\n');
    }

    private void validity(StringBuilder md) {
        md.append("## Validity\n\n| scenario | direct | fastest proxy | direct / fastest | verdict |\n| --- | --- | --- | --- | --- |\n");
        List<String> all = new ArrayList<>(LOAD_SCENARIOS);
        for (String sc : EXTRA_SCENARIOS) if (PROXIES.stream().anyMatch(p -> rounds(p, sc) != null)) all.add(sc);
        for (String sc : all) {
            Double d = med("direct", directOf(sc), "per_second");
            String f = fastest(sc);
            Double fv = f == null ? null : med(f, sc, "per_second");
            md.append("| ").append(sc).append(" | ").append(d == null ? "–" : num(d)).append(" | ")
                    .append(f == null ? "–" : NAMES.get(f) + " " + num(fv)).append(" | ");
            if (d == null || fv == null) {
                md.append("– | not measured |\n");
                continue;
            }
            md.append(String.format(Locale.ROOT, "%.2fx | %s |%n", d / fv, d / fv >= MIN_DIRECT_FACTOR ? "proxy-bound" : "**invalid: load-bound**"));
        }
        Map<String, Integer> flagged = new TreeMap<>();
        List<String> dead = new ArrayList<>();
        for (Map.Entry<String, Map<String, List<JsonNode>>> t : by.entrySet()) {
            for (Map.Entry<String, List<JsonNode>> sc : t.getValue().entrySet()) {
                int bad = 0;
                for (JsonNode c : sc.getValue()) {
                    for (JsonNode f : c.path("flags")) {
                        String text = f.asText().replaceAll("used \\d+% of a core", "used part of a core");
                        flagged.merge(t.getKey() + " " + sc.getKey() + ": " + text, 1, Integer::sum);
                    }
                    if (invalid(c)) bad++;
                }
                if (bad == sc.getValue().size() && bad > 0) dead.add(t.getKey() + " " + sc.getKey());
            }
        }
        md.append('\n');
        if (flagged.isEmpty()) {
            md.append("No cell was flagged.\n\n");
        } else {
            md.append("Flagged rounds (an INVALID round is left out of the medians):\n\n");
            flagged.forEach((k, v) -> md.append("- ").append(k).append(" (").append(v).append("x)\n"));
            md.append('\n');
        }
        if (!dead.isEmpty()) md.append("**No valid round:** ").append(String.join(", ", dead)).append(".\n\n");
    }

    private void machine(StringBuilder md, JsonNode meta) {
        md.append("## Machine, versions, flags\n\n| what | value |\n| --- | --- |\n");
        meta.fields().forEachRemaining(e -> {
            if (e.getKey().equals("started") || e.getKey().equals("elapsed_s")) return;
            String v = e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString();
            md.append("| ").append(e.getKey()).append(" | `").append(v.replace("|", "/").replace('\n', ' ')).append("` |\n");
        });
        md.append("\nPeer configurations: `bench/peers/` (the README there explains each choice). Switchyard runs `data-plane --config` with the equivalent declarative document.\n");
    }
}
