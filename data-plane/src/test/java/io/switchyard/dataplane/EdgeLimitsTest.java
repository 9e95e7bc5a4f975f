package io.switchyard.dataplane;

import io.switchyard.config.Balance;
import io.switchyard.config.Config;
import io.switchyard.config.Snapshot;
import io.switchyard.config.Timeouts;
import io.switchyard.testkit.Configs;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.RawHttp;
import io.switchyard.testkit.RecordingUpstream;
import io.switchyard.testkit.TestCerts;
import io.switchyard.testkit.WsClient;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static io.switchyard.testkit.Configs.routeBuilder;
import static io.switchyard.testkit.Configs.upstream;

/** Issue 9's limits and trust: trusted_proxies, client_body_timeout, max_connections, max_tunnels, TLS policy, readiness. */
class EdgeLimitsTest {

    private static Snapshot withSettings(long version, String upstreamAddress, List<String> trusted, Long bodyTimeoutMs,
                                         Integer maxConnections, Integer maxTunnels) {
        Config base = Configs.simple(version, Balance.ROUND_ROBIN, upstreamAddress).config();
        return new Snapshot(version, new Config(base.timeouts(), base.upstreams(), base.routes(), base.certificates(),
                trusted, bodyTimeoutMs, maxConnections, maxTunnels));
    }

    @Test
    void theRealClientIsTheRightmostAddressNotATrustedProxy() throws Exception {
        try (RecordingUpstream up = new RecordingUpstream(); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            // Untrusted peer: its X-Forwarded-For is kept (appended to) but not believed.
            dp.apply(withSettings(1, up.address(), List.of(), null, null, null));
            send(dp, "X-Forwarded-For: 203.0.113.7, 10.0.0.1\r\nX-Forwarded-Proto: https\r\n");
            RecordingUpstream.Request r = up.requests.poll();
            assertThat(r.header("X-Real-IP")).isEqualTo("127.0.0.1");
            assertThat(r.header("X-Forwarded-Proto")).isEqualTo("http");
            assertThat(r.header("X-Forwarded-For")).isEqualTo("203.0.113.7, 10.0.0.1, 127.0.0.1");

            // The peer is trusted, 10.0.0.1 is not: the client is 10.0.0.1 (a spoofed 203.0.113.7 left of it is ignored).
            dp.apply(withSettings(2, up.address(), List.of("127.0.0.0/8"), null, null, null));
            send(dp, "X-Forwarded-For: 203.0.113.7, 10.0.0.1\r\nX-Forwarded-Proto: https\r\n");
            r = up.requests.poll();
            assertThat(r.header("X-Real-IP")).isEqualTo("10.0.0.1");
            assertThat(r.header("X-Forwarded-Proto")).as("a trusted proxy's word is kept").isEqualTo("https");

            // Both hops trusted: recursion goes on to the first address that is not (nginx's real_ip_recursive).
            dp.apply(withSettings(3, up.address(), List.of("127.0.0.1/32", "10.0.0.0/8"), null, null, null));
            send(dp, "X-Forwarded-For: 203.0.113.7, 10.0.0.1\r\n");
            assertThat(up.requests.poll().header("X-Real-IP")).isEqualTo("203.0.113.7");
        }
    }

