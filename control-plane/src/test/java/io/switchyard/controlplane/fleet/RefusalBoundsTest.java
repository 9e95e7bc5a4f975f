package io.switchyard.controlplane.fleet;

import io.switchyard.config.Config;
import io.switchyard.config.Snapshot;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Refused attempts come from anyone who can reach the port: what the fleet view keeps of them is bounded. */
class RefusalBoundsTest {
    @Test
    void refusalsAreKeptPerAddressAndCappedInAllAndTheLogIsRateLimited() {
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try (FleetHub hub = new FleetHub(() -> new Snapshot(0, Config.EMPTY))) {
            for (int i = 0; i < 1_000; i++) hub.refused("claim-" + i, "203.0.113.7", "wrong or missing cluster token");
            List<FleetHub.NodeView> one = hub.nodes();
            assertThat(one).hasSize(FleetHub.MAX_REFUSED_PER_ADDRESS);
            assertThat(one).extracting(FleetHub.NodeView::nodeId).as("the newest are kept").contains("claim-999").doesNotContain("claim-0");
            assertThat(one).allSatisfy(v -> assertThat(v.status()).isEqualTo("refused"));

            for (int i = 0; i < 5_000; i++) hub.refused(null, "198.51.100." + (i % 250) + ":" + i, "wrong or missing cluster token");
            assertThat(hub.nodes()).hasSize(FleetHub.MAX_REFUSED);
        } finally {
            System.setErr(err);
        }
        long lines = captured.toString(java.nio.charset.StandardCharsets.UTF_8).lines().filter(l -> l.contains("fleet: refused node")).count();
        assertThat(lines).as("6,000 refusals from 5,001 addresses").isBetween(1L, (long) FleetHub.MAX_REFUSAL_LINES);
    }
}
