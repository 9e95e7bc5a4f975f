package io.switchyard.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A route's {@code origin}: reading, defaults, round trips, matching and refused patterns with their field paths. */
class OriginPolicyTest {
    private static String doc(String origin) {
        return """
                {"upstreams":[{"name":"u","targets":[{"address":"h:1"}]}],
                 "routes":[{"name":"other","upstream":"u","path_prefix":"/x"},{"name":"r","upstream":"u","origin":%s}]}"""
                .formatted(origin);
    }

    private static void assertRejected(String origin, String field, String messagePart) {
        assertThatThrownBy(() -> ConfigCodec.readConfig(doc(origin)))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.violations()).extracting(Violation::field).containsExactly(field);
                    assertThat(e.violations().get(0).message()).contains(messagePart);
                });
    }

    @Test
    void aRouteWithoutOriginHasNoPolicyAndPrintsWithoutTheField() {
        Config c = ConfigCodec.readConfig(doc("null"));
        assertThat(c.routes().get(1).origin()).isNull();
        assertThat(ConfigCodec.write(c)).doesNotContain("origin");
    }

    @Test
    void readsTheWholePolicyAndRoundTripsItUnchanged() {
        Config c = ConfigCodec.readConfig(doc("""
                {"allow":["https://app.example.com","https://*.Example.com"],"credentials":true,"methods":["GET","POST"],
                 "headers":["Content-Type","Authorization"],"expose":["X-Request-Id"],"max_age_s":600,
                 "websocket":"enforce","require_origin":true}"""));
        OriginPolicy p = c.routes().get(1).origin();
        assertThat(p.allow()).containsExactly("https://app.example.com", "https://*.Example.com");
        assertThat(p.credentials()).isTrue();
        assertThat(p.methods()).containsExactly("GET", "POST");
        assertThat(p.headers()).containsExactly("Content-Type", "Authorization");
        assertThat(p.expose()).containsExactly("X-Request-Id");
        assertThat(p.maxAgeS()).isEqualTo(600L);
        assertThat(p.websocket()).isEqualTo(OriginPolicy.WebSocketMode.ENFORCE);
        assertThat(p.requireOrigin()).isTrue();
        String json = ConfigCodec.write(c);
        assertThat(json).contains("\"origin\":{\"allow\":[\"https://app.example.com\",\"https://*.Example.com\"],\"credentials\":true,"
                + "\"methods\":[\"GET\",\"POST\"],\"headers\":[\"Content-Type\",\"Authorization\"],\"expose\":[\"X-Request-Id\"],"
                + "\"max_age_s\":600,\"websocket\":\"enforce\",\"require_origin\":true}");
        assertThat(ConfigCodec.readConfig(json)).isEqualTo(c).hasSameHashCodeAs(c);
    }

    @Test
    void absentFieldsTakeTheirDefaults() {
        OriginPolicy p = ConfigCodec.readConfig(doc("{\"allow\":[\"https://app.example.com\"]}")).routes().get(1).origin();
        assertThat(p.credentials()).isFalse();
        assertThat(p.methods()).isEqualTo(OriginPolicy.DEFAULT_METHODS);
        assertThat(p.headers()).isEmpty();
        assertThat(p.expose()).isEmpty();
        assertThat(p.maxAgeS()).isNull();
        assertThat(p.enforcesWebSocket()).isTrue();
        assertThat(p.requireOrigin()).isFalse();
        assertThat(p).isEqualTo(new OriginPolicy(List.of("https://app.example.com")));
    }

    @Test
    void matchesExactOriginsWithTheirPortAndDefaultPortsAsNone() {
        OriginPolicy p = new OriginPolicy(List.of("https://app.example.com", "http://localhost:8080", "HTTP://Upper.Example.com:80"));
        assertThat(p.allows("https://app.example.com")).isTrue();
        assertThat(p.allows("https://app.example.com:443")).isTrue();
        assertThat(p.allows("https://APP.example.com")).isTrue();
        assertThat(p.allows("http://app.example.com")).isFalse();
        assertThat(p.allows("https://app.example.com:8443")).isFalse();
        assertThat(p.allows("https://app.example.com.evil.com")).isFalse();
        assertThat(p.allows("https://evilapp.example.com")).isFalse();
        assertThat(p.allows("http://localhost:8080")).isTrue();
        assertThat(p.allows("http://localhost")).isFalse();
        assertThat(p.allows("http://upper.example.com")).isTrue();
    }

    @Test
    void aWildcardCoversExactlyOneLabelOnTheSameSchemeAndPort() {
        OriginPolicy p = new OriginPolicy(List.of("https://*.example.com", "http://*.localhost:8080"));
        assertThat(p.allows("https://a.example.com")).isTrue();
        assertThat(p.allows("https://a.example.com:443")).isTrue();
        assertThat(p.allows("https://example.com")).isFalse();
        assertThat(p.allows("https://a.b.example.com")).isFalse();
        assertThat(p.allows("http://a.example.com")).isFalse();
        assertThat(p.allows("https://a.example.com:8443")).isFalse();
        assertThat(p.allows("https://aexample.com")).isFalse();
        assertThat(p.allows("http://app.localhost:8080")).isTrue();
        assertThat(p.allows("http://app.localhost")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"null", "", "https://", "https://a.example.com/", "https://a.example.com/path", "ftp://a.example.com",
            "https://user@a.example.com", "https://a.example.com:", "https://a.example.com.", "https://a example.com",
            "https://a.example.com:99999", "app.example.com"})
    void neverAllowsAMalformedOriginNotEvenWithTheStar(String origin) {
        OriginPolicy p = new OriginPolicy(List.of("*", "https://a.example.com"));
        assertThat(p.allowsAny()).isTrue();
        assertThat(p.allows(origin)).isFalse();
        assertThat(p.allows(null)).isFalse();
        assertThat(p.allows("https://anything.example.org")).isTrue();
    }

    @Test
    void methodsAreExactAndHeadersCaseInsensitive() {
        OriginPolicy p = new OriginPolicy(List.of("*"), false, List.of("GET", "PUT"), List.of("Content-Type"), null, null, null, null);
        assertThat(p.allowsMethod("PUT")).isTrue();
        assertThat(p.allowsMethod("put")).isFalse();
        assertThat(p.allowsMethod("DELETE")).isFalse();
        assertThat(p.allowsHeader("content-type")).isTrue();
        assertThat(p.allowsHeader("x-other")).isFalse();
        OriginPolicy any = new OriginPolicy(List.of("*"), false, null, List.of("*"), null, null, null, null);
        assertThat(any.allowsHeader("x-other")).isTrue();
    }

    @Test
    void refusesBadPatternsNamingTheirPlaceInTheDocument() {
        assertRejected("{\"allow\":[\"https://a.example.com\",\"https://a.example.com/app\"]}", "routes[1].origin.allow[1]",
                "\"https://a.example.com/app\" (expected: an origin such as");
        assertRejected("{\"allow\":[\"a.example.com\"]}", "routes[1].origin.allow[0]", "(expected: an origin");
        assertRejected("{\"allow\":[\"https://*.*.example.com\"]}", "routes[1].origin.allow[0]", "(expected: an origin");
        assertRejected("{\"allow\":[\"https://a.*.example.com\"]}", "routes[1].origin.allow[0]", "(expected: an origin");
        assertRejected("{\"allow\":[\"https://*.10.0.0.1\"]}", "routes[1].origin.allow[0]", "(expected: an origin");
        assertRejected("{\"allow\":[\"null\"]}", "routes[1].origin.allow[0]", "(expected: an origin");
        assertRejected("{\"allow\":[\"https://A.example.com\",\"https://a.example.com:443\"]}", "routes[1].origin.allow[1]",
                "(duplicate: also allow[0])");
        assertRejected("{\"allow\":[\"*\"],\"credentials\":true}", "routes[1].origin.allow[0]", "not with credentials: true");
        assertRejected("{}", "routes[1].origin.allow", "missing");
        assertRejected("{\"allow\":[\"*\"],\"websocket\":\"strict\"}", "routes[1].origin.websocket", "\"strict\" (expected: enforce or off)");
        assertRejected("{\"allow\":[\"*\"],\"methods\":[\"GET\",\"BAD METHOD\"]}", "routes[1].origin.methods[1]", "expected: a method name");
        assertRejected("{\"allow\":[\"*\"],\"headers\":[\"X-A\",\"x-a\"]}", "routes[1].origin.headers[1]", "(duplicate)");
        assertRejected("{\"allow\":[\"*\"],\"expose\":[\"a:b\"]}", "routes[1].origin.expose[0]", "expected: a header name");
        assertRejected("{\"allow\":[\"*\"],\"max_age_s\":-1}", "routes[1].origin.max_age_s", "(expected: >= 0 and <= 86400)");
        assertRejected("{\"allow\":[\"*\"],\"allow_all\":true}", "routes[1].origin.allow_all", "unknown field");
        assertRejected("{\"allow\":[null]}", "routes[1].origin.allow[0]", "null (expected: an origin");
        assertRejected("{\"allow\":[\"*\"],\"methods\":[null]}", "routes[1].origin.methods[0]", "null (expected: a method name");
    }

    @Test
    void refusesAllViolationsAtOnceWhenBuiltInCode() {
        assertThatThrownBy(() -> new OriginPolicy(List.of("*", "https://ok.example.com", "nope"), true, null, null, null, 100_000L, null, null))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.violations()).extracting(Violation::field)
                        .containsExactly("allow[0]", "allow[2]", "max_age_s"));
    }

    @Test
    void aSingleRouteReadAloneNamesTheFieldFromTheRoute() {
        assertThatThrownBy(() -> ConfigCodec.read("{\"name\":\"r\",\"upstream\":\"u\",\"origin\":{\"allow\":[\"*.example.com\"]}}", Route.class))
                .isInstanceOfSatisfying(ConfigException.class, e ->
                        assertThat(e.violations()).extracting(Violation::field).containsExactly("origin.allow[0]"));
    }

    @Test
    void withOriginKeepsEveryOtherFieldAndOtherCopiesKeepThePolicy() {
        Route r = new Route("r", List.of("api.example.com"), "/api", "u").withMergeSlashes(false);
        OriginPolicy p = new OriginPolicy(List.of("https://app.example.com"));
        Route withPolicy = r.withOrigin(p);
        assertThat(withPolicy.origin()).isEqualTo(p);
        assertThat(withPolicy.mergeSlashes()).isFalse();
        assertThat(withPolicy.hosts()).containsExactly("api.example.com");
        assertThat(withPolicy.withUpstream("v").origin()).isEqualTo(p);
        assertThat(withPolicy.withMergeSlashes(true).origin()).isEqualTo(p);
        assertThat(withPolicy.withOrigin(null).origin()).isNull();
    }
}
