package io.switchyard.config;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Upstream {@code health}, {@code on_unhealthy}, {@code panic}, {@code drain_ms} and target {@code state}: read, defaults, omission, bad values. */
class HealthCodecTest {
    private static String doc(String upstreamFields, String targetFields) {
        return "{\"upstreams\":[{\"name\":\"u\",\"targets\":[{\"address\":\"h:1\"" + targetFields + "}]" + upstreamFields
                + "}],\"routes\":[{\"name\":\"r\",\"upstream\":\"u\"}]}";
    }

    private static void assertRejected(String json, String field, String messagePart) {
        assertThatThrownBy(() -> ConfigCodec.readConfig(json))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.violations()).extracting(Violation::field).containsExactly(field);
                    assertThat(e.violations().get(0).message()).contains(messagePart);
                });
    }

    @Test
    void anUpstreamWithoutHealthSettingsGetsPassiveDefaultsAndPrintsAsBefore() {
        Config c = ConfigCodec.readConfig(doc("", ""));
        Upstream u = c.upstreams().get(0);
        assertThat(u.health()).isNull();
        assertThat(u.active()).isNull();
        assertThat(u.passive()).isEqualTo(new Health.Passive(1, 10_000L));
        assertThat(u.onUnhealthy()).isEqualTo(Upstream.OnUnhealthy.KEEP);
        assertThat(u.panic()).isFalse();
        assertThat(u.drainMs()).isEqualTo(Upstream.DEFAULT_DRAIN_MS);
        assertThat(u.targets().get(0).state()).isEqualTo(Target.State.ACTIVE);
        assertThat(ConfigCodec.write(c)).doesNotContain("health", "on_unhealthy", "panic", "drain_ms", "state");
        assertThat(ConfigCodec.write(u)).isEqualTo("{\"name\":\"u\",\"balance\":\"least_conn\",\"targets\":[{\"address\":\"h:1\",\"weight\":1}],"
                + "\"tls\":false,\"verify\":true}");
    }

    @Test
    void healthSettingsRoundTripWithTheirDefaultsFilledIn() {
        Config c = ConfigCodec.readConfig(doc(",\"health\":{\"active\":{\"type\":\"websocket\",\"path\":\"/ws\",\"interval_ms\":150},"
                + "\"passive\":{\"max_fails\":3}},\"on_unhealthy\":\"drain\",\"panic\":true,\"drain_ms\":500", ",\"state\":\"draining\""));
        Upstream u = c.upstreams().get(0);
        Health.Active a = u.active();
        assertThat(a.type()).isEqualTo(Health.ProbeType.WEBSOCKET);
        assertThat(a.path()).isEqualTo("/ws");
        assertThat(a.intervalMs()).isEqualTo(150L);
        assertThat(a.timeoutMs()).isEqualTo(1000L);
        assertThat(a.healthyThreshold()).isEqualTo(2);
        assertThat(a.unhealthyThreshold()).isEqualTo(3);
        assertThat(a.expectStatus()).isNull();
        assertThat(u.passive()).isEqualTo(new Health.Passive(3, 10_000L));
        assertThat(u.onUnhealthy()).isEqualTo(Upstream.OnUnhealthy.DRAIN);
        assertThat(u.panic()).isTrue();
        assertThat(u.drainMs()).isEqualTo(500L);
        assertThat(u.targets().get(0).state()).isEqualTo(Target.State.DRAINING);
        String json = ConfigCodec.write(c);
        assertThat(json).contains("\"state\":\"draining\"", "\"on_unhealthy\":\"drain\"", "\"panic\":true", "\"drain_ms\":500",
                "\"type\":\"websocket\"");
        assertThat(ConfigCodec.readConfig(json)).isEqualTo(c);
    }

    @Test
    void anHttpProbeDefaultsToGetSlashExpecting200() {
        Health.Active a = new Health.Active(null, null, null, null, null, null, null);
        assertThat(a.type()).isEqualTo(Health.ProbeType.HTTP);
        assertThat(a.path()).isEqualTo("/");
        assertThat(a.expectStatus()).containsExactly(200);
        assertThat(a.expects(200)).isTrue();
        assertThat(a.expects(500)).isFalse();
        Health.Active tcp = new Health.Active(Health.ProbeType.TCP, null, 100L, 50L, 1, 1, null);
        assertThat(tcp.path()).isNull();
        assertThat(new Target("h:1").withState(Target.State.DISABLED).state()).isEqualTo(Target.State.DISABLED);
        Upstream u = new Upstream("u", Balance.ROUND_ROBIN, List.of(new Target("h:1")))
                .withHealth(new Health(tcp, null), Upstream.OnUnhealthy.DRAIN, true, 10L);
        assertThat(u.withTargets(List.of(new Target("h:2"))).health()).isEqualTo(u.health());
    }

    @Test
    void badHealthSettingsAreRejectedNamingTheField() {
        assertRejected(doc(",\"health\":{\"active\":{\"type\":\"udp\"}}", ""), "upstreams[0].health.active.type", "http, websocket, tcp");
        assertRejected(doc(",\"health\":{\"active\":{\"interval_ms\":0}}", ""), "upstreams[0].health.active.interval_ms", ">= 10");
        assertRejected(doc(",\"health\":{\"active\":{\"timeout_ms\":-1}}", ""), "upstreams[0].health.active.timeout_ms", "> 0");
        assertRejected(doc(",\"health\":{\"active\":{\"healthy_threshold\":0}}", ""), "upstreams[0].health.active.healthy_threshold", ">= 1");
        assertRejected(doc(",\"health\":{\"active\":{\"unhealthy_threshold\":101}}", ""), "upstreams[0].health.active.unhealthy_threshold", "<= 100");
        assertRejected(doc(",\"health\":{\"active\":{\"path\":\"healthz\"}}", ""), "upstreams[0].health.active.path", "starts with /");
        assertRejected(doc(",\"health\":{\"active\":{\"type\":\"tcp\",\"path\":\"/x\"}}", ""), "upstreams[0].health.active.path", "tcp");
        assertRejected(doc(",\"health\":{\"active\":{\"expect_status\":[200,99]}}", ""), "upstreams[0].health.active.expect_status[1]", "200 to 599");
        assertRejected(doc(",\"health\":{\"active\":{\"type\":\"websocket\",\"expect_status\":[200]}}", ""),
                "upstreams[0].health.active.expect_status", "only with type http");
        assertRejected(doc(",\"health\":{\"passive\":{\"max_fails\":-1}}", ""), "upstreams[0].health.passive.max_fails", ">= 0");
        assertRejected(doc(",\"health\":{\"passive\":{\"fail_timeout_ms\":0}}", ""), "upstreams[0].health.passive.fail_timeout_ms", "> 0");
        assertRejected(doc(",\"health\":{\"activ\":{}}", ""), "upstreams[0].health.activ", "unknown field");
        assertRejected(doc(",\"on_unhealthy\":\"close\"", ""), "upstreams[0].on_unhealthy", "keep or drain");
        assertRejected(doc(",\"panic\":\"yes\"", ""), "upstreams[0].panic", "true or false");
        assertRejected(doc(",\"drain_ms\":-5", ""), "upstreams[0].drain_ms", ">= 0");
        assertRejected(doc("", ",\"state\":\"paused\""), "upstreams[0].targets[0].state", "active, draining, disabled");
    }
}
