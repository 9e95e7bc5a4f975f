package io.switchyard.controlplane.api;

import io.switchyard.testkit.AdminClient;
import com.fasterxml.jackson.databind.JsonNode;
import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A route's {@code origin} through the admin API: stored, returned, replaced, and bad patterns refused naming the field. */
class RouteOriginApiTest {
    static final String V1 = "/api/v1";
    static final String POLICY = "{\"allow\":[\"https://app.example.com\",\"https://*.example.com\"],\"credentials\":true,"
            + "\"methods\":[\"GET\",\"POST\"],\"headers\":[\"Content-Type\"],\"expose\":[\"X-Request-Id\"],\"max_age_s\":600,"
            + "\"websocket\":\"enforce\",\"require_origin\":false}";

    @TempDir
    Path dir;
    ControlPlane cp;
    AdminClient api;

    @BeforeEach
    void start() {
        cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), dir.resolve("cp.db"), null, null));
        api = AdminClient.at(cp.adminAddress());
        assertThat(api.post(V1 + "/upstreams", "{\"name\":\"api\",\"targets\":[{\"address\":\"127.0.0.1:8010\"}]}").status()).isEqualTo(201);
    }

    @AfterEach
    void stop() {
        cp.close();
    }

    private static String route(String origin) {
        return "{\"name\":\"api\",\"hosts\":[\"api.example.com\"],\"upstream\":\"api\"" + (origin == null ? "" : ",\"origin\":" + origin) + "}";
    }

    @Test
    void aRoutesOriginPolicyIsStoredReturnedAndInTheDocument() throws Exception {
        AdminClient.Response created = api.post(V1 + "/routes", route(POLICY));
        assertThat(created.status()).isEqualTo(201);
        JsonNode origin = created.json().get("origin");
        assertThat(origin.get("allow").get(1).asText()).isEqualTo("https://*.example.com");
        assertThat(origin.get("credentials").asBoolean()).isTrue();
        assertThat(origin.get("max_age_s").asLong()).isEqualTo(600);

        JsonNode read = api.get(V1 + "/routes/api").json().get("origin");
        assertThat(read).isEqualTo(new com.fasterxml.jackson.databind.ObjectMapper().readTree(POLICY));
        JsonNode doc = api.get(V1 + "/config").json();
        assertThat(doc.get("routes").get(0).get("origin")).isEqualTo(read);

        // Narrowed through the API: the new policy replaces the old one whole; absent fields take their defaults.
        AdminClient.Response narrowed = api.put(V1 + "/routes/api", route("{\"allow\":[\"https://other.example.org\"]}"));
        assertThat(narrowed.status()).isEqualTo(200);
        JsonNode now = api.get(V1 + "/routes/api").json().get("origin");
        assertThat(now.get("allow")).hasSize(1);
        assertThat(now.get("allow").get(0).asText()).isEqualTo("https://other.example.org");
        assertThat(now.get("credentials").asBoolean()).isFalse();
        assertThat(now.get("websocket").asText()).isEqualTo("enforce");

        // Removed: the field is gone from answers.
        assertThat(api.put(V1 + "/routes/api", route(null)).status()).isEqualTo(200);
        assertThat(api.get(V1 + "/routes/api").json().has("origin")).isFalse();
    }

    @Test
    void badPatternsAreProblemsNamingTheFieldAndChangeNothing() {
        long before = api.get(V1 + "/snapshots/current").json().get("version").asLong();
        AdminClient.Response r = api.post(V1 + "/routes", route("{\"allow\":[\"app.example.com\",\"https://a.*.example.com\"]}"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.header("Content-Type")).startsWith("application/problem+json");
        assertThat(r.errorFields()).containsExactly("origin.allow[0]", "origin.allow[1]");
        assertThat(r.json().get("errors").get(0).get("message").asText()).contains("\"app.example.com\" (expected: an origin");

        AdminClient.Response star = api.post(V1 + "/routes", route("{\"allow\":[\"*\"],\"credentials\":true}"));
        assertThat(star.status()).isEqualTo(400);
        assertThat(star.errorFields()).containsExactly("origin.allow[0]");
        assertThat(star.json().get("errors").get(0).get("message").asText()).contains("not with credentials");

        AdminClient.Response mode = api.post(V1 + "/routes", route("{\"allow\":[],\"websocket\":\"maybe\"}"));
        assertThat(mode.status()).isEqualTo(400);
        assertThat(mode.errorFields()).containsExactly("origin.websocket");

        AdminClient.Response whole = api.put(V1 + "/config", "{\"upstreams\":[{\"name\":\"api\",\"targets\":[{\"address\":\"127.0.0.1:8010\"}]}],"
                + "\"routes\":[" + route("{\"allow\":[\"https://ok.example.com\",\"ftp://files.example.com\"]}") + "]}");
        assertThat(whole.status()).isEqualTo(400);
        assertThat(whole.errorFields()).containsExactly("routes[0].origin.allow[1]");
        assertThat(api.get(V1 + "/snapshots/current").json().get("version").asLong()).isEqualTo(before);
    }
}
