package io.switchyard.dataplane;

import io.switchyard.config.Balance;
import io.switchyard.config.Config;
import io.switchyard.config.Snapshot;
import io.switchyard.config.Timeouts;
import io.switchyard.config.Upstream;
import io.switchyard.testkit.ClosedPort;
import io.switchyard.testkit.Configs;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.RawHttp;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.switchyard.testkit.Configs.route;
import static io.switchyard.testkit.Configs.routeBuilder;
import static io.switchyard.testkit.Configs.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/** Field guide scenarios 5 (headers) and 7 (plain HTTP apps by path), plus error answers, over real sockets. */
class HttpProxyTest {

    private static String line(String echoed, String header) {
        for (String l : echoed.split("\n")) {
            int colon = l.indexOf(':');
            if (colon > 0 && l.substring(0, colon).equalsIgnoreCase(header)) return l.substring(colon + 1).trim();
        }
        return null;
    }

    @Test
    void forwardsClientAndProxyHeadersAndDropsHopByHopOnes() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                String echoed = c.send("GET /path?q=1 HTTP/1.1\r\nHost: Example.com:8080\r\n"
                        + "X-Forwarded-For: 203.0.113.7\r\nConnection: keep-alive, X-Secret-Hop\r\nX-Secret-Hop: 1\r\n"
                        + "Keep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Connection: keep-alive\r\nUpgrade: h2c\r\n"
                        + "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nX-App: kept\r\n\r\n").read().text();
                assertThat(echoed).startsWith("GET /path?q=1 HTTP/1.1\n");
                assertThat(line(echoed, "Host")).isEqualTo(echo.address()); // preserve_host is off
                assertThat(line(echoed, "X-Real-IP")).isEqualTo("127.0.0.1");
                assertThat(line(echoed, "X-Forwarded-For")).isEqualTo("203.0.113.7, 127.0.0.1");
                assertThat(line(echoed, "X-Forwarded-Proto")).isEqualTo("http");
                assertThat(line(echoed, "X-Forwarded-Host")).as("validated and normalized").isEqualTo("example.com:8080");
                assertThat(line(echoed, "X-App")).isEqualTo("kept");
                for (String hop : List.of("X-Secret-Hop", "Keep-Alive", "TE", "Proxy-Connection", "Upgrade", "HTTP2-Settings"))
                    assertThat(line(echoed, hop)).as(hop).isNull();
                assertThat(line(echoed, "Connection")).isNull();
            }
        }
    }

    @Test
    void servesTheJdkHttpClientWhichOffersH2cAndStreamsAChunkedUpload() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient(); // HTTP/2 preferred: sends Upgrade: h2c
            java.net.URI base = java.net.URI.create("http://127.0.0.1:" + dp.listenAddress().getPort());
            var get = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/jdk")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(get.statusCode()).isEqualTo(200);
            assertThat(get.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_1_1);
            assertThat(get.body()).startsWith("GET /jdk HTTP/1.1\n").doesNotContainIgnoringCase("upgrade")
                    .doesNotContainIgnoringCase("http2-settings");
            byte[] upload = new byte[300_000];
            new Random(3).nextBytes(upload);
            var post = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/upload"))
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(upload))).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            assertThat(post.statusCode()).isEqualTo(200);
            assertThat(sha(tail(post.body(), upload.length))).isEqualTo(sha(upload));
        }
    }

    @Test
    void preserveHostPassesTheClientsHost() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.snapshot(1, List.of(upstream("app", Balance.ROUND_ROBIN, echo.address())),
                    List.of(routeBuilder("r", "/", "app").preserveHost().build())));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                String echoed = c.send(RawHttp.get("/", "chat.example.com")).read().text();
                assertThat(line(echoed, "Host")).isEqualTo("chat.example.com");
            }
        }
    }

    @Test
    void headersAccumulateBehindTwoProxiesAndTheEdgeDoesNotPassTheClientHost() throws Exception {
        try (EchoUpstream app = new EchoUpstream("app");
             DataPlane gateway = DataPlane.start(DataPlaneSettings.loopback());
             DataPlane edge = DataPlane.start(DataPlaneSettings.loopback())) {
            String gatewayAddress = "127.0.0.1:" + gateway.listenAddress().getPort();
            gateway.apply(Configs.snapshot(1, List.of(upstream("app", Balance.ROUND_ROBIN, app.address())),
                    List.of(routeBuilder("gw", "/", "app").hosts(gatewayAddress.split(":")[0]).preserveHost().build())));
            edge.apply(Configs.simple(1, Balance.ROUND_ROBIN, gatewayAddress));
            try (RawHttp c = new RawHttp(edge.listenAddress())) {
                String echoed = c.send("GET /x HTTP/1.1\r\nHost: public.example.com\r\nX-Forwarded-For: 198.51.100.1\r\n\r\n")
                        .read().text();
                assertThat(line(echoed, "X-Forwarded-For")).isEqualTo("198.51.100.1, 127.0.0.1, 127.0.0.1");
                assertThat(line(echoed, "Host")).isEqualTo(gatewayAddress); // the gateway preserved the edge's choice
                assertThat(line(echoed, "X-Forwarded-Host")).isEqualTo(gatewayAddress);
                assertThat(line(echoed, "X-Real-IP")).isEqualTo("127.0.0.1");
            }
        }
    }

    @Test
    void routesByLongestPathPrefixAndStripsItWhenAsked() throws Exception {
        try (EchoUpstream tomcat = new EchoUpstream("tomcat"); EchoUpstream web = new EchoUpstream("web");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.snapshot(1,
                    List.of(upstream("tomcat", Balance.ROUND_ROBIN, tomcat.address()), upstream("web", Balance.ROUND_ROBIN, web.address())),
                    List.of(routeBuilder("tomcat", "/Tomcat", "tomcat").stripPrefix().build(), route("web", "/", "web"))));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                RawHttp.Response r1 = c.send(RawHttp.get("/Tomcat/manager?x=1", "h")).read();
                assertThat(r1.header("X-Echo-Server")).isEqualTo("tomcat");
                assertThat(r1.text()).startsWith("GET /manager?x=1 ");
                RawHttp.Response r2 = c.send(RawHttp.get("/Tomcatx", "h")).read();
                assertThat(r2.header("X-Echo-Server")).isEqualTo("web");
                RawHttp.Response r3 = c.send(RawHttp.get("/Tomcat", "h")).read();
                assertThat(r3.header("X-Echo-Server")).isEqualTo("tomcat");
                assertThat(r3.text()).startsWith("GET / ");
            }
        }
    }

    @Test
    void streamsContentLengthAndChunkedBodiesIntactInBothDirections() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            byte[] body = new byte[1 << 20];
            new Random(7).nextBytes(body);
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                c.send(("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                c.send(body);
                RawHttp.Response r = c.read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(sha(tail(r.body(), body.length))).isEqualTo(sha(body));

                ByteArrayOutputStream chunked = new ByteArrayOutputStream();
                chunked.writeBytes("POST /chunks HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                for (int off = 0; off < body.length; off += 100_000) {
                    int n = Math.min(100_000, body.length - off);
                    chunked.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    chunked.write(body, off, n);
                    chunked.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                }
                chunked.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                c.send(chunked.toByteArray());
                RawHttp.Response r2 = c.read();
                assertThat(r2.status()).isEqualTo(200);
                assertThat(sha(tail(r2.body(), body.length))).isEqualTo(sha(body));

                int n = 5 * 1024 * 1024 + 17;
                RawHttp.Response r3 = c.send(RawHttp.get("/bytes?n=" + n, "h")).read();
                assertThat(r3.header("transfer-encoding")).isEqualTo("chunked");
                assertThat(r3.body()).hasSize(n);
                for (int i = 0; i < n; i += 4099) assertThat(r3.body()[i]).isEqualTo((byte) (i * 31));
            }
        }
    }

    @Test
    void reframesABodyThatEndsWithTheUpstreamConnectionAsChunked() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            RawHttp.Response r = c.send(RawHttp.get("/until-close", "h")).read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("transfer-encoding")).isEqualTo("chunked");
            assertThat(r.text()).isEqualTo("part one, part two");
            assertThat(c.send(RawHttp.get("/next", "h")).read().status()).as("the client connection stays usable").isEqualTo(200);
        }
    }

    @Test
    void keepsClientAndUpstreamConnectionsAliveAcrossRequests() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                for (int i = 0; i < 20; i++) {
                    RawHttp.Response r = c.send(RawHttp.get("/n" + i, "h")).read();
                    assertThat(r.text()).startsWith("GET /n" + i + " ");
                    assertThat(r.header("connection")).isNull();
                }
            }
            assertThat(echo.connections.get()).isEqualTo(1);
            assertThat(echo.requests.get()).isEqualTo(20);
        }
    }

    @Test
    void retriesABodylessRequestOnAFreshConnectionWhenAPooledOneTurnsOutClosed() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            for (int i = 0; i < 3; i++) {
                RawHttp.Response r = c.send(RawHttp.get("/one-per-connection", "h")).read();
                assertThat(r.status()).isEqualTo(200);
            }
            assertThat(echo.connections.get()).isEqualTo(3);
            assertThat(c.send(RawHttp.get("/plain", "h")).read().status()).isEqualTo(200);
        }
    }

    @Test
    void relaysA100ContinueBeforeTheClientSendsItsBody() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            c.send("POST /expect HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(100);
            RawHttp.Response r = c.send("hello").read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).endsWith("\nhello");
            assertThat(c.send(RawHttp.get("/next", "h")).read().status()).isEqualTo(200);
        }
    }

    @Test
    void concurrentClientsOverPooledConnectionsEachGetTheirOwnAnswers() throws Exception {
        try (EchoUpstream a = new EchoUpstream("a"); EchoUpstream b = new EchoUpstream("b");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.simple(1, Balance.LEAST_CONN, a.address(), b.address()));
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
            List<java.util.concurrent.Future<Integer>> results = new java.util.ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int id = t;
                results.add(pool.submit(() -> {
                    Random rnd = new Random(id);
                    int ok = 0;
                    try (RawHttp c = new RawHttp(dp.listenAddress())) {
                        for (int i = 0; i < 40; i++) {
                            String path = "/c" + id + "/r" + i;
                            byte[] body = new byte[rnd.nextInt(20_000)];
                            rnd.nextBytes(body);
                            c.send(("POST " + path + " HTTP/1.1\r\nHost: h\r\nContent-Length: " + body.length + "\r\n\r\n")
                                    .getBytes(StandardCharsets.ISO_8859_1));
                            c.send(body);
                            RawHttp.Response r = c.read();
                            if (r.status() == 200 && r.text().startsWith("POST " + path + " ")
                                    && Arrays.equals(tail(r.body(), body.length), body)) ok++;
                        }
                    }
                    return ok;
                }));
            }
            int total = 0;
            for (var f : results) total += f.get(60, java.util.concurrent.TimeUnit.SECONDS);
            pool.shutdown();
            assertThat(total).isEqualTo(16 * 40);
            assertThat(a.requests.get() + b.requests.get()).isEqualTo(16 * 40);
            assertThat(Math.min(a.requests.get(), b.requests.get())).as("both targets served").isGreaterThan(0);
            assertThat(a.connections.get() + b.connections.get()).as("upstream connections reused").isLessThanOrEqualTo(64);
        }
    }

    @Test
    void answersPipelinedRequestsInOrder() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                c.send(RawHttp.get("/one", "h") + RawHttp.get("/two", "h") + RawHttp.get("/three", "h"));
                assertThat(c.read().text()).startsWith("GET /one ");
                assertThat(c.read().text()).startsWith("GET /two ");
                assertThat(c.read().text()).startsWith("GET /three ");
            }
        }
    }

    @Test
    void answersHttp10ClientsAndClosesWhenTheyDoNotKeepAlive() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                RawHttp.Response r = c.send("GET /old HTTP/1.0\r\nHost: h\r\n\r\n").read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.text()).startsWith("GET /old HTTP/1.1\n"); // HTTP/1.1 to the backend
                assertThat(c.closedByPeer()).isTrue();
            }
        }
    }

    @Test
    void relaysAHeadResponseWithoutABodyAndKeepsTheConnectionUsable() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            RawHttp.Response head = c.send("HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n").read(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(Integer.parseInt(head.header("content-length"))).isGreaterThan(0);
            assertThat(c.send(RawHttp.get("/after-head", "h")).read().text()).startsWith("GET /after-head ");
        }
    }

    @Test
    void answers404WithoutARouteAndKeepsTheConnection() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.snapshot(1, List.of(upstream("app", Balance.ROUND_ROBIN, echo.address())),
                    List.of(route("api", "/api", "app"))));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                RawHttp.Response r = c.send(RawHttp.get("/other", "h")).read();
                assertThat(r.status()).isEqualTo(404);
                assertThat(r.header("content-type")).startsWith("text/plain");
                assertThat(r.text()).contains("no route");
                assertThat(c.send(RawHttp.get("/api/x", "h")).read().status()).isEqualTo(200);
            }
        }
    }

    @Test
    void answers503WithRetryAfterNever404BeforeTheFirstSnapshot() throws Exception {
        try (DataPlane dp = DataPlane.start(DataPlaneSettings.loopback()); RawHttp c = new RawHttp(dp.listenAddress())) {
            assertThat(dp.appliedVersion()).isEqualTo(-1);
            RawHttp.Response r = c.send(RawHttp.get("/", "h")).read();
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.header("retry-after")).isNotNull();
            assertThat(r.text()).contains("no configuration applied yet");
        }
    }

    @Test
    void answers502WhenEveryTargetRefusesAndTriesTheNextTargetFirst() throws Exception {
        try (ClosedPort closed = new ClosedPort(); EchoUpstream echo = new EchoUpstream("live"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            int dead = closed.port(); // refuses every connection while held
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, "127.0.0.1:" + dead));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                RawHttp.Response r = c.send(RawHttp.get("/", "h")).read();
                assertThat(r.status()).isEqualTo(502);
                assertThat(r.header("content-type")).startsWith("text/plain");
            }
            dp.apply(Configs.simple(2, Balance.ROUND_ROBIN, "127.0.0.1:" + dead, echo.address()));
            for (int i = 0; i < 4; i++) {
                try (RawHttp c = new RawHttp(dp.listenAddress())) {
                    RawHttp.Response r = c.send(RawHttp.get("/", "h")).read();
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.header("X-Echo-Server")).isEqualTo("live");
                }
            }
            // One failed connect while the dead target was alone (a lone target is never held out), one more once it
            // has company; passive checks (max_fails 1) then keep it out of the round.
            assertThat(dp.metrics().upstreamErrors("connect_failed")).isEqualTo(2);
        }
    }

    @Test
    void answers503WhenTheUpstreamHasNoTargets() throws Exception {
        try (DataPlane dp = DataPlane.start(DataPlaneSettings.loopback()); RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(Configs.snapshot(1, List.of(new Upstream("empty", Balance.ROUND_ROBIN, List.of())),
                    List.of(route("r", "/", "empty"))));
            RawHttp.Response r = c.send(RawHttp.get("/", "h")).read();
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.text()).contains("no target");
        }
    }

    @Test
    void answers504WhenTheUpstreamIsSlowerThanTheRoutesReadTimeout() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("slow"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.snapshot(1, List.of(upstream("app", Balance.ROUND_ROBIN, echo.address())),
                    List.of(routeBuilder("fast", "/sleep", "app").timeouts(new Timeouts(null, 300L, null)).build())));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                RawHttp.Response r = c.send(RawHttp.get("/sleep?ms=3000", "h")).read();
                assertThat(r.status()).isEqualTo(504);
                assertThat(r.text()).contains("read_ms 300");
            }
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                assertThat(c.send(RawHttp.get("/sleep?ms=50", "h")).read().status()).isEqualTo(200);
            }
        }
    }

    @Test
    void answers504WhenConnectingTakesLongerThanTheRoutesConnectTimeout() throws Exception {
        // A listener that never accepts, with its backlog filled: further SYNs go unanswered.
        try (ServerSocket stuck = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            List<java.net.Socket> fillers = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    java.net.Socket f = new java.net.Socket();
                    try {
                        f.connect(stuck.getLocalSocketAddress(), 200);
                        fillers.add(f);
                    } catch (java.io.IOException full) {
                        f.close();
                        break;
                    }
                }
                try (DataPlane dp = DataPlane.start(DataPlaneSettings.loopback()); RawHttp c = new RawHttp(dp.listenAddress())) {
                    dp.apply(Configs.snapshot(1, List.of(upstream("app", Balance.ROUND_ROBIN, "127.0.0.1:" + stuck.getLocalPort())),
                            List.of(routeBuilder("r", "/", "app").timeouts(new Timeouts(300L, null, null)).build())));
                    RawHttp.Response r = c.send(RawHttp.get("/", "h")).read();
                    assertThat(r.status()).isEqualTo(504);
                    assertThat(dp.metrics().upstreamErrors("connect_timeout")).isEqualTo(1);
                }
            } finally {
                for (java.net.Socket f : fillers) f.close();
            }
        }
    }

    @Test
    void abandonsTheUpstreamRequestWhenTheClientHangsUpWhileWaiting() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("slow"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            RawHttp c = new RawHttp(dp.listenAddress());
            c.send(RawHttp.get("/sleep?ms=20000", "h"));
            org.awaitility.Awaitility.await().atMost(5, java.util.concurrent.TimeUnit.SECONDS)
                    .until(() -> echo.log.stream().anyMatch(l -> l.startsWith("GET /sleep")));
            c.close();
            org.awaitility.Awaitility.await().atMost(5, java.util.concurrent.TimeUnit.SECONDS).until(() -> dp.openConnections() == 0);
        }
    }

    @Test
    void answers502WhenTheUpstreamClosesWithoutAnswering() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("rude"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            RawHttp.Response r = c.send(RawHttp.get("/drop", "h")).read();
            assertThat(r.status()).isEqualTo(502);
            assertThat(c.send(RawHttp.get("/fine", "h")).read().status()).isEqualTo(200);
        }
    }

    @Test
    void rejectsAnInvalidSnapshotAndKeepsServingTheLastGoodOne() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            assertThat(dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()))).isTrue();
            Config withKeyless = new Config(null, List.of(upstream("app", Balance.ROUND_ROBIN, echo.address())),
                    List.of(route("all", "/", "app")), List.of(new io.switchyard.config.Certificate("c", List.of("x.example"),
                    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", null, false)));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> dp.apply(new Snapshot(2, withKeyless)))
                    .isInstanceOf(io.switchyard.config.ConfigException.class)
                    .hasMessageContaining("key_pem");
            assertThat(dp.appliedVersion()).isEqualTo(1);
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                assertThat(c.send(RawHttp.get("/", "h")).read().status()).isEqualTo(200);
            }
            assertThat(dp.apply(Configs.simple(3, Balance.ROUND_ROBIN, echo.address()))).isFalse();
            assertThat(dp.appliedVersion()).isEqualTo(3);
        }
    }

    private static byte[] tail(byte[] all, int n) {
        return Arrays.copyOfRange(all, all.length - n, all.length);
    }

    private static String sha(byte[] b) throws Exception {
        return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
