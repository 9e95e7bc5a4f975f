

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Issue 4's propagation figure: a real control plane and two real data-plane nodes (three JVMs from
 * dist/switchyard.jar, fleet channel over loopback), 1,000 writes through the admin API, and for each the
 * time from the write's answer (acknowledged: committed, X-Config-Version N) to every node having applied
 * N (the control plane's ACK-driven {@code GET /fleet/nodes?min_version=N&wait_ms=...} returns). Run once
 * with a small configuration and once with 10,000 routes (every push then carries the whole document).
 *
 * <p>usage: java bench/propagation/Propagation.java dist/switchyard.jar OUT.json [writes]  (JDK only, single-file program)
 */
public final class Propagation {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]);
        Path out = Path.of(args[1]);
        int writes = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        StringBuilder json = new StringBuilder("{\"writes\":" + writes + ",\"nodes\":2,\"runs\":[");
        boolean first = true;
        for (int routes : new int[]{10, 10_000}) {
            Result r = run(jar, routes, writes);
            System.out.printf(Locale.ROOT, "routes=%d  write->applied on every node: p50 %.2f ms  p99 %.2f ms  max %.2f ms  (write answered p50 %.2f ms; wait round trip floor %.2f ms)%n",
                    routes, r.p(r.propagation, 50), r.p(r.propagation, 99), r.p(r.propagation, 100), r.p(r.write, 50), r.floorMs);
            if (!first) json.append(',');
            first = false;
            json.append(String.format(Locale.ROOT,
                    "{\"routes\":%d,\"propagation_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f},\"write_ms\":{\"p50\":%.3f,\"p99\":%.3f},\"wait_floor_ms\":%.3f}",
                    routes, r.p(r.propagation, 50), r.p(r.propagation, 90), r.p(r.propagation, 99), r.p(r.propagation, 100),
                    r.p(r.write, 50), r.p(r.write, 99), r.floorMs));
        }
        json.append("]}\n");
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, json);
    }

    record Result(double[] propagation, double[] write, double floorMs) {
        double p(double[] sorted, double pct) {
            if (pct >= 100) return sorted[sorted.length - 1];
            return sorted[(int) Math.min(sorted.length - 1, Math.ceil(pct / 100.0 * sorted.length) - 1)];
        }
    }

    static Result run(Path jar, int routes, int writes) throws Exception {
        Path dir = Files.createTempDirectory("sy-prop-");
        int admin = freePort();
        List<Process> procs = new ArrayList<>();
        try {
            procs.add(start(dir, "cp", jar.toString(), "control-plane", "--admin", "127.0.0.1:" + admin, "--db", dir.resolve("cp.db").toString()));
            String base = "http://127.0.0.1:" + admin;
            awaitUp(base + "/api/v1/snapshots/current");
            for (int n = 1; n <= 2; n++) {
                procs.add(start(dir, "n" + n, jar.toString(), "data-plane", "--control-plane", base, "--node-id", "n" + n,
                        "--listen", "127.0.0.1:0", "--status", "127.0.0.1:0", "--state-dir", dir.resolve("state-n" + n).toString()));
            }
            // The starting document: one upstream, `routes` routes, pushed once.
            StringBuilder doc = new StringBuilder("{\"upstreams\":[{\"name\":\"u\",\"targets\":[{\"address\":\"127.0.0.1:9\"}]}],\"routes\":[");
            for (int i = 0; i < routes; i++) {
                if (i > 0) doc.append(',');
                doc.append("{\"name\":\"r").append(i).append("\",\"hosts\":[\"h").append(i % 100).append(".example.com\"],\"path_prefix\":\"/svc")
                        .append(i).append("\",\"upstream\":\"u\"}");
            }
            doc.append("]}");
            long v = version(send("PUT", base + "/api/v1/config", doc.toString()));
            awaitNodes(base, v, 2);
            // Floor: a wait that is already satisfied costs one HTTP round trip.
            double[] floor = new double[50];
            for (int i = 0; i < floor.length; i++) {
                long t = System.nanoTime();
                send("GET", base + "/api/v1/fleet/nodes?min_version=" + v + "&wait_ms=5000", null);
                floor[i] = (System.nanoTime() - t) / 1e6;
            }
            Arrays.sort(floor);
            // Warm-up, then the measured writes: alternately add and change one route.
            int warm = Math.max(20, writes / 10);
            double[] prop = new double[writes];
            double[] write = new double[writes];
            for (int i = -warm; i < writes; i++) {
                String body = "{\"name\":\"w" + Math.floorMod(i, 50) + "\",\"path_prefix\":\"/w/" + i + "\",\"upstream\":\"u\"}";
                long t0 = System.nanoTime();
                HttpResponse<String> r = i + warm < 50 ? send("POST", base + "/api/v1/routes", body)
                        : send("PUT", base + "/api/v1/routes/w" + Math.floorMod(i, 50), body);
                long t1 = System.nanoTime();
                long nv = version(r);
                HttpResponse<String> w = send("GET", base + "/api/v1/fleet/nodes?min_version=" + nv + "&wait_ms=10000", null);
                long t2 = System.nanoTime();
                if (w.statusCode() != 200) throw new IllegalStateException("version " + nv + " not applied: " + w.body());
                if (i >= 0) {
                    write[i] = (t1 - t0) / 1e6;
                    prop[i] = (t2 - t1) / 1e6;
                }
            }
            Arrays.sort(prop);
            Arrays.sort(write);
            return new Result(prop, write, floor[floor.length / 2]);
        } finally {
            for (Process p : procs) p.destroy();
            for (Process p : procs) p.waitFor();
        }
    }

    static Process start(Path dir, String name, String jar, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("java", "-Xms256m", "-Xmx1g", "-XX:+UseParallelGC", "-jar", jar));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
    }

    static HttpResponse<String> send(String method, String url, String json) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) b.header("Content-Type", "application/json");
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static long version(HttpResponse<String> r) {
        if (r.statusCode() / 100 != 2) throw new IllegalStateException(r.statusCode() + " " + r.body());
        return Long.parseLong(r.headers().firstValue("X-Config-Version").orElseThrow());
    }

    static void awaitUp(String url) throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            try {
                if (send("GET", url, null).statusCode() == 200) return;
            } catch (IOException e) {
                // not yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(url + " did not come up");
    }

    static void awaitNodes(String base, long v, int n) throws Exception {
        for (int i = 0; i < 600; i++) {
            HttpResponse<String> r = send("GET", base + "/api/v1/fleet/nodes?min_version=" + v + "&wait_ms=1000", null);
            int count = r.body().split("\"node_id\"", -1).length - 1;
            if (r.statusCode() == 200 && count >= n) return;
            Thread.sleep(100);
        }
        throw new IllegalStateException("nodes did not converge on " + v);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
