package io.switchyard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The report from hand-made raw results: medians, the proxy-bound rule, goals, where we lose, chart. */
class ReportTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode cell(ArrayNode cells, int round, String target, String scenario, double perSecond,
                                   double p99, Double cpuPerOp) {
        ObjectNode c = cells.addObject();
        c.put("round", round).put("target", target).put("scenario", scenario).put("per_second", perSecond).put("p99_us", p99);
        if (cpuPerOp != null) c.put("proxy_cpu_us_per_op", cpuPerOp);
        return c;
    }

    private static ObjectNode doc() {
        ObjectNode doc = JSON.createObjectNode();
        doc.putObject("meta").put("rounds", 3).put("cold_s", 10).put("warmup_s", 2).put("duration_s", 4);
        doc.putArray("notes");
        doc.putArray("cells");
        return doc;
    }

    private static String report(Path dir, ObjectNode doc) throws Exception {
        Path raw = dir.resolve("latest.json");
        JSON.writeValue(raw.toFile(), doc);
        Report.write(raw, dir);
        return Files.readString(dir.resolve("benchmarks.md"));
    }

    @Test
    void aProxyBoundCellShowsMediansOfValidRoundsAndTheRatioToTheBestPeer(@TempDir Path dir) throws Exception {
        ObjectNode doc = doc();
        ArrayNode cells = (ArrayNode) doc.get("cells");
        for (int r = 1; r <= 3; r++) cell(cells, r, "direct", "http", 90_000, 800, null);
        // nginx 30k / 30k / 28k -> 30k; Switchyard 20k / (60k, invalid) / 22k -> 21k: 0.70x, and it loses.
        for (int r = 1; r <= 3; r++) cell(cells, r, "nginx", "http", r == 3 ? 28_000 : 30_000, 2000, 30.0);
        cell(cells, 1, "switchyard", "http", 20_000, 3000, 45.0);
        cell(cells, 2, "switchyard", "http", 60_000, 3000, 45.0).putArray("flags").add("INVALID: other processes used 40% of a core");
        cell(cells, 3, "switchyard", "http", 22_000, 3000, 45.0);

        String md = report(dir, doc);

        assertThat(md).contains("| HTTP keep-alive req/s (64 conns) | 90.0k | 30.0k | not run | not run | 21.0k | 0.70x nginx |");
        assertThat(md).contains("| HTTP keep-alive req/s (64 conns) >= 1.0x the best peer | 0.70x | **MISSED** |");
        assertThat(md).contains("- **HTTP keep-alive req/s (64 conns)**: Switchyard 21.0k against nginx's 30.0k (0.70x);"
                + " its core spends 45.0 µs per operation against 30.0 µs.");
        assertThat(md).contains("| http | 90.0k | nginx 30.0k | 3.00x | proxy-bound |");
        assertThat(md).contains("- switchyard http: INVALID: other processes used part of a core (1x)");
        BufferedImage png = ImageIO.read(dir.resolve("benchmarks.png").toFile());
        assertThat(png.getWidth()).isEqualTo(1600);
    }

    @Test
    void aCellWhereDirectIsNotTwiceTheFastestProxyShowsNoNumbersAndSaysWhy(@TempDir Path dir) throws Exception {
        ObjectNode doc = doc();
        ArrayNode cells = (ArrayNode) doc.get("cells");
        cell(cells, 1, "direct", "echo-32", 90_000, 700, null);
        cell(cells, 1, "nginx", "echo-32", 60_000, 1500, 10.0);
        cell(cells, 1, "switchyard", "echo-32", 35_000, 4000, 25.0);
        // p99 has its own fixed-rate cells, which do not depend on the load outrunning the proxies.
        cell(cells, 1, "direct", "p99-echo-32", 10_000, 300, null);
        cell(cells, 1, "nginx", "p99-echo-32", 10_000, 900, 11.0);
        cell(cells, 1, "switchyard", "p99-echo-32", 10_000, 1200, 26.0);

        String md = report(dir, doc);

        assertThat(md).contains("| echo 32 B, 64 conns (msg/s) | 90.0k | invalid | not run | not run | invalid | invalid |");
        assertThat(md).contains("| p99 at 32 B (fixed rate, no quota) | 300 µs | 900 µs | not run | not run | 1.20 ms | 1.33x nginx (worse) |");
        assertThat(md).doesNotContain("35.0k");
        assertThat(md).contains("load-bound: with no proxy the load reached 90.0k/s, only 1.50x the fastest proxy (nginx, 60.0k/s); the rule is 2x");
        assertThat(md).contains("| echo-32 | 90.0k | nginx 60.0k | 1.50x | **invalid: load-bound** |");
        // The cost per message is still comparable, and the loss is reported from it.
        assertThat(md).contains("| echo-32 | 10.0 µs | – | – | 25.0 µs | 2.50x nginx |");
        assertThat(md).contains("per operation Switchyard's core spends 25.0 µs against nginx's 10.0 µs (2.50x)");
        assertThat(Report.of(JSON.convertValue(doc, Object.class)).loadBoundScenarios()).containsExactly("echo-32");
    }

    @Test
    void memoryAndColdStartGoalsComeFromTheirOwnCells(@TempDir Path dir) throws Exception {
        ObjectNode doc = doc();
        ArrayNode cells = (ArrayNode) doc.get("cells");
        cell(cells, 1, "direct", "http", 90_000, 800, null);
        cell(cells, 1, "nginx", "http", 30_000, 2000, 30.0);
        cell(cells, 1, "switchyard", "http", 40_000, 2000, 20.0);
        ObjectNode cold = cell(cells, 1, "switchyard", "cold-http", 20_000, 9000, 40.0);
        cold.putArray("timeline").add(5000).add(15_000).add(30_000);
        cells.addObject().put("round", 1).put("target", "switchyard").put("scenario", "fresh").put("rss_bytes", 90e6).put("start_ms", 900);
        cells.addObject().put("round", 1).put("target", "nginx").put("scenario", "fresh").put("rss_bytes", 12e6).put("start_ms", 20);
        cells.addObject().put("round", 1).put("target", "switchyard").put("scenario", "idle").put("rss_bytes", 160e6).put("rss_before_bytes", 100e6);
        cells.addObject().put("round", 1).put("target", "nginx").put("scenario", "idle").put("rss_bytes", 80e6).put("rss_before_bytes", 20e6);

        String md = report(dir, doc);

        assertThat(md).contains("| RSS of a fresh process <= 64 MB | 90 MB | **MISSED** |");
        assertThat(md).contains("| RSS with 4,000 idle tunnels <= nginx's | 2.00x | **MISSED** |");
        assertThat(md).contains("| cold: first 10 s >= 80% of steady HTTP req/s | 50% (20.0k of 40.0k) | **MISSED** |");
        assertThat(md).contains("the 4,000 tunnels added 60 MB to Switchyard (from 100 MB after the other cells) and 60 MB to nginx");
        assertThat(md).contains("| Switchyard | 900 ms | 5,000 | 15.0k | 30.0k |");
        assertThat(md).contains("| HTTP keep-alive req/s (64 conns) >= 1.0x the best peer | 1.33x | met |");
    }

    @Test
    void unknownRunnerOptionsAreRefusedWithTheListOfKnownOnes() {
        assertThatThrownBy(() -> Runner.Settings.parse(new String[] {"--durations", "5"}))
                .hasMessageContaining("unknown option: --durations").hasMessageContaining("--duration-s");
    }

    @Test
    void routesAndSwapsAreComparedWithTheirBaselineInTheSameRunAndJudgedAgainstTheGoals(@TempDir Path dir) throws Exception {
        ObjectNode doc = doc();
        doc.with("meta").put("proxy_cpu_quota", "40% of one core per proxy (cgroup v1 cpu.cfs_quota_us=1000 per cpu.cfs_period_us=2500)");
        ArrayNode cells = (ArrayNode) doc.get("cells");
        cell(cells, 1, "direct", "http", 90_000, 800, null);
        cell(cells, 1, "direct", "echo-32", 95_000, 700, null);
        cell(cells, 1, "nginx", "http", 30_000, 9000, 20.0);
        cell(cells, 1, "nginx", "http-big", 29_400, 9000, 20.0);
        cell(cells, 1, "nginx", "p99-http", 10_000, 2000, 20.0);
        cell(cells, 1, "nginx", "p99-http-big", 10_000, 2040, 20.0);
        cell(cells, 1, "nginx", "fresh-big", 0, 0, null).put("start_ms", 4321).put("rss_bytes", 150e6);
        cell(cells, 1, "switchyard", "http", 25_000, 9000, 30.0);
        cell(cells, 1, "switchyard", "http-big", 20_000, 9000, 31.0);
        cell(cells, 1, "switchyard", "p99-http", 10_000, 3000, 30.0);
        cell(cells, 1, "switchyard", "p99-http-big", 10_000, 3030, 31.0);
        cell(cells, 1, "switchyard", "swap-base-echo-32", 40_000, 2000, 15.0);
        cell(cells, 1, "switchyard", "swap-echo-32", 39_000, 2300, 16.5).put("swaps", 60);
        cell(cells, 1, "switchyard", "swap-base-http", 25_000, 3000, 30.0);
        cell(cells, 1, "switchyard", "swap-http", 24_800, 3150, 30.0).put("swaps", 61).put("stale_retries", 0);
        // nginx's base is the p99 cell its process ran just before the changes.
        cell(cells, 1, "nginx", "swap-http", 20_000, 9000, 25.0).put("swaps", 59).put("stale_retries", 1234);
        // The load straight to the echo upstream, without changes and under each proxy's changes.
        cell(cells, 1, "direct", "p99-echo-32", 10_000, 200, null);
        cell(cells, 1, "direct", "p99-http", 10_000, 200, null);
        cell(cells, 1, "switchyard", "swap-direct-echo-32", 10_000, 210, null).put("swaps", 25);
        cell(cells, 1, "switchyard", "swap-direct-http", 10_000, 600, null).put("swaps", 25);

        String md = report(dir, doc);

        assertThat(md).contains("**CPU quota**: every proxy, peers and Switchyard alike, runs inside the same CPU quota: 40% of one core per proxy");
        assertThat(md).contains("| nginx | 4,321 ms | 150 MB | 30.0k | 29.4k | -2.0% | 2.00 ms | 2.04 ms | +2.0% |");
        assertThat(md).contains("| Switchyard | – | – | 25.0k | 20.0k | -20.0% | 3.00 ms | 3.03 ms | +1.0% |");
        assertThat(md).contains("| 100,000 routes: HTTP req/s within 5% of 10 routes | -20.0% | **MISSED** |");
        assertThat(md).contains("| 100,000 routes: HTTP p99 within 5% of 10 routes | +1.0% | met |");
        assertThat(md).contains("| Switchyard | echo 32 B | 60 | 2.00 ms | 2.30 ms | +15.0% | 15.0 µs | 16.5 µs | +10.0% | – |");
        assertThat(md).contains("| nginx | HTTP keep-alive | 59 | 2.00 ms | 9.00 ms | +350.0% | 20.0 µs | 25.0 µs | +25.0% | 1,234 |");
        // A verdict only where the load's own p99 under the same changes stayed within 10% of its p99 without them.
        assertThat(md).contains("| a swap every 100 ms moves p99 (echo 32 B) by less than 10% | +15.0% | **MISSED** |");
        // HTTP: +150 µs with changes, but the load's own p99 rose 400 µs under them: no verdict either way.
        assertThat(md).contains("| a swap every 100 ms moves p99 (HTTP keep-alive) by less than 10% | – | invalid (the load's own p99 rose 400 µs under the same changes with no proxy, more than 10% of 3000 µs) |");
        assertThat(md).contains("| direct, under Switchyard's changes | echo 32 B | 25 | 200 µs | 210 µs | +5.0% | – | – | – | – |");
        assertThat(md).contains("**Where the changes come from**: a small C program (`bench/c/changer.c`)");
        assertThat(md).contains("| http-big | 90.0k | nginx 29.4k | 3.06x | proxy-bound |");
    }

    @Test
    void aLargeTableCellThatTheLoadCouldNotOutrunTwiceIsInvalidAndItsGoalSaysWhy(@TempDir Path dir) throws Exception {
        ObjectNode doc = doc();
        doc.with("meta").put("proxy_cpu_quota", "none: no cgroup v1 cpu controller at /sys/fs/cgroup/cpu (cpu.cfs_quota_us missing)");
        ArrayNode cells = (ArrayNode) doc.get("cells");
        cell(cells, 1, "direct", "http", 50_000, 800, null);
        cell(cells, 1, "switchyard", "http", 20_000, 3000, 30.0);
        cell(cells, 1, "switchyard", "http-big", 40_000, 3030, 31.0);

        String md = report(dir, doc);

        assertThat(md).contains("**CPU quota**: none in this run (no cgroup v1 cpu controller at /sys/fs/cgroup/cpu (cpu.cfs_quota_us missing))");
        assertThat(md).contains("| Switchyard | – | – | 20.0k | invalid | – | not run | not run | – |");
        assertThat(md).contains("| 100,000 routes: HTTP req/s within 5% of 10 routes | – | invalid (load-bound: with no proxy the load reached 50.0k/s, only 1.25x the fastest proxy (Switchyard, 40.0k/s); the rule is 2x) |");
        assertThat(md).contains("| http-big | 50.0k | Switchyard 40.0k | 1.25x | **invalid: load-bound** |");
    }
}
