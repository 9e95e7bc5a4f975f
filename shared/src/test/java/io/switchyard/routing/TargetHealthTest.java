package io.switchyard.routing;

import io.switchyard.config.Balance;
import io.switchyard.config.Config;
import io.switchyard.config.Health;
import io.switchyard.config.Route;
import io.switchyard.config.Snapshot;
import io.switchyard.config.Target;
import io.switchyard.config.Upstream;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Balancers skip targets that are unhealthy, draining or disabled; panic mode; health carried across tables. */
class TargetHealthTest {
    private static RoutingTable table(long v, Upstream u, RoutingTable previous) {
        return RoutingTable.compile(new Snapshot(v, new Config(null, List.of(u), List.of(new Route("r", null, "/", "u")), null)), previous);
    }

    private static Upstream upstream(Balance b, boolean panic, Target... targets) {
        return new Upstream("u", b, List.of(targets)).withHealth(new Health(null, new Health.Passive(2, 60_000L)), null, panic, null);
    }

    private static Set<String> picks(RoutingTable t, int n) {
        Set<String> seen = new HashSet<>();
        Balancer b = t.match(null, "/").balancer();
        for (int i = 0; i < n; i++) {
            TargetState s = b.pick(new byte[]{10, 0, 0, (byte) i}, List.of());
            seen.add(s == null ? null : s.address());
        }
        return seen;
    }

    @Test
    void everyBalancerSkipsDrainingDisabledAndUnhealthyTargets() {
        for (Balance b : Balance.values()) {
            RoutingTable t = table(1, upstream(b, false, new Target("a:1"), new Target("b:1", 1, Target.State.DRAINING),
                    new Target("c:1", 1, Target.State.DISABLED), new Target("d:1")), RoutingTable.EMPTY);
            assertThat(picks(t, 50)).as(b.wire()).containsExactlyInAnyOrder("a:1", "d:1");
            TargetState d = t.target("u", "d:1");
            assertThat(d.failed("connect refused")).isEqualTo(TargetHealth.Change.NONE); // max_fails 2: one is not enough
            assertThat(d.failed("connect refused")).isEqualTo(TargetHealth.Change.BECAME_UNHEALTHY);
            assertThat(d.available()).isFalse();
            assertThat(picks(t, 50)).as(b.wire()).containsExactly("a:1");
            assertThat(d.succeeded()).isEqualTo(TargetHealth.Change.BECAME_HEALTHY);
            assertThat(picks(t, 50)).as(b.wire()).containsExactlyInAnyOrder("a:1", "d:1");
        }
    }

    @Test
    void withEveryTargetUnhealthyNewWorkFindsNoneOrInPanicTheLeastRecentlyFailed() throws Exception {
        for (boolean panic : new boolean[]{false, true}) {
            RoutingTable t = table(1, upstream(Balance.ROUND_ROBIN, panic, new Target("a:1"), new Target("b:1"),
                    new Target("c:1", 1, Target.State.DISABLED)), RoutingTable.EMPTY);
            for (int i = 0; i < 2; i++) t.target("u", "b:1").failed("connect timed out");
            Thread.sleep(2); // two failures at distinct instants
            for (int i = 0; i < 2; i++) t.target("u", "a:1").failed("connect refused");
            Balancer b = t.match(null, "/").balancer();
            if (!panic) {
                assertThat(b.pick(null, List.of())).isNull();
            } else {
                assertThat(b.pick(null, List.of()).address()).isEqualTo("b:1");
                assertThat(b.pick(null, List.of(t.target("u", "b:1"))).address()).isEqualTo("a:1");
            }
        }
    }

    @Test
    void aLoneTargetIsNeverHeldOutByPassiveChecksAsInNginx() {
        RoutingTable t = table(1, upstream(Balance.ROUND_ROBIN, false, new Target("a:1")), RoutingTable.EMPTY);
        for (int i = 0; i < 5; i++) assertThat(t.target("u", "a:1").failed("connect refused")).isEqualTo(TargetHealth.Change.NONE);
        assertThat(t.target("u", "a:1").available()).isTrue();
        assertThat(t.target("u", "a:1").health().lastFailure()).isEqualTo("connect refused");
    }

    @Test
    void healthCarriesOverToTheNextTableForTheSameUpstreamAndAddress() {
        RoutingTable first = table(1, upstream(Balance.LEAST_CONN, false, new Target("a:1"), new Target("b:1")), RoutingTable.EMPTY);
        first.target("u", "b:1").health().probed("answered 500", 1, 1);
        RoutingTable second = table(2, upstream(Balance.LEAST_CONN, false, new Target("a:1"), new Target("b:1", 5)), first);
        assertThat(second.target("u", "b:1").health()).isSameAs(first.target("u", "b:1").health());
        assertThat(second.target("u", "b:1").available()).isFalse();
        assertThat(second.target("u", "b:1").health().lastFailure()).isEqualTo("answered 500");
        assertThat(picks(second, 20)).containsExactly("a:1");
        List<String> all = new ArrayList<>();
        for (TargetState s : second.targets()) all.add(s.address());
        assertThat(all).containsExactly("a:1", "b:1");
    }

    @Test
    void probesTurnATargetUnhealthyAndBackOnlyAtTheirThresholds() {
        TargetHealth h = new TargetHealth();
        assertThat(h.probed("timed out", 2, 3)).isEqualTo(TargetHealth.Change.NONE);
        assertThat(h.probed("timed out", 2, 3)).isEqualTo(TargetHealth.Change.NONE);
        assertThat(h.probed("timed out", 2, 3)).isEqualTo(TargetHealth.Change.BECAME_UNHEALTHY);
        assertThat(h.probed("timed out", 2, 3)).isEqualTo(TargetHealth.Change.NONE);
        assertThat(h.probed(null, 2, 3)).isEqualTo(TargetHealth.Change.NONE);
        assertThat(h.healthy()).isFalse();
        assertThat(h.probed(null, 2, 3)).isEqualTo(TargetHealth.Change.BECAME_HEALTHY);
        assertThat(h.healthy()).isTrue();
        assertThat(h.lastCheckMillis()).isPositive();
    }
}
