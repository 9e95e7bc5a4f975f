import io.switchyard.config.Config;
import io.switchyard.config.Route;
import io.switchyard.config.Snapshot;
import io.switchyard.config.Target;
import io.switchyard.config.Upstream;
import io.switchyard.routing.CompiledRoute;
import io.switchyard.routing.RoutingTable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The routing table's lookup cost against its size (issue 2): tables of 10 to 100,000 routes (half
 * host-bound across 1,000 host names, half for any host), looking up the LAST route added and a spread of
 * others, nanoseconds per lookup after warm-up; plus compile time. Single-file program on the jar's classpath:
 *
 *   java -cp dist/switchyard.jar bench/routing/RoutingLookup.java [OUT.json]
 */
public final class RoutingLookup {
    static volatile Object sink;

    public static void main(String[] args) throws Exception {
        int[] sizes = {10, 1_000, 10_000, 100_000};
        StringBuilder json = new StringBuilder("{\"unit\":\"ns per lookup\",\"runs\":[");
        System.out.printf(Locale.ROOT, "%8s %12s %14s %14s%n", "routes", "compile ms", "last ns/op", "spread ns/op");
        for (int k = 0; k < sizes.length; k++) {
            int n = sizes[k];
            List<Route> routes = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                List<String> hosts = i % 2 == 0 ? List.of("h" + (i % 1000) + ".example.com") : List.of();
                routes.add(new Route("r" + i, hosts, "/svc" + i + "/v" + (i % 7), "u"));
            }
            Config c = new Config(null, List.of(new Upstream("u", null, List.of(new Target("127.0.0.1:9")))), routes, null);
            long t0 = System.nanoTime();
            RoutingTable t = RoutingTable.compile(new Snapshot(1, c), RoutingTable.EMPTY);
            double compileMs = (System.nanoTime() - t0) / 1e6;
            int last = n - 1;
            String lastHost = last % 2 == 0 ? "h" + (last % 1000) + ".example.com" : "any.example.org";
            String lastPath = "/svc" + last + "/v" + (last % 7) + "/room/42";
            String[] hosts = new String[1024];
            String[] paths = new String[1024];
            for (int j = 0; j < 1024; j++) {
                int i = (int) ((long) j * 7919 % n);
                hosts[j] = i % 2 == 0 ? "h" + (i % 1000) + ".example.com:8080" : "any.example.org";
                paths[j] = "/svc" + i + "/v" + (i % 7) + "/x";
            }
            if (!t.match(lastHost, lastPath).name().equals("r" + last)) throw new AssertionError("wrong route");
            double lastNs = time(() -> t.match(lastHost, lastPath));
            int[] idx = {0};
            double spreadNs = time(() -> {
                int j = idx[0]++ & 1023;
                return t.match(hosts[j], paths[j]);
            });
            System.out.printf(Locale.ROOT, "%8d %12.1f %14.1f %14.1f%n", n, compileMs, lastNs, spreadNs);
            if (k > 0) json.append(',');
            json.append(String.format(Locale.ROOT, "{\"routes\":%d,\"compile_ms\":%.1f,\"last_route_ns\":%.1f,\"spread_ns\":%.1f}", n, compileMs, lastNs, spreadNs));
        }
        json.append("]}\n");
        if (args.length > 0) Files.writeString(Path.of(args[0]), json);
    }

    /** Median of 15 one-second-ish batches, after 3 warm-up batches. */
    static double time(java.util.function.Supplier<CompiledRoute> op) {
        int batch = 2_000_000;
        double[] ns = new double[15];
        for (int r = -3; r < ns.length; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < batch; i++) sink = op.get();
            long el = System.nanoTime() - t0;
            if (r >= 0) ns[r] = el / (double) batch;
        }
        java.util.Arrays.sort(ns);
        return ns[ns.length / 2];
    }
}