    private static void send(DataPlane dp, String extraHeaders) throws IOException {
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            assertThat(c.send("GET /who HTTP/1.1\r\nHost: h\r\n" + extraHeaders + "\r\n").read().status()).isEqualTo(200);
        }
    }

    @Test
    void aBodyThatStopsArrivingGets408AndBothConnectionsClose() throws Exception {
        try (RecordingUpstream up = new RecordingUpstream(); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(withSettings(1, up.address(), List.of(), 500L, null, null));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                long t0 = System.nanoTime();
                RawHttp.Response r = c.send("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc").read();
                assertThat(r.status()).isEqualTo(408);
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(400L, 5000L);
                assertThat(c.closedByPeer()).isTrue();
            }
            // The upstream got a head and 3 of 10 bytes, then its connection closed: it never parsed a whole request.
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(3)).until(() -> up.requests.isEmpty());
        }
    }

    @Test
    void aClientThatTakesNoneOfALargeAnswerIsCutAfterTheRoutesSendTimeout() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.snapshot(1, List.of(upstream("app", Balance.ROUND_ROBIN, echo.address())),
                    List.of(routeBuilder("dl", "/", "app").timeouts(new Timeouts(null, null, 500L)).build())));
            try (java.net.Socket s = RawHttp.connect(dp.listenAddress(), 64 * 1024)) {
                s.getOutputStream().write(RawHttp.get("/bytes?n=" + (256L << 20), "h").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                await().atMost(3, TimeUnit.SECONDS).until(() -> dp.openConnections() == 1);
                // Never read: the proxy's buffer toward this client fills and stays full, so the send limit cuts it.
                await().atMost(10, TimeUnit.SECONDS).until(() -> dp.openConnections() == 0);
                assertThat(dp.metrics().upstreamErrors("send_timeout")).as("the client was slow, not the upstream").isZero();
            }
        }
    }

    @Test
    void connectionsOverMaxConnectionsGet503WithRetryAfterAndTheListenerStaysUp() throws Exception {
        try (RecordingUpstream up = new RecordingUpstream(); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp first = new RawHttp(dp.listenAddress()); RawHttp second = new RawHttp(dp.listenAddress())) {
            dp.apply(withSettings(1, up.address(), List.of(), null, 2, null));
            await().atMost(Duration.ofSeconds(3)).until(() -> dp.openConnections() == 2);
            try (RawHttp third = new RawHttp(dp.listenAddress())) {
                RawHttp.Response r = third.send(RawHttp.get("/over", "h")).read();
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.header("retry-after")).isNotNull();
                assertThat(third.closedByPeer()).isTrue();
            }
            assertThat(dp.metrics().refusedCount("max_connections")).isEqualTo(1);
            assertThat(first.send(RawHttp.get("/within", "h")).read().status()).isEqualTo(200);
            assertThat(up.targets()).containsExactly("GET /within");
        }
    }

    @Test
    void handshakesOverMaxTunnelsGet503WithRetryAfterAndOpenTunnelsKeepFlowing() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(withSettings(1, echo.address(), List.of(), null, null, 1));
            String uri = "ws://127.0.0.1:" + dp.listenAddress().getPort() + "/chat";
            try (WsClient open = WsClient.connect(uri)) {
                await().atMost(Duration.ofSeconds(5)).until(() -> dp.openTunnels() == 1);
                try (RawHttp c = new RawHttp(dp.listenAddress())) {
                    RawHttp.Response r = c.send("GET /chat HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").read();
                    assertThat(r.status()).isEqualTo(503);
                    assertThat(r.header("retry-after")).isNotNull();
                }
                assertThat(dp.metrics().refusedCount("max_tunnels")).isEqualTo(1);
                open.sendText("still here");
                assertThat(open.nextText()).isEqualTo(EchoUpstream.PREFIX + "still here");
            }
        }
    }

    @Test
    void anUpstreamThatSwitchesProtocolsUnaskedGets502AndTheConnectionCloses() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            RawHttp.Response r = c.send(RawHttp.get("/switch-unasked", "h")).read();
            assertThat(r.status()).isEqualTo(502);
            assertThat(c.closedByPeer()).isTrue();
            assertThat(dp.openTunnels()).isZero();
        }
    }

    @Test
    void theTlsListenerRefusesCiphersWithoutForwardSecrecyAndShowsItsPolicy() throws Exception {
        TestCerts.Pem cert = TestCerts.selfSigned("a.example.com").create();
        try (EchoUpstream echo = new EchoUpstream("a");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback().withTlsListen(new InetSocketAddress("127.0.0.1", 0)))) {
            Config base = Configs.simple(1, Balance.ROUND_ROBIN, echo.address()).config();
            dp.apply(new Snapshot(1, base.withCertificates(List.of(cert.defaultCertificate("a", List.of("a.example.com"))))));
            // Control: a forward-secret AEAD suite over TLS 1.2 is served.
            try (SSLSocket ok = handshake(dp, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")) {
                assertThat(ok.getSession().getCipherSuite()).isEqualTo("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
            }
            // Static RSA key exchange (no forward secrecy) and CBC are refused.
            assertThatThrownBy(() -> handshake(dp, "TLS_RSA_WITH_AES_128_GCM_SHA256").close()).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> handshake(dp, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA").close()).isInstanceOf(IOException.class);
            try (RawHttp c = new RawHttp(dp.statusAddress())) {
                assertThat(c.send(RawHttp.get("/status", "s")).read().text()).contains("\"tls_policy\":\"intermediate\"");
            }
        }
    }

    private static SSLSocket handshake(DataPlane dp, String suite) throws Exception {
        SSLSocket s = (SSLSocket) TestCerts.trustingAll().getSocketFactory()
                .createSocket(dp.tlsAddress().getHostString(), dp.tlsAddress().getPort());
        s.setEnabledProtocols(new String[]{"TLSv1.2"});
        s.setEnabledCipherSuites(new String[]{suite});
        s.setSoTimeout(5000);
        s.startHandshake();
        return s;
    }

    @Test
    void readinessFollowsStartingServingAndDraining() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.create(DataPlaneSettings.loopback())) {
            assertThat(ready(dp)).as("status listener up, nothing applied").isEqualTo(503);
            assertThat(dp.state()).isEqualTo(DataPlane.State.STARTING);
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            assertThat(ready(dp)).as("applied, not listening yet").isEqualTo(503);
            assertThat(dp.listenAddress()).isNull();
            dp.listen();
            assertThat(ready(dp)).isEqualTo(200);
            assertThat(statusState(dp)).isEqualTo("serving");
            WsClient tunnel = WsClient.connect("ws://127.0.0.1:" + dp.listenAddress().getPort() + "/chat");
            await().atMost(Duration.ofSeconds(5)).until(() -> dp.openTunnels() == 1);
            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(dp::shutdownGracefully);
            await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(dp.state()).isEqualTo(DataPlane.State.DRAINING));
            assertThat(ready(dp)).as("draining: the tunnel holds the process open").isEqualTo(503);
            assertThat(statusState(dp)).isEqualTo("draining");
            shutdown.get(10, TimeUnit.SECONDS);
            assertThat(tunnel.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1001);
        }
    }

    private static int ready(DataPlane dp) throws IOException {
        try (RawHttp c = new RawHttp(dp.statusAddress())) {
            return c.send(RawHttp.get("/ready", "s")).read().status();
        }
    }

    private static String statusState(DataPlane dp) throws IOException {
        try (RawHttp c = new RawHttp(dp.statusAddress())) {
            String json = c.send(RawHttp.get("/status", "s")).read().text();
            int i = json.indexOf("\"state\":\"");
            return json.substring(i + 9, json.indexOf('"', i + 9));
        }
    }
}
