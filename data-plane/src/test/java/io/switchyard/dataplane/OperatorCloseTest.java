package io.switchyard.dataplane;

import io.switchyard.config.Balance;
import io.switchyard.testkit.Configs;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.WsClient;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.switchyard.testkit.Configs.route;
import static io.switchyard.testkit.Configs.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Tunnels listed and closed by an operator through {@link DataPlane#tunnels()}, {@code closeTunnel} and {@code closeTunnels}. */
class OperatorCloseTest {

    private static String ws(DataPlane dp, String path) {
        return "ws://127.0.0.1:" + dp.listenAddress().getPort() + path;
    }

    @Test
    void openTunnelsAreListedWithTheirBytesAndCloseWith1001OneByIdOrAPacedSetByRoute() throws Exception {
        try (EchoUpstream a = new EchoUpstream("a"); EchoUpstream b = new EchoUpstream("b");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.snapshot(1,
                    List.of(upstream("ua", Balance.ROUND_ROBIN, a.address()), upstream("ub", Balance.ROUND_ROBIN, b.address())),
                    List.of(route("ra", "/a", "ua"), route("rb", "/b", "ub"))));
            List<WsClient> onA = new ArrayList<>();
            WsClient onB = null;
            try {
                for (int i = 0; i < 3; i++) onA.add(WsClient.connect(ws(dp, "/a")));
                onB = WsClient.connect(ws(dp, "/b"));
                for (WsClient w : onA) assertThat(w.whoami()).isEqualTo("a");
                assertThat(onB.whoami()).isEqualTo("b");

                List<TunnelInfo> tunnels = dp.tunnels();
                assertThat(tunnels).hasSize(4);
                assertThat(tunnels).extracting(TunnelInfo::id).doesNotHaveDuplicates().allMatch(id -> id.matches("[0-9a-f]{16}"));
                assertThat(tunnels).extracting(TunnelInfo::route).containsExactlyInAnyOrder("ra", "ra", "ra", "rb");
                for (TunnelInfo t : tunnels) {
                    assertThat(t.target()).isEqualTo(t.route().equals("ra") ? a.address() : b.address());
                    assertThat(t.upstream()).isEqualTo(t.route().equals("ra") ? "ua" : "ub");
                    assertThat(t.client()).startsWith("127.0.0.1");
                    assertThat(t.bytesIn()).as("the whoami frame").isPositive();
                    assertThat(t.bytesOut()).as("its answer").isPositive();
                    assertThat(t.openedAtMillis()).isLessThanOrEqualTo(System.currentTimeMillis());
                }

                String idB = tunnels.stream().filter(t -> t.route().equals("rb")).findFirst().orElseThrow().id();
                assertThat(dp.closeTunnel(idB)).isTrue();
                assertThat(onB.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1001);
                await().atMost(5, TimeUnit.SECONDS).until(() -> b.frames.contains("close 1001"));
                await().atMost(5, TimeUnit.SECONDS).until(() -> !dp.closeTunnel(idB));
                assertThat(dp.closeTunnel("0123456789abcdef")).isFalse();
                for (WsClient w : onA) assertThat(w.closed).as("the others are untouched").isNotDone();

                assertThatThrownBy(() -> dp.closeTunnels("ra", null, -1)).isInstanceOf(IllegalArgumentException.class);
                assertThat(dp.closeTunnels("rb", null, 0)).as("nothing open on rb any more").isZero();
                long t0 = System.nanoTime();
                assertThat(dp.closeTunnels("ra", a.address(), 900)).isEqualTo(3);
                long lastClose = 0;
                for (WsClient w : onA) {
                    assertThat(w.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1001);
                    lastClose = Math.max(lastClose, System.nanoTime());
                }
                // Tunnel i of 3 closes at i*300 ms: the last one cannot have closed before 600 ms.
                assertThat(TimeUnit.NANOSECONDS.toMillis(lastClose - t0)).isGreaterThanOrEqualTo(600);
                await().atMost(5, TimeUnit.SECONDS).until(() -> dp.metrics().tunnelsClosed("ra", "closed_by_operator") == 3);
                await().atMost(5, TimeUnit.SECONDS).until(() -> dp.tunnels().isEmpty());
            } finally {
                onA.forEach(WsClient::close);
                if (onB != null) onB.close();
            }
        }
    }
}
