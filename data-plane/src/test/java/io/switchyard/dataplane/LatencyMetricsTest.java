package io.switchyard.dataplane;

import io.switchyard.config.Balance;
import io.switchyard.testkit.Configs;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.RawHttp;
import io.switchyard.testkit.WsClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Issue 15's latency on /metrics: request, connect and handshake histograms and tunnels open per route. */
class LatencyMetricsTest {

    private static String metrics(DataPlane dp) throws Exception {
        try (RawHttp c = new RawHttp(dp.statusAddress())) {
            return c.send(RawHttp.get("/metrics", "s")).read().text();
        }
    }

    private static long value(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+]+)$").matcher(text);
        if (!m.find()) throw new AssertionError("no series " + series + " in:\n" + text);
        return (long) Double.parseDouble(m.group(1));
    }

    @Test
    void requestsConnectsHandshakesAndOpenTunnelsAreMeasuredPerRoute() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                for (int i = 0; i < 3; i++) assertThat(c.send(RawHttp.get("/x" + i, "h")).read().status()).isEqualTo(200);
            }
            WsClient ws = WsClient.connect("ws://127.0.0.1:" + dp.listenAddress().getPort() + "/chat");
            await().atMost(Duration.ofSeconds(5)).until(() -> dp.openTunnels() == 1);
            String m = metrics(dp);
            assertThat(value(m, "switchyard_request_duration_seconds_count{code=\"2xx\",route=\"all\"}")).isEqualTo(3);
            assertThat(value(m, "switchyard_request_duration_seconds_bucket{code=\"2xx\",route=\"all\",le=\"+Inf\"}")).isEqualTo(3);
            assertThat(value(m, "switchyard_upstream_connect_duration_seconds_count{upstream=\"app\"}")).isBetween(1L, 2L);
            assertThat(value(m, "switchyard_websocket_handshake_duration_seconds_count{route=\"all\"}")).isEqualTo(1);
            assertThat(value(m, "switchyard_route_tunnels_open{route=\"all\"}")).isEqualTo(1);
            ws.close();
            await().atMost(Duration.ofSeconds(5)).until(() -> value(metrics(dp), "switchyard_route_tunnels_open{route=\"all\"}") == 0);
        }
    }
}
