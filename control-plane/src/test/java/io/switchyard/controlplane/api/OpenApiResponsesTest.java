package io.switchyard.controlplane.api;

import io.switchyard.testkit.TestCerts;
import io.switchyard.testkit.AdminClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import io.switchyard.controlplane.testing.TestStore;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

import static io.switchyard.testkit.AdminClient.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Calls every operation for real and validates each answer (status, content type, body) against
 * the schema openapi.yaml documents for it, with a small JSON Schema subset (type, required,
 * properties, additionalProperties, items, enum, allOf, $ref).
 */
/** Runs on SQLite and on PostgreSQL. */
@ParameterizedClass(name = "{0}")
@EnumSource(TestStore.Kind.class)
class OpenApiResponsesTest {
    @Parameter
    TestStore.Kind kind;
    TestStore store;

    @TempDir
    Path dir;
    ControlPlane cp;
    AdminClient api;
    JsonNode spec;
    final List<String> checked = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        store = TestStore.create(kind, dir);
        cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), store.location(), null, null));
        api = AdminClient.at(cp.adminAddress());
        try (InputStream in = getClass().getResourceAsStream("/openapi.yaml")) {
            spec = new YAMLMapper().readTree(in);
        }
    }

    @AfterEach
    void stop() {
        cp.close();
        store.close();
    }

    @Test
    void everyOperationAnswersWhatTheSpecDocuments() {
        TestCerts.Pem rsa = TestCerts.rsa();
        String cert = "{\"name\":\"site\",\"cert_pem\":" + q(rsa.certPem()) + ",\"key_pem\":" + q(rsa.keyPem()) + "}";

        check("get", "/api/v1/snapshots/current", api.get("/api/v1/snapshots/current"), 200);
        check("post", "/api/v1/upstreams", api.post("/api/v1/upstreams", "{\"name\":\"chat\",\"targets\":[{\"address\":\"127.0.0.1:8010\"}]}"), 201);
        check("post", "/api/v1/upstreams", api.post("/api/v1/upstreams", "{\"name\":\"chat\"}"), 409);
        check("post", "/api/v1/upstreams", api.post("/api/v1/upstreams", "{\"name\":\"x\",\"weight\":1}"), 400);
        check("post", "/api/v1/upstreams", api.send(api.request("/api/v1/upstreams").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("x"))), 415);
        check("post", "/api/v1/upstreams", api.post("/api/v1/upstreams", "{\"name\":\"" + "a".repeat(1 << 20) + "\"}"), 413);
        check("post", "/api/v1/upstreams", api.post("/api/v1/upstreams", "{\"name\":\"y\"}", "Origin", "http://evil.example"), 403);
        check("get", "/api/v1/upstreams", api.get("/api/v1/upstreams"), 200);
        AdminClient.Response chat = api.get("/api/v1/upstreams/chat");
        check("get", "/api/v1/upstreams/{name}", chat, 200);
        check("get", "/api/v1/upstreams/{name}", api.get("/api/v1/upstreams/none"), 404);
        check("put", "/api/v1/upstreams/{name}", api.put("/api/v1/upstreams/chat", "{\"balance\":\"ip_hash\",\"targets\":[{\"address\":\"127.0.0.1:8010\"}]}"), 200);
        check("put", "/api/v1/upstreams/{name}", api.put("/api/v1/upstreams/chat", "{}", "If-Match", chat.header("ETag")), 412);
        check("post", "/api/v1/upstreams/{name}/targets", api.post("/api/v1/upstreams/chat/targets", "{\"address\":\"127.0.0.1:8011\"}"), 201);
        check("delete", "/api/v1/upstreams/{name}/targets/{address}", api.delete("/api/v1/upstreams/chat/targets/127.0.0.1:8011"), 200);
        check("post", "/api/v1/routes", api.post("/api/v1/routes", "{\"name\":\"ws\",\"path_prefix\":\"/wss\",\"upstream\":\"chat\"}"), 201);
        check("get", "/api/v1/routes", api.get("/api/v1/routes"), 200);
        check("get", "/api/v1/routes/{name}", api.get("/api/v1/routes/ws"), 200);
        check("put", "/api/v1/routes/{name}", api.put("/api/v1/routes/ws", "{\"path_prefix\":\"/ws\",\"upstream\":\"chat\"}"), 200);
        check("delete", "/api/v1/upstreams/{name}", api.delete("/api/v1/upstreams/chat"), 409);
        check("post", "/api/v1/certificates", api.post("/api/v1/certificates", cert), 201);
        check("get", "/api/v1/certificates", api.get("/api/v1/certificates"), 200);
        check("get", "/api/v1/certificates/{name}", api.get("/api/v1/certificates/site"), 200);
        check("put", "/api/v1/certificates/{name}", api.put("/api/v1/certificates/site", "{\"cert_pem\":" + q(rsa.certPem()) + ",\"default\":true}"), 200);
        check("get", "/api/v1/timeouts", api.get("/api/v1/timeouts"), 200);
        check("put", "/api/v1/timeouts", api.put("/api/v1/timeouts", "{\"read_ms\":300000}"), 200);
        AdminClient.Response config = api.get("/api/v1/config");
        check("get", "/api/v1/config", config, 200);
        check("put", "/api/v1/config", api.put("/api/v1/config", config.body(), "If-Match", config.header("ETag")), 200);
        check("put", "/api/v1/config", api.put("/api/v1/config", config.body(), "If-Match", "\"1\""), 412);
        check("get", "/api/v1/snapshots", api.get("/api/v1/snapshots?limit=2"), 200);
        check("get", "/api/v1/snapshots", api.get("/api/v1/snapshots?limit=x"), 400);
        check("get", "/api/v1/snapshots/current", api.get("/api/v1/snapshots/current"), 200);
        check("get", "/api/v1/snapshots/{version}", api.get("/api/v1/snapshots/2"), 200);
        check("get", "/api/v1/snapshots/{version}", api.get("/api/v1/snapshots/99"), 404);
        check("get", "/api/v1/snapshots/{from}/diff/{to}", api.get("/api/v1/snapshots/1/diff/8"), 200);
        check("delete", "/api/v1/routes/{name}", api.delete("/api/v1/routes/ws"), 204);
        check("delete", "/api/v1/certificates/{name}", api.delete("/api/v1/certificates/site"), 204);
        check("delete", "/api/v1/certificates/{name}", api.delete("/api/v1/certificates/site"), 404);
        check("post", "/api/v1/snapshots/{version}/rollback", api.post("/api/v1/snapshots/4/rollback", ""), 200);
        check("post", "/api/v1/snapshots/{version}/rollback", api.post("/api/v1/snapshots/99/rollback", ""), 404);
        check("get", "/api/v1/fleet/nodes", api.get("/api/v1/fleet/nodes"), 200);
        check("get", "/api/v1/fleet/nodes", api.get("/api/v1/fleet/nodes?min_version=1&wait_ms=10"), 200);
        check("get", "/api/v1/fleet/nodes", api.get("/api/v1/fleet/nodes?min_version=-1"), 400);
        assertThat(checked).hasSizeGreaterThan(35);
    }

    @Test
    void fleetAnswersAreTheDocumentedOnesToo() throws Exception {
        long v = api.post("/api/v1/upstreams", "{\"name\":\"chat\"}").version();
        java.util.concurrent.CompletableFuture<String> first = new java.util.concurrent.CompletableFuture<>();
        java.net.http.WebSocket ws = java.net.http.HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(java.net.URI.create("ws://127.0.0.1:" + cp.adminAddress().getPort() + "/fleet/v1/stream?node_id=slow"),
                        new java.net.http.WebSocket.Listener() {
                            @Override
                            public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket w, CharSequence data, boolean last) {
                                first.complete(data.toString());
                                return null;
                            }
                        }).join();
        try {
            ws.sendText("{\"type\":\"hello\",\"node_id\":\"slow\",\"software_version\":\"t\",\"address\":null,\"applied_version\":0,\"open_tunnels\":0}", true).join();
            assertThat(first.get(10, java.util.concurrent.TimeUnit.SECONDS)).contains("\"type\":\"snapshot\"");
            // The node never acks: the wait runs out.
            check("get", "/api/v1/fleet/nodes", api.get("/api/v1/fleet/nodes?min_version=" + v + "&wait_ms=50"), 408);
            check("get", "/api/v1/fleet/nodes", api.get("/api/v1/fleet/nodes"), 200);
        } finally {
            ws.abort();
        }
        // The upgrade itself: no node_id is a 400 problem before any WebSocket exists.
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", cp.adminAddress().getPort())) {
            s.getOutputStream().write(("GET /fleet/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes());
            s.setSoTimeout(10_000);
            String raw = readResponse(s.getInputStream());
            assertThat(raw).startsWith("HTTP/1.1 400").containsIgnoringCase("content-type: application/problem+json");
            List<String> errors = new ArrayList<>();
            JsonNode schema = spec.at("/components/responses/BadRequest/content/application~1problem+json/schema");
            validate(schema, new com.fasterxml.jackson.databind.ObjectMapper().readTree(raw.substring(raw.indexOf("\r\n\r\n") + 4)), "$", errors);
            assertThat(errors).isEmpty();
        }
    }

    @Test
    void tunnelTargetAndHealthAnswersAreTheDocumentedOnes() throws Exception {
        api.post("/api/v1/upstreams", "{\"name\":\"chat\",\"targets\":[{\"address\":\"127.0.0.1:8010\"}]}");
        check("put", "/api/v1/upstreams/{name}/targets/{address}", api.put("/api/v1/upstreams/chat/targets/127.0.0.1:8010", "{\"state\":\"draining\"}"), 200);
        check("put", "/api/v1/upstreams/{name}/targets/{address}", api.put("/api/v1/upstreams/chat/targets/127.0.0.1:8010", "{\"weight\":0}"), 400);
        check("put", "/api/v1/upstreams/{name}/targets/{address}", api.put("/api/v1/upstreams/chat/targets/127.0.0.1:9999", "{\"state\":\"active\"}"), 404);
        check("get", "/api/v1/upstreams/{name}/health", api.get("/api/v1/upstreams/none/health"), 404);
        check("get", "/api/v1/tunnels", api.get("/api/v1/tunnels?limit=0"), 400);
        check("post", "/api/v1/tunnels/close", api.post("/api/v1/tunnels/close", "{}"), 400);
        check("delete", "/api/v1/tunnels/{id}", api.delete("/api/v1/tunnels/00000000000000ff"), 404);

        // A node that answers every query from a script: one tunnel, one target.
        java.net.http.WebSocket ws = java.net.http.HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(java.net.URI.create("ws://127.0.0.1:" + cp.adminAddress().getPort() + "/fleet/v1/stream?node_id=n1"),
                        new java.net.http.WebSocket.Listener() {
                            @Override
                            public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket w, CharSequence data, boolean last) {
                                io.switchyard.fleet.FleetMessage m = io.switchyard.fleet.FleetMessage.decode(data.toString());
                                io.switchyard.fleet.FleetMessage a = null;
                                if (m instanceof io.switchyard.fleet.FleetMessage.TunnelsQuery q)
                                    a = new io.switchyard.fleet.FleetMessage.Tunnels(q.queryId(), List.of(new io.switchyard.fleet.FleetMessage.TunnelRow(
                                            "00000000000000aa", "ws", "chat", "127.0.0.1:8010", "127.0.0.1:5000", "2026-01-05T09:58:11.402Z", 5, 7)));
                                else if (m instanceof io.switchyard.fleet.FleetMessage.CloseTunnels q)
                                    a = new io.switchyard.fleet.FleetMessage.TunnelsClosed(q.queryId(), 1);
                                else if (m instanceof io.switchyard.fleet.FleetMessage.HealthQuery q)
                                    a = new io.switchyard.fleet.FleetMessage.TargetsHealth(q.queryId(), List.of(new io.switchyard.fleet.FleetMessage.TargetRow(
                                            "chat", "127.0.0.1:8010", "draining", true, null, null, 1)));
                                if (a != null) w.sendText(io.switchyard.fleet.FleetMessage.encode(a), true);
                                w.request(1);
                                return null;
                            }
                        }).join();
        try {
            ws.sendText("{\"type\":\"hello\",\"node_id\":\"n1\",\"software_version\":\"t\",\"address\":null,\"applied_version\":0,\"open_tunnels\":1}", true).join();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> api.get("/api/v1/fleet/nodes").body().contains("\"open_tunnels\":1"));
            AdminClient.Response list = api.get("/api/v1/tunnels");
            check("get", "/api/v1/tunnels", list, 200);
            assertThat(list.json().at("/tunnels/0/node_id").asText()).isEqualTo("n1");
            check("get", "/api/v1/upstreams/{name}/health", api.get("/api/v1/upstreams/chat/health"), 200);
            check("post", "/api/v1/tunnels/close", api.post("/api/v1/tunnels/close", "{\"target\":\"127.0.0.1:8010\",\"over_ms\":0}"), 200);
            check("delete", "/api/v1/tunnels/{id}", api.delete("/api/v1/tunnels/00000000000000aa"), 204);
        } finally {
            ws.abort();
        }
    }

    /** One HTTP/1.1 response with a Content-Length body, read off a raw socket. */
    private static String readResponse(InputStream in) throws java.io.IOException {
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        int length = -1;
        int headerEnd = -1;
        while (headerEnd < 0 || buf.size() < headerEnd + length) {
            int b = in.read();
            if (b < 0) break;
            buf.write(b);
            if (headerEnd < 0 && buf.toString().endsWith("\r\n\r\n")) {
                headerEnd = buf.size();
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(buf.toString());
                length = m.find() ? Integer.parseInt(m.group(1)) : 0;
            }
        }
        return buf.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    private void check(String method, String template, AdminClient.Response r, int status) {
        String where = method.toUpperCase() + " " + template + " -> " + r.status();
        assertThat(r.status()).as(where + " " + r.body()).isEqualTo(status);
        JsonNode response = resolve(spec.at("/paths/" + pointer(template) + "/" + method + "/responses/" + status));
        assertThat(response.isMissingNode()).as(where + " is documented").isFalse();
        JsonNode content = response.get("content");
        if (content == null) {
            assertThat(r.body()).as(where + " has no body").isEmpty();
        } else {
            String type = r.header("Content-Type").split(";")[0].trim();
            assertThat(content.has(type)).as(where + " documents " + type).isTrue();
            List<String> errors = new ArrayList<>();
            validate(content.get(type).get("schema"), r.json(), "$", errors);
            assertThat(errors).as(where).isEmpty();
        }
        JsonNode headers = response.get("headers");
        if (headers != null && headers.has("X-Config-Version")) assertThat(r.header("X-Config-Version")).as(where).isNotNull();
        if (headers != null && headers.has("ETag")) assertThat(r.header("ETag")).as(where).isNotNull();
        if (headers != null && headers.has("Location")) assertThat(r.header("Location")).as(where).isNotNull();
        checked.add(where);
    }

    private static String pointer(String path) {
        return path.replace("~", "~0").replace("/", "~1");
    }

    private JsonNode resolve(JsonNode n) {
        while (n != null && n.has("$ref")) n = spec.at(n.get("$ref").asText().substring(1));
        return n;
    }

    private void validate(JsonNode schema, JsonNode value, String at, List<String> errors) {
        validate(schema, value, at, errors, true);
    }

    /** {@code strict}: fields the schema does not list are errors (off inside allOf, where the union decides). */
    private void validate(JsonNode schema, JsonNode value, String at, List<String> errors, boolean strict) {
        schema = resolve(schema);
        if (schema.has("allOf")) {
            Set<String> known = new java.util.HashSet<>();
            for (JsonNode part : schema.get("allOf")) {
                validate(part, value, at, errors, false);
                JsonNode props = resolve(part).get("properties");
                if (props != null) props.fieldNames().forEachRemaining(known::add);
            }
            if (strict && value.isObject())
                value.fieldNames().forEachRemaining(f -> {
                    if (!known.contains(f)) errors.add(at + ": undocumented field " + f);
                });
            return;
        }
        if (schema.has("type")) {
            List<String> types = new ArrayList<>();
            if (schema.get("type").isArray()) schema.get("type").forEach(t -> types.add(t.asText()));
            else types.add(schema.get("type").asText());
            if (types.stream().noneMatch(t -> is(t, value))) {
                errors.add(at + ": " + value.getNodeType() + " is not " + types);
                return;
            }
        }
        if (schema.has("enum")) {
            boolean found = false;
            for (JsonNode e : schema.get("enum")) found |= e.equals(value);
            if (!found) errors.add(at + ": " + value + " not in " + schema.get("enum"));
        }
        if (value.isObject()) {
            if (schema.has("required"))
                for (JsonNode req : schema.get("required")) if (!value.has(req.asText())) errors.add(at + ": missing " + req.asText());
            JsonNode props = schema.get("properties");
            for (Iterator<String> it = value.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (props != null && props.has(f)) validate(props.get(f), value.get(f), at + "." + f, errors, true);
                else if (strict && props != null) errors.add(at + ": undocumented field " + f);
            }
        }
        if (value.isArray() && schema.has("items")) {
            int i = 0;
            for (JsonNode item : value) validate(schema.get("items"), item, at + "[" + i++ + "]", errors, true);
        }
    }

    private static boolean is(String type, JsonNode v) {
        return switch (type) {
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            case "string" -> v.isTextual();
            case "integer" -> v.isIntegralNumber();
            case "number" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            case "null" -> v.isNull();
            default -> false;
        };
    }
}
