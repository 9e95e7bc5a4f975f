package io.switchyard.config;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The global edge settings and the route's {@code merge_slashes}: read, defaults, omission when default, bad values. */
class EdgeSettingsCodecTest {
    private static final String UPSTREAM_AND_ROUTE = """
            "upstreams":[{"name":"u","targets":[{"address":"h:1"}]}],"routes":[{"name":"r","upstream":"u"%s}]""";

    private static String doc(String globals, String routeFields) {
        return "{" + (globals.isEmpty() ? "" : globals + ",") + UPSTREAM_AND_ROUTE.formatted(routeFields) + "}";
    }

    private static void assertRejected(String json, String field, String messagePart) {
        assertThatThrownBy(() -> ConfigCodec.readConfig(json))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.violations()).extracting(Violation::field).containsExactly(field);
                    assertThat(e.violations().get(0).message()).contains(messagePart);
                });
    }

    @Test
    void aDocumentWithoutEdgeSettingsGetsTheDefaultsAndPrintsAsBefore() {
        String json = doc("", "");
        Config c = ConfigCodec.readConfig(json);
        assertThat(c.trustedProxies()).isEmpty();
        assertThat(c.trustedProxyCidrs()).isEmpty();
        assertThat(c.clientBodyTimeoutMs()).isEqualTo(60_000L).isEqualTo(Config.DEFAULT_CLIENT_BODY_TIMEOUT_MS);
        assertThat(c.maxConnections()).isZero();
        assertThat(c.maxTunnels()).isZero();
        assertThat(c.limitsConnections()).isFalse();
        assertThat(c.limitsTunnels()).isFalse();
        assertThat(c.routes().get(0).mergeSlashes()).isTrue();
        String written = ConfigCodec.write(c);
        assertThat(written).doesNotContain("trusted_proxies", "client_body_timeout_ms", "max_connections", "max_tunnels", "merge_slashes");
        assertThat(ConfigCodec.write(Config.EMPTY)).isEqualTo("{\"timeouts\":{\"connect_ms\":5000,\"read_ms\":60000,\"send_ms\":60000},"
                + "\"upstreams\":[],\"routes\":[],\"certificates\":[]}");
    }

    @Test
    void trustedProxiesRoundTripAsWrittenAndParseOnce() {
        Config c = ConfigCodec.readConfig(doc("\"trusted_proxies\":[\"10.0.0.0/8\",\"192.168.1.7\",\"FD00::/8\"]", ""));
        assertThat(c.trustedProxies()).containsExactly("10.0.0.0/8", "192.168.1.7", "FD00::/8");
        assertThat(c.trustedProxyCidrs()).extracting(Cidr::toString).containsExactly("10.0.0.0/8", "192.168.1.7/32", "fd00::/8");
        assertThat(c.trustedProxyCidrs()).isSameAs(c.trustedProxyCidrs());
        String json = ConfigCodec.write(c);
        assertThat(json).contains("\"trusted_proxies\":[\"10.0.0.0/8\",\"192.168.1.7\",\"FD00::/8\"]");
        Config again = ConfigCodec.readConfig(json);
        assertThat(again).isEqualTo(c).hasSameHashCodeAs(c);
        assertThat(c.isTrustedProxy(new byte[]{10, 1, 2, 3})).isTrue();
        assertThat(c.isTrustedProxy(new byte[]{(byte) 192, (byte) 168, 1, 8})).isFalse();
    }

    @Test
    void anEmptyTrustedProxiesListIsLeftOut() {
        Config c = ConfigCodec.readConfig(doc("\"trusted_proxies\":[]", ""));
        assertThat(ConfigCodec.write(c)).doesNotContain("trusted_proxies");
        assertThat(c).isEqualTo(ConfigCodec.readConfig(doc("", "")));
    }

    @Test
    void rejectsABadTrustedProxyNamingItsIndex() {
        assertRejected(doc("\"trusted_proxies\":[\"10.0.0.0/8\",\"10.0.0.1/8\"]", ""), "trusted_proxies[1]", "(expected: 10.0.0.0/8");
        assertRejected(doc("\"trusted_proxies\":[\"proxy.example.com\"]", ""), "trusted_proxies[0]", "\"proxy.example.com\" (expected: an IPv4 or IPv6 address");
        assertRejected(doc("\"trusted_proxies\":[\"10.0.0.0/8\",\"10.0.0.0/8\"]", ""), "trusted_proxies[1]", "(duplicate: also trusted_proxies[0])");
        assertRejected(doc("\"trusted_proxies\":[\"::1\",\"0:0::1/128\"]", ""), "trusted_proxies[1]", "(duplicate: also trusted_proxies[0])");
        assertRejected(doc("\"trusted_proxies\":\"10.0.0.0/8\"", ""), "trusted_proxies", "expected: an array");
        assertRejected(doc("\"trusted_proxies\":[7]", ""), "trusted_proxies[0]", "wrong type (expected: a string)");
    }

    @Test
    void rejectsANullTrustedProxyBuiltInCode() {
        assertThatThrownBy(() -> Config.EMPTY.withTrustedProxies(Arrays.asList("10.0.0.0/8", null)))
                .isInstanceOfSatisfying(ConfigException.class, e ->
                        assertThat(e.violations()).extracting(Violation::toString).containsExactly("trusted_proxies[1]: null (expected: a CIDR such as 10.0.0.0/8 or fd00::/8)"));
    }

    @Test
    void clientBodyTimeoutRoundTripsAndIsLeftOutAtItsDefault() {
        Config c = ConfigCodec.readConfig(doc("\"client_body_timeout_ms\":15000", ""));
        assertThat(c.clientBodyTimeoutMs()).isEqualTo(15_000L);
        String json = ConfigCodec.write(c);
        assertThat(json).contains("\"client_body_timeout_ms\":15000");
        assertThat(ConfigCodec.readConfig(json)).isEqualTo(c);
        Config atDefault = ConfigCodec.readConfig(doc("\"client_body_timeout_ms\":60000", ""));
        assertThat(ConfigCodec.write(atDefault)).doesNotContain("client_body_timeout_ms");
        assertThat(atDefault).isEqualTo(ConfigCodec.readConfig(doc("", "")));
    }

    @Test
    void rejectsAClientBodyTimeoutThatIsNotPositive() {
        assertRejected(doc("\"client_body_timeout_ms\":0", ""), "client_body_timeout_ms", "0 (expected: > 0 and <= " + Timeouts.MAX_MS + ")");
        assertRejected(doc("\"client_body_timeout_ms\":-5", ""), "client_body_timeout_ms", "-5 (expected: > 0");
        assertRejected(doc("\"client_body_timeout_ms\":" + (Timeouts.MAX_MS + 1), ""), "client_body_timeout_ms", "(expected: > 0 and <=");
        assertRejected(doc("\"client_body_timeout_ms\":\"60s\"", ""), "client_body_timeout_ms", "expected: an integer");
    }

    @Test
    void connectionAndTunnelLimitsRoundTripAndAreLeftOutWhenUnlimited() {
        Config c = ConfigCodec.readConfig(doc("\"max_connections\":10000,\"max_tunnels\":500", ""));
        assertThat(c.maxConnections()).isEqualTo(10_000);
        assertThat(c.maxTunnels()).isEqualTo(500);
        assertThat(c.limitsConnections()).isTrue();
        assertThat(c.limitsTunnels()).isTrue();
        String json = ConfigCodec.write(c);
        assertThat(json).contains("\"max_connections\":10000", "\"max_tunnels\":500");
        assertThat(ConfigCodec.readConfig(json)).isEqualTo(c);
        Config unlimited = ConfigCodec.readConfig(doc("\"max_connections\":0,\"max_tunnels\":0", ""));
        assertThat(ConfigCodec.write(unlimited)).doesNotContain("max_connections", "max_tunnels");
        assertThat(unlimited.limitsConnections()).isFalse();
    }

    @Test
    void rejectsNegativeLimitsNamingTheField() {
        assertRejected(doc("\"max_connections\":-1", ""), "max_connections", "-1 (expected: >= 0; 0 for unlimited)");
        assertRejected(doc("\"max_tunnels\":-2", ""), "max_tunnels", "-2 (expected: >= 0; 0 for unlimited)");
        assertRejected(doc("\"max_connections\":true", ""), "max_connections", "expected: an integer");
    }

    @Test
    void reportsEveryBadEdgeSettingAtOnce() {
        assertThatThrownBy(() -> ConfigCodec.readConfig(doc(
                "\"trusted_proxies\":[\"x\"],\"client_body_timeout_ms\":0,\"max_connections\":-1,\"max_tunnels\":-1", "")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.violations()).extracting(Violation::field)
                        .containsExactly("trusted_proxies[0]", "client_body_timeout_ms", "max_connections", "max_tunnels"));
    }

    @Test
    void everyWithMethodKeepsTheEdgeSettings() {
        Config c = ConfigCodec.readConfig(doc("\"trusted_proxies\":[\"10.0.0.0/8\"],\"client_body_timeout_ms\":5000,"
                + "\"max_connections\":3,\"max_tunnels\":2", ""));
        for (Config changed : List.of(c.withTimeouts(new Timeouts(1L, 2L, 3L)), c.withRoutes(List.of()), c.withCertificates(List.of()),
                c.withRoutes(List.of()).withUpstreams(List.of()), c.redacted())) {
            assertThat(changed.trustedProxies()).containsExactly("10.0.0.0/8");
            assertThat(changed.trustedProxyCidrs()).containsExactly(Cidr.parse("10.0.0.0/8"));
            assertThat(changed.clientBodyTimeoutMs()).isEqualTo(5000L);
            assertThat(changed.maxConnections()).isEqualTo(3);
            assertThat(changed.maxTunnels()).isEqualTo(2);
        }
        Config other = c.withTrustedProxies(null).withClientBodyTimeoutMs(null).withMaxConnections(null).withMaxTunnels(7);
        assertThat(other.trustedProxies()).isEmpty();
        assertThat(other.clientBodyTimeoutMs()).isEqualTo(Config.DEFAULT_CLIENT_BODY_TIMEOUT_MS);
        assertThat(other.maxConnections()).isZero();
        assertThat(other.maxTunnels()).isEqualTo(7);
        assertThat(other.routes()).isEqualTo(c.routes());
    }

    @Test
    void theFourArgumentConstructorMeansEveryEdgeSettingAtItsDefault() {
        Config c = new Config(null, null, null, null);
        assertThat(c).isEqualTo(new Config(null, null, null, null, null, null, null, null)).isEqualTo(Config.EMPTY);
        assertThat(c.clientBodyTimeoutMs()).isEqualTo(Config.DEFAULT_CLIENT_BODY_TIMEOUT_MS);
    }

    @Test
    void mergeSlashesFalseRoundTripsAndTrueIsLeftOut() {
        Config off = ConfigCodec.readConfig(doc("", ",\"merge_slashes\":false"));
        assertThat(off.routes().get(0).mergeSlashes()).isFalse();
        String json = ConfigCodec.write(off);
        assertThat(json).contains("\"merge_slashes\":false");
        assertThat(ConfigCodec.readConfig(json)).isEqualTo(off);
        Config on = ConfigCodec.readConfig(doc("", ",\"merge_slashes\":true"));
        assertThat(on.routes().get(0).mergeSlashes()).isTrue();
        assertThat(ConfigCodec.write(on)).doesNotContain("merge_slashes");
        assertThat(on).isEqualTo(ConfigCodec.readConfig(doc("", "")));
    }

    @Test
    void rejectsAMergeSlashesThatIsNotABoolean() {
        assertRejected(doc("", ",\"merge_slashes\":\"no\""), "routes[0].merge_slashes", "expected: true or false");
        assertRejected(doc("", ",\"merge_slashes\":0"), "routes[0].merge_slashes", "expected: true or false");
    }

    @Test
    void routeConstructorsKeepMergeSlashesAtItsDefaultAndWithMethodsCarryIt() {
        Route nine = new Route("r", null, "/", "u", true, false, null, null, false);
        assertThat(nine.mergeSlashes()).isTrue();
        assertThat(new Route("r", null, "/", "u").mergeSlashes()).isTrue();
        Route off = nine.withMergeSlashes(false);
        assertThat(off.mergeSlashes()).isFalse();
        assertThat(off.stripPrefix()).isTrue();
        assertThat(off.withUpstream("v").mergeSlashes()).isFalse();
        assertThat(ConfigCodec.read(ConfigCodec.write(off), Route.class)).isEqualTo(off);
    }
}
