package io.switchyard.dataplane;

import io.switchyard.config.Balance;
import io.switchyard.config.Timeouts;
import io.switchyard.testkit.Configs;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.RawHttp;
import io.switchyard.testkit.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.switchyard.testkit.Configs.route;
import static io.switchyard.testkit.Configs.routeBuilder;
import static io.switchyard.testkit.Configs.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Field guide scenarios 2 (upgrade only when asked), 3 (balancing WebSocket servers) and 4 (idle tunnels). */
class WebSocketTest {

    private static String ws(DataPlane dp, String path) {
        return "ws://127.0.0.1:" + dp.listenAddress().getPort() + path;
    }

    private static final String HANDSHAKE_KEY = "dGhlIHNhbXBsZSBub25jZQ==";

    private static String handshake(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + HANDSHAKE_KEY + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    }

    @Test
    void echoesTextThroughATunnelAndLogsIt() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            try (WsClient c = WsClient.connect(ws(dp, "/"))) {
                c.sendText("Hello");
                assertThat(c.nextText()).isEqualTo("Server received from client: Hello");
                assertThat(dp.openTunnels()).isEqualTo(1);
                assertThat(dp.metrics().render(0, 0, 0)).contains("switchyard_websocket_handshakes_total 1");
            }
            await().atMost(5, TimeUnit.SECONDS).until(() -> dp.openTunnels() == 0);
            assertThat(dp.metrics().tunnelsClosed("all", "client_closed")).isEqualTo(1);
        }
    }

    @Test
    void relaysFrameBytesThatArriveTogetherWithThe101() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            try (WsClient c = WsClient.connect(ws(dp, "/greet"))) {
                assertThat(c.nextText()).isEqualTo("welcome");
                c.sendText("and then");
                assertThat(c.nextText()).isEqualTo(EchoUpstream.PREFIX + "and then");
            }
        }
    }

    @Test
    void passesTheHandshakeHeadersUpstreamAndTheAcceptBack() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            RawHttp.Response r = c.send(handshake("/chat?room=1")).read();
            assertThat(r.status()).isEqualTo(101);
            assertThat(r.header("upgrade")).isEqualToIgnoringCase("websocket");
            assertThat(r.header("connection")).isEqualToIgnoringCase("upgrade");
            assertThat(r.header("sec-websocket-accept")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
            String seen = echo.log.peek();
            assertThat(seen).startsWith("GET /chat?room=1 HTTP/1.1");
            assertThat(seen).containsIgnoringCase("upgrade: websocket").containsIgnoringCase("connection: upgrade")
                    .contains("Sec-WebSocket-Key: " + HANDSHAKE_KEY).contains("X-Forwarded-For: 127.0.0.1");
            await().atMost(5, TimeUnit.SECONDS).until(() -> dp.openTunnels() == 1);
        }
    }

    @Test
    void refusesAnIncompleteUpgradeInsteadOfDowngradingItToPlainHttp() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            // No Sec-WebSocket-Key: it asks for WebSocket but is no valid handshake; neither tunnelled nor downgraded.
            RawHttp.Response r = c.send("GET /plain HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.text()).contains("Sec-WebSocket-Key");
            assertThat(echo.requests.get()).isZero();
            assertThat(echo.handshakes.get()).isZero();
            assertThat(dp.openTunnels()).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"403", "200", "bad-accept"})
    void aRefusedUpgradeLeavesNoTunnelAndTheConnectionServesTheNextRequest(String how) throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            RawHttp.Response r = c.send(handshake("/refuse/" + how)).read();
            int expected = how.equals("bad-accept") ? 502 : Integer.parseInt(how);
            assertThat(r.status()).isEqualTo(expected);
            assertThat(dp.openTunnels()).isZero();
            RawHttp.Response next = c.send(RawHttp.get("/next", "h")).read();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.text()).startsWith("GET /next ");
            assertThat(dp.openTunnels()).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"round_robin", "least_conn"})
    void spreadsTunnelsOverBothTargets(String balance) throws Exception {
        try (EchoUpstream a = new EchoUpstream("a"); EchoUpstream b = new EchoUpstream("b");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.simple(1, Balance.fromWire(balance), a.address(), b.address()));
            List<WsClient> clients = new ArrayList<>();
            try {
                List<String> served = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    WsClient c = WsClient.connect(ws(dp, "/"));
                    clients.add(c);
                    served.add(c.whoami());
                }
                assertThat(served).containsOnly("a", "b");
                assertThat(served.stream().filter("a"::equals).count()).isEqualTo(3);
            } finally {
                clients.forEach(WsClient::close);
            }
        }
    }

    @Test
    void ipHashKeepsAClientOnOneTarget() throws Exception {
        try (EchoUpstream a = new EchoUpstream("a"); EchoUpstream b = new EchoUpstream("b");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.simple(1, Balance.IP_HASH, a.address(), b.address()));
            Set<String> served = new HashSet<>();
            for (int i = 0; i < 8; i++) {
                try (WsClient c = WsClient.connect(ws(dp, "/"))) {
                    served.add(c.whoami());
                }
            }
            assertThat(served).hasSize(1);
        }
    }

    @Test
    void relays1MiBFramesIntactInBothDirections() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             WsClient c = connectAfterApply(dp, echo)) {
            Random rnd = new Random(42);
            for (int i = 0; i < 3; i++) {
                byte[] payload = new byte[1 << 20];
                rnd.nextBytes(payload);
                c.sendBinary(payload);
                byte[] back = c.nextBinary();
                assertThat(back).hasSize(payload.length);
                assertThat(sha(back)).isEqualTo(sha(payload));
            }
            String big = "x".repeat(1 << 20);
            c.sendText(big);
            assertThat(c.nextText()).isEqualTo(EchoUpstream.PREFIX + big);
        }
    }

    @Test
    void aClientThatStopsReadingStopsTheUpstreamInsteadOfFillingTheProxy() throws Exception {
        long limit = 512L << 20; // what the upstream would push if nothing pushed back
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            try (java.net.Socket s = RawHttp.connect(dp.listenAddress(), 64 * 1024)) {
                s.setSoTimeout(10_000);
                var out = s.getOutputStream();
                var in = s.getInputStream();
                upgrade(out, in, "/");
                out.write(DrainTest.maskedText("flood " + limit));
                out.flush();
                // The client reads nothing: once the socket buffers of both hops are full, the upstream must stall.
                await().atMost(10, TimeUnit.SECONDS).pollInterval(200, TimeUnit.MILLISECONDS).until(new java.util.concurrent.Callable<>() {
                    long last = -1;

                    @Override
                    public Boolean call() {
                        long now = echo.flooded.get();
                        boolean stalled = now > 0 && now == last;
                        last = now;
                        return stalled;
                    }
                });
                long stalledAt = echo.flooded.get();
                System.out.println("upstream stalled after " + stalledAt + " bytes with the client not reading");
                assertThat(stalledAt).as("bytes the upstream got rid of while the client read nothing").isLessThan(64L << 20);
                // Reading resumes the flow end to end.
                in.readNBytes(8 << 20);
                await().atMost(10, TimeUnit.SECONDS).until(() -> echo.flooded.get() > stalledAt);
            }
        }
    }

    @Test
    void cutsATunnelWhoseClientTakesNothingForTheRoutesSendTimeout() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.snapshot(1, List.of(upstream("app", Balance.ROUND_ROBIN, echo.address())),
                    List.of(routeBuilder("push", "/", "app").timeouts(new Timeouts(null, null, 500L)).build())));
            try (java.net.Socket s = RawHttp.connect(dp.listenAddress(), 64 * 1024)) {
                var out = s.getOutputStream();
                var in = s.getInputStream();
                upgrade(out, in, "/");
                out.write(DrainTest.maskedText("flood " + (256L << 20)));
                out.flush();
                await().atMost(10, TimeUnit.SECONDS).until(() -> dp.metrics().tunnelsClosed("push", "idle_timeout") == 1);
                assertThat(dp.metrics().upstreamErrors("send_timeout")).as("the client was slow, not the upstream").isZero();
                assertThat(dp.openTunnels()).isZero();
            }
        }
    }

    private static WsClient connectAfterApply(DataPlane dp, EchoUpstream echo) {
        dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
        return WsClient.connect(ws(dp, "/"));
    }

    @Test
    void closesAnIdleTunnelAfterItsRoutesReadTimeoutButNotOneWithALongerLimit() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.snapshot(1, List.of(upstream("app", Balance.ROUND_ROBIN, echo.address())), List.of(
                    // 2 s: a loaded 2-core machine can stall a JVM for a good part of a second; pings every 200 ms stay well inside.
                    routeBuilder("short", "/short", "app").timeouts(new Timeouts(null, 2000L, 2000L)).build(),
                    routeBuilder("long", "/long", "app").timeouts(new Timeouts(null, 60_000L, 60_000L)).build())));
            try (WsClient shortOne = WsClient.connect(ws(dp, "/short")); WsClient longOne = WsClient.connect(ws(dp, "/long"))) {
                // Activity keeps the short one open past its limit...
                for (int i = 0; i < 14; i++) {
                    shortOne.sendText("ping " + i);
                    assertThat(shortOne.nextText()).endsWith("ping " + i);
                    Thread.sleep(200);
                }
                // ...silence closes it.
                assertThat(shortOne.closed.get(10, TimeUnit.SECONDS)).isNotNull();
                await().atMost(5, TimeUnit.SECONDS).until(() -> dp.metrics().tunnelsClosed("short", "idle_timeout") == 1);
                assertThat(longOne.closed).isNotDone();
                longOne.sendText("still here");
                assertThat(longOne.nextText()).endsWith("still here");
                assertThat(dp.openTunnels()).isEqualTo(1);
            }
        }
    }

    @Test
    void tunnelsSurviveTheUpstreamClosingOthersAndCountWhoClosed() throws Exception {
        try (EchoUpstream dropping = new EchoUpstream("a"); EchoUpstream staying = new EchoUpstream("b");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.snapshot(1, List.of(upstream("drops", Balance.ROUND_ROBIN, dropping.address()),
                            upstream("stays", Balance.ROUND_ROBIN, staying.address())),
                    List.of(route("dropped", "/leaving", "drops"), route("kept", "/keep", "stays"))));
            try (WsClient kept = WsClient.connect(ws(dp, "/keep"));
                 java.net.Socket s = RawHttp.connect(dp.listenAddress(), 64 * 1024)) {
                // The closing tunnel's client is a plain socket: what the proxy does to the connection (its end, once the
                // upstream's ends) is read off the wire. The JDK's client, when the end comes right behind a message,
                // sometimes never reads it (a CLOSE-WAIT socket with nothing unread, seen about once in 30 runs on a
                // loaded machine), so it cannot tell this proxy's behaviour apart from its own.
                s.setSoTimeout(15_000);
                var out = s.getOutputStream();
                var in = s.getInputStream();
                upgrade(out, in, "/leaving");
                out.write(DrainTest.maskedText("hi"));
                out.flush();
                assertThat(in.read()).as("a final text frame").isEqualTo(0x81);
                int len = in.read();
                assertThat(len).as("an unmasked payload under 126 bytes").isLessThan(126);
                assertThat(new String(in.readNBytes(len), java.nio.charset.StandardCharsets.UTF_8)).endsWith(": hi");

                dropping.dropConnections();
                assertThat(in.read()).as("the client's connection ends with the upstream's").isEqualTo(-1);
                await().atMost(10, TimeUnit.SECONDS).until(() -> dp.metrics().tunnelsClosed("dropped", "upstream_closed") == 1);

                kept.sendText("still here");
                assertThat(kept.nextText()).endsWith("still here");
                assertThat(kept.closed).isNotDone();
                assertThat(dp.openTunnels()).isEqualTo(1);
                assertThat(dp.metrics().tunnelsClosed("kept", "upstream_closed")).isZero();
            }
        }
    }

    /** Sends the upgrade for {@code path} on a plain socket and reads the answer's head, which must be a 101. */
    private static void upgrade(java.io.OutputStream out, java.io.InputStream in, String path) throws java.io.IOException {
        out.write(handshake(path).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.flush();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) throw new AssertionError("closed during the upgrade: " + head);
            head.append((char) c);
        }
        assertThat(head.toString()).startsWith("HTTP/1.1 101");
    }

    private static String sha(byte[] b) throws Exception {
        return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
