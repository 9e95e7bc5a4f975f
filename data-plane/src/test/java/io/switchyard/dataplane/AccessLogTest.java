package io.switchyard.dataplane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.config.Balance;
import io.switchyard.testkit.ClosedPort;
import io.switchyard.testkit.Configs;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.RawHttp;
import io.switchyard.testkit.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Issue 15's access log: one JSON object per request and per tunnel, with the request id kept or made. */
class AccessLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private List<JsonNode> lines(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(file)) out.add(JSON.readTree(l)); // every line must parse
        return out;
    }

    @Test
    void writesOneJsonObjectPerRequestAndPerTunnelWithTheirFields() throws Exception {
        Path file = dir.resolve("access.log");
        try (ClosedPort closed = new ClosedPort(); EchoUpstream echo = new EchoUpstream("a");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback().withAccessLog(file.toString(), "json"))) {
            int closedPort = closed.port(); // refuses every connection while held
            dp.apply(Configs.snapshot(1,
                    List.of(Configs.upstream("app", Balance.ROUND_ROBIN, echo.address()),
                            Configs.upstream("dead", Balance.ROUND_ROBIN, "127.0.0.1:" + closedPort)),
                    List.of(Configs.drainingRoute("chat", "/", "app", 100), Configs.route("gone", "/gone", "dead"))));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                RawHttp.Response r = c.send("POST /hello?x=1 HTTP/1.1\r\nHost: site.example\r\nX-Request-Id: req-123\r\n"
                        + "Content-Length: 5\r\n\r\nhello").read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.header("x-request-id")).isEqualTo("req-123");
                RawHttp.Response bad = c.send("GET /gone HTTP/1.1\r\nHost: site.example\r\nX-Request-Id: bad id!\r\n\r\n").read();
                assertThat(bad.status()).isEqualTo(502);
                assertThat(bad.header("x-request-id")).matches("[0-9a-f]{32}");
            }
            String ws = "ws://127.0.0.1:" + dp.listenAddress().getPort() + "/chat";
            WsClient byClient = WsClient.connect(ws);
            byClient.sendText("hi");
            assertThat(byClient.nextText()).endsWith("hi");
            byClient.ws.sendClose(4000, "bye").join();
            assertThat(byClient.closed.get(5, TimeUnit.SECONDS)).isNotNull();
            WsClient drained = WsClient.connect(ws);
            await().atMost(Duration.ofSeconds(5)).until(() -> dp.openTunnels() == 1);
            // The target leaves the upstream; the route drains: the tunnel gets 1001 from the proxy.
            dp.apply(Configs.snapshot(2, List.of(Configs.upstream("app", Balance.ROUND_ROBIN, "127.0.0.1:" + closedPort)),
                    List.of(Configs.drainingRoute("chat", "/", "app", 100))));
            assertThat(drained.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1001);
            await().atMost(Duration.ofSeconds(5)).until(() -> dp.openTunnels() == 0);
        }
        List<JsonNode> log = lines(file);
        JsonNode post = log.stream().filter(n -> "POST".equals(n.path("method").asText())).findFirst().orElseThrow();
        assertThat(post.get("type").asText()).isEqualTo("request");
        assertThat(post.get("request_id").asText()).isEqualTo("req-123");
        assertThat(post.get("client").asText()).isEqualTo("127.0.0.1");
        assertThat(post.get("host").asText()).isEqualTo("site.example");
        assertThat(post.get("path").asText()).isEqualTo("/hello?x=1");
        assertThat(post.get("status").asInt()).isEqualTo(200);
        assertThat(post.get("route").asText()).isEqualTo("chat");
        assertThat(post.get("upstream").asText()).isEqualTo("app");
        assertThat(post.get("target").asText()).isEqualTo(echo(log));
        assertThat(post.get("bytes_in").asLong()).isEqualTo(5);
        assertThat(post.get("bytes_out").asLong()).isPositive();
        assertThat(post.get("upstream_connect_ms").isNumber()).isTrue();
        assertThat(post.get("upstream_first_byte_ms").isNumber()).isTrue();
        assertThat(post.get("duration_ms").isNumber()).isTrue();
        assertThat(post.get("time").asText()).endsWith("Z");

        JsonNode failed = log.stream().filter(n -> n.path("status").asInt() == 502).findFirst().orElseThrow();
        assertThat(failed.get("route").asText()).isEqualTo("gone");
        assertThat(failed.get("request_id").asText()).matches("[0-9a-f]{32}");
        assertThat(failed.get("upstream_first_byte_ms").isNull()).isTrue();

        List<JsonNode> tunnels = log.stream().filter(n -> "tunnel".equals(n.path("type").asText())).toList();
        assertThat(tunnels).hasSize(2);
        JsonNode closedByClient = tunnels.get(0);
        assertThat(closedByClient.get("closed_by").asText()).isEqualTo("client");
        assertThat(closedByClient.get("close_code").asInt()).isEqualTo(4000);
        assertThat(closedByClient.get("close_reason").asText()).isEqualTo("client_closed");
        assertThat(closedByClient.get("bytes_in").asLong()).isPositive();
        assertThat(closedByClient.get("path").asText()).isEqualTo("/chat");
        JsonNode drainedEntry = tunnels.get(1);
        assertThat(drainedEntry.get("closed_by").asText()).isEqualTo("proxy");
        assertThat(drainedEntry.get("close_code").asInt()).isEqualTo(1001);
        assertThat(drainedEntry.get("close_reason").asText()).isEqualTo("drained");
        assertThat(drainedEntry.get("route").asText()).isEqualTo("chat");
    }

    private static String echo(List<JsonNode> log) {
        return log.stream().filter(n -> "tunnel".equals(n.path("type").asText())).findFirst().orElseThrow().get("target").asText();
    }

    @Test
    void offWritesNothingAndTheProxyStillServes() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback().withAccessLog("off", "text"));
             RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            RawHttp.Response r = c.send(RawHttp.get("/x", "h")).read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("x-request-id")).as("made even with the log off").matches("[0-9a-f]{32}");
        }
    }
}
