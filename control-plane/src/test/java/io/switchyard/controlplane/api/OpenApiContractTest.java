package io.switchyard.controlplane.api;

import io.switchyard.testkit.AdminClient;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.switchyard.config.Certificate;
import io.switchyard.config.Config;
import io.switchyard.config.ConfigCodec;
import io.switchyard.config.ConfigMapper;
import io.switchyard.config.OnTargetRemoved;
import io.switchyard.config.OriginPolicy;
import io.switchyard.config.Route;
import io.switchyard.config.Target;
import io.switchyard.config.Timeouts;
import io.switchyard.config.Upstream;
import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import io.switchyard.controlplane.fleet.FleetHub;
import io.switchyard.controlplane.snapshot.ConfigDiff;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** Holds openapi.yaml (the file the jar serves) against what the code really registers and accepts. */
class OpenApiContractTest {
    static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");
    @TempDir
    static Path dir;
    static ControlPlane cp;
    static JsonNode spec;

    @BeforeAll
    static void start() throws Exception {
        cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), dir.resolve("cp.db"), null, null));
        try (InputStream in = OpenApiContractTest.class.getResourceAsStream("/openapi.yaml")) {
            spec = new YAMLMapper().readTree(in);
        }
    }

    @AfterAll
    static void stop() {
        cp.close();
    }

    @Test
    void everyRegisteredRouteIsInTheSpecAndViceVersa() {
        Set<String> documented = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = spec.get("paths").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> path = it.next();
            for (Iterator<String> m = path.getValue().fieldNames(); m.hasNext(); ) {
                String method = m.next();
                if (METHODS.contains(method)) documented.add(method.toUpperCase() + " " + path.getKey());
            }
        }
        assertThat(new TreeSet<>(cp.endpoints())).isNotEmpty().isEqualTo(documented);
    }

    @Test
    void theServedDocumentIsTheRepositoryFile() throws Exception {
        AdminClient.Response served = AdminClient.at(cp.adminAddress()).get("/openapi.yaml");
        assertThat(new YAMLMapper().readTree(served.body())).isEqualTo(spec);
        assertThat(spec.get("openapi").asText()).startsWith("3.1");
    }

    @Test
    void everyReferenceResolves() {
        List<String> refs = new ArrayList<>();
        collectRefs(spec, refs);
        assertThat(refs).isNotEmpty();
        for (String ref : refs) {
            assertThat(ref).startsWith("#/");
            assertThat(spec.at(ref.substring(1)).isMissingNode()).as(ref).isFalse();
        }
    }

    @Test
    void everyApiOperationDocumentsAuthAndOriginRefusalsAndEveryWriteItsVersionHeader() {
        for (Iterator<Map.Entry<String, JsonNode>> it = spec.get("paths").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> path = it.next();
            if (!path.getKey().startsWith("/api/")) continue;
            for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                if (!METHODS.contains(op.getKey())) continue;
                JsonNode responses = op.getValue().get("responses");
                String where = op.getKey() + " " + path.getKey();
                assertThat(responses.has("401")).as(where).isTrue();
                assertThat(responses.has("403")).as(where).isTrue();
                if (!op.getKey().equals("get")) {
                    JsonNode ok = responses.has("200") ? responses.get("200") : responses.has("201") ? responses.get("201") : responses.get("204");
                    assertThat(ok.get("headers").has("X-Config-Version")).as(where).isTrue();
                }
                if (op.getValue().has("requestBody")) {
                    assertThat(responses.has("400")).as(where).isTrue();
                    assertThat(responses.has("413")).as(where).isTrue();
                    assertThat(responses.has("415")).as(where).isTrue();
                }
            }
        }
    }

    @Test
    void schemasListExactlyTheFieldsTheCodecReadsAndWrites() {
        Map<String, Class<?>> schemas = Map.ofEntries(Map.entry("Upstream", Upstream.class), Map.entry("Target", Target.class),
                Map.entry("Route", Route.class), Map.entry("Timeouts", Timeouts.class), Map.entry("RouteTimeouts", Timeouts.class),
                Map.entry("OnTargetRemoved", OnTargetRemoved.class), Map.entry("OriginPolicy", OriginPolicy.class),
                Map.entry("CertificateInput", Certificate.class),
                Map.entry("Config", Config.class), Map.entry("CertificateView", CertificateView.class),
                Map.entry("Node", FleetHub.NodeView.class), Map.entry("EntityChanges", ConfigDiff.EntityChanges.class),
                Map.entry("Settings", Views.Settings.class), Map.entry("TargetChange", FleetQueriesApi.TargetChange.class),
                Map.entry("Tunnel", FleetQueriesApi.TunnelView.class), Map.entry("TunnelPage", FleetQueriesApi.TunnelPage.class),
                Map.entry("CloseTunnels", FleetQueriesApi.CloseRequest.class), Map.entry("Closing", FleetQueriesApi.Closing.class),
                Map.entry("UpstreamHealth", FleetQueriesApi.UpstreamHealth.class),
                Map.entry("TargetHealth", FleetQueriesApi.TargetHealthView.class));
        for (Map.Entry<String, Class<?>> e : schemas.entrySet()) {
            Set<String> documented = new TreeSet<>();
            spec.at("/components/schemas/" + e.getKey() + "/properties").fieldNames().forEachRemaining(documented::add);
            assertThat(documented).as(e.getKey()).isEqualTo(properties(e.getValue()));
        }
    }

    @Test
    void requestExamplesAreAcceptedByTheCodec() {
        Map<String, Class<?>> bodies = Map.of("Upstream", Upstream.class, "Target", Target.class, "Route", Route.class,
                "Timeouts", Timeouts.class, "CertificateInput", Certificate.class, "Config", Config.class, "Settings", Views.Settings.class,
                "TargetChange", FleetQueriesApi.TargetChange.class, "CloseTunnels", FleetQueriesApi.CloseRequest.class);
        int checked = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = spec.get("paths").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> path = it.next();
            for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                JsonNode content = op.getValue().at("/requestBody/content/application~1json");
                if (content.isMissingNode()) continue;
                String schema = content.at("/schema/$ref").asText().replace("#/components/schemas/", "");
                assertThat(bodies).containsKey(schema);
                for (JsonNode example : content.get("examples")) {
                    ObjectNode value = example.get("value").deepCopy();
                    // PUT on /{name} takes the name from the path.
                    if (op.getKey().equals("put") && path.getKey().endsWith("{name}") && !value.has("name")) value.put("name", "x");
                    ConfigCodec.read(value.toString(), bodies.get(schema));
                    checked++;
                }
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(8);
    }

    @Test
    void problemExamplesHaveTheProblemShape() {
        int checked = 0;
        for (JsonNode response : spec.at("/components/responses")) {
            JsonNode examples = response.at("/content/application~1problem+json/examples");
            for (JsonNode ex : examples) {
                JsonNode v = ex.get("value");
                assertThat(v.get("type").asText()).startsWith(Http.PROBLEM_TYPE_PREFIX);
                for (String f : List.of("title", "status", "detail", "errors")) assertThat(v.has(f)).as(f).isTrue();
                checked++;
            }
        }
        // Moving or renaming the examples must not turn this into a test of nothing.
        assertThat(checked).isPositive();
    }

    private static Set<String> properties(Class<?> type) {
        ObjectMapper m = ConfigMapper.mapper();
        JavaType t = m.constructType(type);
        BeanDescription d = m.getSerializationConfig().introspect(t);
        Set<String> out = new TreeSet<>();
        for (BeanPropertyDefinition p : d.findProperties()) out.add(p.getName());
        return out;
    }

    private static void collectRefs(JsonNode n, List<String> out) {
        if (n.isObject()) {
            if (n.has("$ref")) out.add(n.get("$ref").asText());
            n.elements().forEachRemaining(c -> collectRefs(c, out));
        } else if (n.isArray()) {
            n.elements().forEachRemaining(c -> collectRefs(c, out));
        }
    }
}
