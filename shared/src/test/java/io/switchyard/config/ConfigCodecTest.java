package io.switchyard.config;

import io.switchyard.fleet.FleetMessage;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigCodecTest {
    static final String CONTRACT_EXAMPLE = """
            {
              "timeouts":  { "connect_ms": 5000, "read_ms": 60000, "send_ms": 60000 },
              "upstreams": [
                { "name": "chat", "balance": "round_robin",
                  "targets": [ { "address": "127.0.0.1:8010", "weight": 1 },
                               { "address": "127.0.0.1:8011", "weight": 1 } ] }
              ],
              "routes": [
                { "name": "chat-ws", "hosts": ["example.com"], "path_prefix": "/wss",
                  "upstream": "chat", "strip_prefix": false, "preserve_host": true,
                  "timeouts": { "read_ms": 300000, "send_ms": 300000 },
                  "on_target_removed": {"action": "drain", "grace_ms": 1000}, "https_only": true }
              ],
              "certificates": [
                { "name": "example", "snis": ["example.com"], "cert_pem": "-----BEGIN CERTIFICATE-----x", "key_pem": "-----BEGIN PRIVATE KEY-----y", "default": true }
              ]
            }""";

    @Test
    void readsTheContractExampleAndRoundTripsIt() {
        Config c = ConfigCodec.readConfig(CONTRACT_EXAMPLE);
        assertThat(c.upstreams()).hasSize(1);
        assertThat(c.upstreams().get(0).balance()).isEqualTo(Balance.ROUND_ROBIN);
        assertThat(c.upstreams().get(0).targets()).extracting(Target::address).containsExactly("127.0.0.1:8010", "127.0.0.1:8011");
        Route r = c.routes().get(0);
        assertThat(r.pathPrefix()).isEqualTo("/wss");
        assertThat(r.preserveHost()).isTrue();
        assertThat(r.httpsOnly()).isTrue();
        assertThat(r.timeouts().over(c.timeouts())).isEqualTo(new Timeouts(5000L, 300000L, 300000L));
        assertThat(r.onTargetRemoved()).isEqualTo(new OnTargetRemoved(OnTargetRemoved.Action.DRAIN, 1000L));
        assertThat(c.certificates().get(0).isDefault()).isTrue();

        String json = ConfigCodec.write(c);
        assertThat(json).contains("\"path_prefix\":\"/wss\"", "\"default\":true", "\"key_pem\"");
        assertThat(ConfigCodec.readConfig(json)).isEqualTo(c);
        assertThat(ConfigCodec.write(c.redacted())).doesNotContain("key_pem").doesNotContain("PRIVATE");
    }

    @Test
    void anEmptyOrBlankDocumentIsAnEmptyBody() {
        for (Runnable read : List.<Runnable>of(() -> ConfigCodec.readConfig(""), () -> ConfigCodec.readConfig(" \n\t"),
                () -> ConfigCodec.readConfig(new byte[0]), () -> ConfigCodec.readConfig(" ".getBytes()),
                () -> ConfigCodec.readConfig((String) null))) {
            assertThatThrownBy(read::run).isInstanceOf(ConfigException.class).hasMessage("empty body (expected: a JSON object)");
        }
    }

    @Test
    void fillsDefaults() {
        Config c = ConfigCodec.readConfig("""
                {"upstreams":[{"name":"u","targets":[{"address":"h:1"}]}],"routes":[{"name":"r","upstream":"u"}]}""");
        assertThat(c.timeouts()).isEqualTo(Timeouts.DEFAULTS);
        assertThat(c.upstreams().get(0).balance()).isEqualTo(Balance.LEAST_CONN);
        assertThat(c.upstreams().get(0).targets().get(0).weight()).isEqualTo(1);
        assertThat(c.routes().get(0).pathPrefix()).isEqualTo("/");
        assertThat(c.routes().get(0).hosts()).isEmpty();
        assertThat(c.routes().get(0).onTargetRemoved().drains()).isFalse();
    }

    @Test
    void rejectsUnknownFieldsWithTheirPath() {
        assertThatThrownBy(() -> ConfigCodec.readConfig("{\"routes\":[{\"name\":\"r\",\"upstream\":\"u\",\"bogus\":1}]}"))
                .isInstanceOfSatisfying(ConfigException.class, e ->
                        assertThat(e.violations()).extracting(Violation::field).containsExactly("routes[0].bogus"));
    }

    @Test
    void rejectsBadWeightNamingFieldAndValue() {
        assertThatThrownBy(() -> ConfigCodec.readConfig("{\"upstreams\":[{\"name\":\"u\",\"targets\":[{\"address\":\"h:1\"},{\"address\":\"h:2\",\"weight\":0}]}]}"))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.violations()).extracting(Violation::field).containsExactly("upstreams[0].targets[1].weight");
                    assertThat(e.getMessage()).contains("0 (expected: > 0");
                });
    }

    @Test
    void rejectsBadAddressAndWrongTypes() {
        assertThatThrownBy(() -> ConfigCodec.readConfig("{\"upstreams\":[{\"name\":\"u\",\"targets\":[{\"address\":\"nope\"}]}]}"))
                .isInstanceOfSatisfying(ConfigException.class, e ->
                        assertThat(e.violations()).extracting(Violation::field).containsExactly("upstreams[0].targets[0].address"));
        assertThatThrownBy(() -> ConfigCodec.readConfig("{\"timeouts\":{\"read_ms\":\"soon\"}}"))
                .isInstanceOfSatisfying(ConfigException.class, e ->
                        assertThat(e.violations()).extracting(Violation::field).containsExactly("timeouts.read_ms"));
        assertThatThrownBy(() -> ConfigCodec.readConfig("{\"upstreams\":[{\"name\":\"u\",\"balance\":\"random\"}]}"))
                .isInstanceOfSatisfying(ConfigException.class, e ->
                        assertThat(e.violations()).extracting(Violation::field).containsExactly("upstreams[0].balance"));
        assertThatThrownBy(() -> ConfigCodec.readConfig("{\"timeouts\":"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("malformed JSON");
    }

    @Test
    void rejectsRouteToUnknownUpstreamListingWhatExists() {
        assertThatThrownBy(() -> new Config(null, List.of(new Upstream("a", null, null)),
                List.of(new Route("r", null, "/x", "b")), null))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.violations()).extracting(Violation::field).containsExactly("routes[0].upstream");
                    assertThat(e.getMessage()).contains("\"b\"", "upstreams are: a");
                });
    }

    @Test
    void rejectsDuplicatesAndAmbiguousMatches() {
        Upstream u = new Upstream("u", null, List.of(new Target("h:1")));
        assertThatThrownBy(() -> new Config(null, List.of(u, u), null, null))
                .isInstanceOfSatisfying(ConfigException.class, e ->
                        assertThat(e.violations()).extracting(Violation::field).containsExactly("upstreams[1].name"));
        assertThatThrownBy(() -> new Config(null, List.of(u),
                List.of(new Route("a", List.of("x.com"), "/p", "u"), new Route("b", List.of("X.com"), "/p/", "u")), null))
                .isInstanceOfSatisfying(ConfigException.class, e ->
                        assertThat(e.violations()).extracting(Violation::field).containsExactly("routes[1].path_prefix"));
    }

    @Test
    void validatesRouteFields() {
        assertThatThrownBy(() -> new Route("r", List.of("bad host"), "nope", "u"))
                .isInstanceOfSatisfying(ConfigException.class, e ->
                        assertThat(e.violations()).extracting(Violation::field).containsExactlyInAnyOrder("hosts[0]", "path_prefix"));
        assertThatThrownBy(() -> new Timeouts(0L, null, -1L))
                .isInstanceOfSatisfying(ConfigException.class, e ->
                        assertThat(e.violations()).extracting(Violation::field).containsExactly("connect_ms", "send_ms"));
        assertThat(new Route("r", List.of("*.Example.com"), "/a/", "u").hosts()).containsExactly("*.example.com");
        assertThat(new Route("r", null, "/a/", "u").pathPrefix()).isEqualTo("/a");
    }

    @Test
    void parsesAddresses() {
        assertThat(HostPort.parse("[::1]:80")).isEqualTo(new HostPort("::1", 80));
        assertThat(HostPort.parse("example.com:443").toString()).isEqualTo("example.com:443");
        assertThatThrownBy(() -> HostPort.parse("h:70000")).hasMessageContaining("70000");
    }

    @Test
    void fleetMessagesRoundTrip() {
        Config c = ConfigCodec.readConfig(CONTRACT_EXAMPLE);
        FleetMessage m = new FleetMessage.SnapshotPush(7, c);
        String text = FleetMessage.encode(m);
        assertThat(text).startsWith("{\"type\":\"snapshot\"");
        assertThat(FleetMessage.decode(text)).isEqualTo(m);
        FleetMessage hello = new FleetMessage.Hello("n1", "0.1.0", "127.0.0.1:8080", 3, 2);
        assertThat(FleetMessage.encode(hello)).contains("\"node_id\":\"n1\"", "\"applied_version\":3");
        assertThat(FleetMessage.decode(FleetMessage.encode(hello))).isEqualTo(hello);
        assertThatThrownBy(() -> FleetMessage.decode("{\"type\":\"nope\"}")).isInstanceOf(ConfigException.class);
    }

    @Test
    void fleetQueriesAndAnswersRoundTripWithTheirWireNames() {
        List<FleetMessage> messages = List.of(
                new FleetMessage.TunnelsQuery("q1", "chat", null),
                new FleetMessage.Tunnels("q1", List.of(new FleetMessage.TunnelRow("00000000000000aa", "chat", "chat", "127.0.0.1:9000",
                        "198.51.100.7:5000", "2026-01-05T09:58:11.402Z", 10, 20))),
                new FleetMessage.CloseTunnels("q2", null, null, "127.0.0.1:9000", 500),
                new FleetMessage.TunnelsClosed("q2", 3),
                new FleetMessage.HealthQuery("q3"),
                new FleetMessage.TargetsHealth("q3", List.of(new FleetMessage.TargetRow("chat", "127.0.0.1:9000", "draining", true, null,
                        "connect refused", 4))));
        for (FleetMessage m : messages) assertThat(FleetMessage.decode(FleetMessage.encode(m))).isEqualTo(m);
        assertThat(FleetMessage.encode(messages.get(0))).isEqualTo("{\"type\":\"tunnels_query\",\"query_id\":\"q1\",\"route\":\"chat\"}");
        assertThat(FleetMessage.encode(messages.get(2))).contains("\"type\":\"close_tunnels\"", "\"over_ms\":500");
        assertThat(FleetMessage.encode(messages.get(5))).contains("\"type\":\"health\"", "\"tunnels_open\":4", "\"last_failure\":\"connect refused\"");
        assertThat(FleetMessage.decode("{\"type\":\"tunnels\",\"query_id\":\"q\"}")).isEqualTo(new FleetMessage.Tunnels("q", List.of()));
    }

    @Test
    void snapshotRoundTrips() {
        Snapshot s = new Snapshot(12, ConfigCodec.readConfig(CONTRACT_EXAMPLE));
        assertThat(ConfigCodec.readSnapshot(ConfigCodec.writeBytes(s))).isEqualTo(s);
    }
}
