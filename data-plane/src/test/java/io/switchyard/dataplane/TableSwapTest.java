package io.switchyard.dataplane;

import io.switchyard.config.Balance;
import io.switchyard.config.Config;
import io.switchyard.config.Route;
import io.switchyard.config.Snapshot;
import io.switchyard.testkit.Configs;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.RawHttp;
import io.switchyard.testkit.WsClient;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.switchyard.testkit.Configs.route;
import static io.switchyard.testkit.Configs.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/** Hot swaps under load, and a table of 100,000 routes end to end. */
class TableSwapTest {
    private static final int TUNNELS = 50;
    private static final int SWAPS = 1000;

    private static Snapshot version(long v, EchoUpstream target) {
        // Odd versions carry an extra route so consecutive configs always differ (and really recompile).
        List<Route> routes = new ArrayList<>(List.of(route("all", "/", "app")));
        if (v % 2 == 1) routes.add(route("extra-" + v, "/extra", "app"));
        return new Snapshot(v, new Config(null, List.of(upstream("app", Balance.LEAST_CONN, target.address())), routes, null));
    }

    @Test
    void swapsTheTable1000TimesWhile50TunnelsStreamWithoutLossReorderOrClose() throws Exception {
        try (EchoUpstream a = new EchoUpstream("a"); EchoUpstream b = new EchoUpstream("b");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(version(1, a));
            String uri = "ws://127.0.0.1:" + dp.listenAddress().getPort() + "/stream";
            List<WsClient> clients = new ArrayList<>();
            for (int i = 0; i < TUNNELS; i++) clients.add(WsClient.connect(uri));
            AtomicBoolean swapping = new AtomicBoolean(true);
            ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
            ExecutorService pool = Executors.newFixedThreadPool(TUNNELS);
            List<Future<Integer>> streams = new ArrayList<>();
            try {
                for (int i = 0; i < TUNNELS; i++) {
                    WsClient c = clients.get(i);
                    int id = i;
                    streams.add(pool.submit(() -> {
                        int seq = 0;
                        // Keep streaming for as long as swaps happen, and at least 40 messages.
                        while (swapping.get() || seq < 40) {
                            String msg = "client-" + id + " seq-" + seq;
                            c.sendText(msg);
                            String back = c.nextText();
                            if (!back.equals(EchoUpstream.PREFIX + msg)) {
                                problems.add("client " + id + " expected " + msg + " got " + back);
                                break;
                            }
                            seq++;
                        }
                        return seq;
                    }));
                }
                for (long v = 2; v <= SWAPS + 1; v++) {
                    EchoUpstream target = v % 2 == 0 ? b : a;
                    assertThat(dp.apply(version(v, target))).isTrue();
                    if (v % 100 == 0) {
                        // A new handshake follows the newest table.
                        try (WsClient probe = WsClient.connect(uri)) {
                            assertThat(probe.whoami()).isEqualTo(target.name());
                        }
                    }
                }
                swapping.set(false);
                long total = 0;
                for (Future<Integer> f : streams) total += f.get(60, TimeUnit.SECONDS);
                assertThat(problems).isEmpty();
                assertThat(total).isGreaterThanOrEqualTo(TUNNELS * 40L);
                for (WsClient c : clients) assertThat(c.closed).as("tunnel closed during swaps").isNotDone();
                assertThat(dp.appliedVersion()).isEqualTo(SWAPS + 1);
                // All 50 tunnels still on the target they were opened with, which left the table long ago.
                for (WsClient c : clients) assertThat(c.whoami()).isEqualTo("a");
            } finally {
                pool.shutdownNow();
                clients.forEach(WsClient::close);
            }
        }
    }

    @Test
    void servesTheLastOf100000RoutesAfterCompileAndApply() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("big"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            List<Route> routes = new ArrayList<>(100_000);
            for (int i = 0; i < 100_000; i++)
                routes.add(new Route("r" + i, List.of("h" + i + ".example.com"), "/p" + i, "app"));
            Config config = new Config(null, List.of(upstream("app", Balance.ROUND_ROBIN, echo.address())), routes, null);
            assertThat(dp.apply(new Snapshot(7, config))).isTrue();
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                RawHttp.Response last = c.send(RawHttp.get("/p99999/x", "h99999.example.com")).read();
                assertThat(last.status()).isEqualTo(200);
                assertThat(last.text()).startsWith("GET /p99999/x ");
                assertThat(c.send(RawHttp.get("/p99998", "h99999.example.com")).read().status()).isEqualTo(404);
                assertThat(c.send(RawHttp.get("/p0", "H0.Example.COM:80")).read().status()).isEqualTo(200);
                assertThat(c.send(RawHttp.get("/p50000", "h50000.example.com")).read().status()).isEqualTo(200);
            }
            // A second apply that changes one route recompiles the whole table and keeps serving.
            routes.set(99_999, new Route("r99999", List.of("h99999.example.com"), "/moved", "app"));
            assertThat(dp.apply(new Snapshot(8, config.withRoutes(routes)))).isTrue();
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                assertThat(c.send(RawHttp.get("/moved", "h99999.example.com")).read().status()).isEqualTo(200);
                assertThat(c.send(RawHttp.get("/p99999", "h99999.example.com")).read().status()).isEqualTo(404);
            }
        }
    }
}
