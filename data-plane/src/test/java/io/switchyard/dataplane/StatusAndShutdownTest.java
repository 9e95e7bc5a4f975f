package io.switchyard.dataplane;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchyard.config.Balance;
import io.switchyard.config.ConfigMapper;
import io.switchyard.testkit.ClosedPort;
import io.switchyard.testkit.Configs;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.RawHttp;
import io.switchyard.testkit.WsClient;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The status listener, and graceful shutdown. */
class StatusAndShutdownTest {

    @Test
    void statusReportsNodeVersionConnectionsTunnelsAndExtras() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.simple(5, Balance.ROUND_ROBIN, echo.address()));
            dp.putStatus("control_plane", Map.of("connected", true));
            try (WsClient ws = WsClient.connect("ws://127.0.0.1:" + dp.listenAddress().getPort() + "/")) {
                ws.sendText("x");
                ws.nextText();
                try (RawHttp c = new RawHttp(dp.statusAddress())) {
                    RawHttp.Response r = c.send(RawHttp.get("/status", "status")).read();
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.header("content-type")).isEqualTo("application/json");
                    JsonNode j = ConfigMapper.mapper().readTree(r.body());
                    assertThat(j.get("node_id").asText()).isEqualTo("test-node");
                    assertThat(j.get("applied_version").asLong()).isEqualTo(5);
                    assertThat(j.get("open_tunnels").asLong()).isEqualTo(1);
                    assertThat(j.get("open_connections").asLong()).isEqualTo(1);
                    assertThat(j.get("routes").asInt()).isEqualTo(1);
                    assertThat(j.get("listen").asText()).endsWith(":" + dp.listenAddress().getPort());
                    // "not_loaded" until something in this JVM used TLS (another test may have): WarmupTest checks a plain node's process.
                    assertThat(j.get("tls_provider").asText()).isIn("not_loaded", "openssl", "jdk");
                    assertThat(j.get("control_plane").get("connected").asBoolean()).isTrue();
                    assertThat(c.send(RawHttp.get("/nope", "status")).read().status()).isEqualTo(404);
                    assertThat(c.send("POST /status HTTP/1.1\r\nHost: s\r\nContent-Length: 0\r\n\r\n").read().status()).isEqualTo(405);
                }
            }
        }
    }

    @Test
    void metricsCountRequestsByClassHandshakesTunnelsBytesAndUpstreamErrors() throws Exception {
        try (ClosedPort closed = new ClosedPort(); EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            int dead = closed.port(); // refuses every connection while held
            dp.apply(Configs.snapshot(1, java.util.List.of(Configs.upstream("app", Balance.ROUND_ROBIN, echo.address()),
                            Configs.upstream("dead", Balance.ROUND_ROBIN, "127.0.0.1:" + dead)),
                    java.util.List.of(Configs.route("app", "/", "app"), Configs.route("dead", "/dead", "dead"))));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                c.send(RawHttp.get("/", "h")).read();
                c.send(RawHttp.get("/", "h")).read();
                c.send(RawHttp.get("/dead", "h")).read();
            }
            try (WsClient ws = WsClient.connect("ws://127.0.0.1:" + dp.listenAddress().getPort() + "/")) {
                ws.sendText("x");
                ws.nextText();
                try (RawHttp c = new RawHttp(dp.statusAddress())) {
                    RawHttp.Response r = c.send(RawHttp.get("/metrics", "status")).read();
                    assertThat(r.header("content-type")).startsWith("text/plain; version=0.0.4");
                    String m = r.text();
                    assertThat(m).contains("switchyard_requests_total{code=\"2xx\"} 2")
                            .contains("switchyard_requests_total{code=\"5xx\"} 1")
                            .contains("switchyard_requests_total{code=\"1xx\"} 1")
                            .contains("switchyard_websocket_handshakes_total 1")
                            .contains("switchyard_tunnels_open 1")
                            .contains("switchyard_upstream_errors_total{kind=\"connect_failed\"} 1")
                            .contains("switchyard_applied_version 1")
                            .contains("switchyard_access_log_dropped_total 0");
                    assertThat(value(m, "switchyard_bytes_in_total")).isGreaterThan(100);
                    assertThat(value(m, "switchyard_bytes_out_total")).isGreaterThan(100);
                }
            }
            await().atMost(5, TimeUnit.SECONDS).until(() -> dp.openTunnels() == 0);
            try (RawHttp c = new RawHttp(dp.statusAddress())) {
                assertThat(c.send(RawHttp.get("/metrics", "status")).read().text())
                        .contains("switchyard_tunnels_closed_total{route=\"app\",reason=\"client_closed\"} 1");
            }
        }
    }

    private static long value(String metrics, String name) {
        for (String l : metrics.split("\n")) if (l.startsWith(name + " ")) return Long.parseLong(l.substring(name.length() + 1));
        throw new AssertionError("no " + name);
    }

    @Test
    void refusesToStartOnAPortInUseWithAClearMessage() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            DataPlaneSettings s = new DataPlaneSettings(new InetSocketAddress("127.0.0.1", taken.getLocalPort()), null, null,
                    "n", 1, Duration.ofSeconds(1));
            assertThatThrownBy(() -> DataPlane.start(s)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("listen 127.0.0.1:" + taken.getLocalPort()).hasMessageContaining("in use");
        }
    }

    @Test
    void gracefulShutdownFinishesRequestsThenClosesTunnelsWith1001() throws Exception {
        DataPlaneSettings settings = new DataPlaneSettings(new InetSocketAddress("127.0.0.1", 0), null,
                // A grace well past the idle connection's last-request window (1 s) and the 0.7 s request below, with room
                // for a loaded machine: the tunnel must still be open when the test sends "during" (4 s once ran out).
                new InetSocketAddress("127.0.0.1", 0), "n", 2, Duration.ofMillis(8000));
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(settings)) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            InetSocketAddress listen = dp.listenAddress();
            WsClient ws = WsClient.connect("ws://127.0.0.1:" + listen.getPort() + "/");
            ws.sendText("before");
            ws.nextText();
            RawHttp slow = new RawHttp(listen);
            slow.send(RawHttp.get("/sleep?ms=700", "h"));
            await().atMost(5, TimeUnit.SECONDS).until(() -> echo.log.stream().anyMatch(l -> l.startsWith("GET /sleep")));
            RawHttp idle = new RawHttp(listen);
            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(dp::shutdownGracefully);

            RawHttp.Response r = slow.read();
            assertThat(r.status()).as("the in-flight request finishes").isEqualTo(200);
            assertThat(r.header("connection")).isEqualTo("close");
            assertThat(idle.closedByPeer()).as("an idle keep-alive connection is closed once its last-request window passed").isTrue();
            assertThatThrownBy(() -> new Socket("127.0.0.1", listen.getPort()).close()).isInstanceOf(ConnectException.class);
            // The tunnel keeps flowing during the grace period...
            ws.sendText("during");
            assertThat(ws.nextText()).endsWith("during");
            // ...and then gets a close frame 1001.
            assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1001);
            shutdown.get(10, TimeUnit.SECONDS);
            assertThat(dp.metrics().tunnelsClosed("all", "shutdown")).isEqualTo(1);
            assertThat(echo.frames).as("the upstream got its close too").contains("close 1001");
            ws.close();
            slow.close();
            idle.close();
        }
    }

}
