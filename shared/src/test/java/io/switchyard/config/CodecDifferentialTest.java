package io.switchyard.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchyard.fleet.FleetMessage;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link ConfigCodec} (streaming) against Jackson's data-binding mapper ({@link ConfigMapper}), which reads the same
 * annotations: every field of a document that sets every setting of the contract is replaced in turn by every kind of
 * JSON value, removed, or given an unknown sibling, and both must then read the same configuration or reject it with
 * the same violations. Writing must give the same text. Where the streaming codec is deliberately stricter than the
 * mapper (a number or boolean where a string belongs, which the mapper turns into text), it must reject with "wrong
 * type" at that field; those cases are counted apart.
 */
class CodecDifferentialTest {
    static final String EVERYTHING = """
            {
              "timeouts": { "connect_ms": 4000, "read_ms": 50000, "send_ms": 40000 },
              "upstreams": [
                { "name": "chat", "balance": "ip_hash",
                  "targets": [ { "address": "127.0.0.1:8010", "weight": 3 },
                               { "address": "127.0.0.1:8011", "weight": 1, "state": "draining" } ],
                  "tls": true, "sni": "chat.internal", "verify": false,
                  "ca_pem": "-----BEGIN CERTIFICATE-----x",
                  "health": { "active": { "type": "http", "path": "/healthz", "interval_ms": 3000, "timeout_ms": 500,
                                          "healthy_threshold": 2, "unhealthy_threshold": 4, "expect_status": [200, 204] },
                              "passive": { "max_fails": 3, "fail_timeout_ms": 20000 } },
                  "on_unhealthy": "drain", "panic": true, "drain_ms": 5000 },
                { "name": "api", "targets": [ { "address": "127.0.0.1:9000" } ] }
              ],
              "routes": [
                { "name": "chat-ws", "hosts": ["example.com", "*.example.org"], "path_prefix": "/wss",
                  "upstream": "chat", "strip_prefix": true, "preserve_host": true,
                  "timeouts": { "read_ms": 300000, "send_ms": 300000 },
                  "on_target_removed": {"action": "drain", "grace_ms": 1000}, "https_only": true,
                  "merge_slashes": false,
                  "origin": { "allow": ["https://app.example.com"], "credentials": true, "methods": ["GET", "POST"],
                              "headers": ["Content-Type"], "expose": ["X-Request-Id"], "max_age_s": 600,
                              "websocket": "enforce", "require_origin": true } },
                { "name": "api", "path_prefix": "/api", "upstream": "api" }
              ],
              "certificates": [
                { "name": "example", "snis": ["example.com"], "cert_pem": "-----BEGIN CERTIFICATE-----x",
                  "key_pem": "-----BEGIN PRIVATE KEY-----y", "default": true }
              ],
              "trusted_proxies": ["10.0.0.0/8", "::1"],
              "client_body_timeout_ms": 30000, "max_connections": 1000, "max_tunnels": 500
            }""";

    private static final ObjectMapper MAPPER = ConfigMapper.mapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** What reading gave: the value, or the violations. */
    private record Outcome(Object value, List<String> violations) {
        @Override
        public String toString() {
            return violations == null ? "read" : violations.toString();
        }

        static Outcome of(Object v) {
            return new Outcome(v, null);
        }

        /**
         * Type complaints in one form ("wrong type (expected: an integer)": the mapper sometimes quotes the value
         * instead), and the known names of an unknown-field complaint sorted (the mapper's order is its own).
         */
        Outcome normalized() {
            if (violations == null) return this;
            List<String> out = new ArrayList<>();
            for (String v : violations) {
                java.util.regex.Matcher m = TYPE.matcher(v);
                if (m.matches() && !v.contains("null (expected: ")) v = m.group(1) + "wrong type (expected: " + m.group(2) + ")";
                m = UNKNOWN.matcher(v);
                if (m.matches()) {
                    List<String> names = new ArrayList<>(List.of(m.group(2).split(", ")));
                    java.util.Collections.sort(names);
                    v = m.group(1) + names + ")";
                }
                out.add(v);
            }
            return new Outcome(value, out);
        }

        static Outcome of(ConfigException e) {
            return new Outcome(null, e.violations().stream().map(Violation::toString).toList());
        }
    }

    private static final java.util.regex.Pattern TYPE = java.util.regex.Pattern.compile(
            "(\\S*: |)(?:wrong type|.*) \\(expected: (a string|an integer|true or false|an array|an object|one of the documented names)\\)");
    private static final java.util.regex.Pattern UNKNOWN = java.util.regex.Pattern.compile(
            "(.*unknown field \\(expected one of: )\\[(.*)\\]\\)");

    /**
     * Why the streaming codec may answer differently from the mapper here, or null when it may not: each reason is a
     * document the mapper reads by guessing (or fails on with an internal error) and the codec rejects, naming the
     * field.
     */
    private static String stricter(JsonNode original, JsonNode now, Outcome ours, Outcome theirs) {
        if (ours.violations() == null || ours.violations().size() != 1) return null;
        String v = ours.violations().get(0);
        if (original.isTextual() && now != null && (now.isNumber() || now.isBoolean())) {
            return v.endsWith("wrong type (expected: a string)") || v.endsWith("wrong type (expected: one of the documented names)")
                    ? "a number or boolean where a string belongs" : null;
        }
        if (original.isIntegralNumber() && now != null && now.isFloatingPointNumber()) {
            return v.endsWith("wrong type (expected: an integer)") ? "a fraction where an integer belongs" : null;
        }
        if (v.endsWith(": null (expected: an object)")) {
            return theirs.violations() != null ? "null in a list" : null;
        }
        boolean textForObject = original.isObject() && now != null && now.isTextual()
                || original.isArray() && original.size() > 0 && original.get(0).isObject()
                && now != null && now.isArray() && now.size() > 0 && now.get(0).isTextual();
        if (textForObject) {
            return v.endsWith("wrong type (expected: an object)") ? "a string where an object belongs" : null;
        }
        if (v.contains("unknown field") && theirs.violations() != null) return "an unknown field besides other violations";
        return null;
    }

    private static <T> Outcome streaming(String json, Class<T> type) {
        try {
            return Outcome.of(ConfigCodec.read(json, type));
        } catch (ConfigException e) {
            return Outcome.of(e);
        }
    }

    private static <T> Outcome binding(String json, Class<T> type) {
        try {
            T v = MAPPER.readValue(json, type);
            return v == null ? Outcome.of(new ConfigException("", "null (expected: a JSON object)")) : Outcome.of(v);
        } catch (IOException e) {
            return Outcome.of(ConfigMapper.translate(e));
        }
    }

    @Test
    void everyFieldReplacedByEveryKindOfValueReadsAlikeOrIsRejectedAlike() throws IOException {
        JsonNode root = MAPPER.readTree(EVERYTHING);
        assertThat(streaming(EVERYTHING, Config.class).violations()).as("the document is valid").isNull();
        List<JsonNode> replacements = List.of(NODES.nullNode(), NODES.booleanNode(true), NODES.numberNode(0),
                NODES.numberNode(-7), NODES.numberNode(2.5), NODES.textNode(""), NODES.textNode("x"),
                NODES.textNode("round_robin"), NODES.arrayNode(), NODES.arrayNode().add(NODES.nullNode()),
                NODES.arrayNode().add("a"), NODES.objectNode(), NODES.objectNode().put("zz", 1));
        List<String> mismatches = new ArrayList<>();
        Map<String, Integer> reasons = new java.util.TreeMap<>();
        int compared = 0;
        int stricter = 0;
        int accepted = 0;
        for (List<Object> path : paths(root, new ArrayList<>(), new ArrayList<>())) {
            JsonNode original = at(root, path);
            List<JsonNode> mutations = new ArrayList<>();
            for (JsonNode r : replacements) mutations.add(replaced(root, path, r));
            if (!path.isEmpty() && path.get(path.size() - 1) instanceof String) mutations.add(replaced(root, path, null));
            if (original.isObject()) {
                ObjectNode copy = root.deepCopy();
                ((ObjectNode) at(copy, path)).put("unknown_field", 1);
                mutations.add(copy);
            }
            for (JsonNode doc : mutations) {
                String json = doc.toString();
                Outcome ours = streaming(json, Config.class);
                Outcome theirs = binding(json, Config.class);
                JsonNode now = path.isEmpty() ? doc : atOrNull(doc, path);
                Outcome o = ours.normalized();
                Outcome t = theirs.normalized();
                if (o.equals(t)) {
                    if (o.violations() == null) accepted++;
                    compared++;
                    continue;
                }
                String why = stricter(original, now, o, t);
                if (why == null) {
                    mismatches.add(path + " <- " + (now == null ? "removed" : now.toString()) + "\n   ours:   " + ours
                            + "\n   theirs: " + theirs);
                } else {
                    stricter++;
                    reasons.merge(why, 1, Integer::sum);
                }
            }
        }
        assertThat(mismatches).as(String.join("\n", mismatches.subList(0, Math.min(60, mismatches.size())))).isEmpty();
        assertThat(compared).isGreaterThan(1000);
        assertThat(accepted).as("some mutations are valid documents").isGreaterThan(20);
        assertThat(reasons).as("every kind of deliberate difference seen").containsOnlyKeys(
                "a number or boolean where a string belongs", "a fraction where an integer belongs",
                "null in a list", "a string where an object belongs", "an unknown field besides other violations");
    }

    @Test
    void writesWhatTheMapperWrites() throws IOException {
        Config full = ConfigCodec.readConfig(EVERYTHING);
        Config defaults = ConfigCodec.readConfig("""
                {"upstreams":[{"name":"u","targets":[{"address":"h:1"}]}],"routes":[{"name":"r","upstream":"u"}]}""");
        List<Object> values = new ArrayList<>(List.of(full, defaults, full.redacted(), Config.EMPTY, new Snapshot(7, full),
                full.routes(), full.upstreams().get(0), full.certificates().get(0)));
        values.addAll(fleetMessages(full));
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("a", 1);
        map.put("b", null);
        map.put("c", List.of("x", 2L, true));
        map.put("d", Map.of("e", 2.5));
        map.put("f", Balance.LEAST_CONN);
        map.put("g", MAPPER.createObjectNode().put("h", 1).set("i", MAPPER.createArrayNode().add("j"))); // the mapper writes it
        values.add(map);
        for (Object v : values) {
            assertThat(ConfigCodec.write(v)).as(v.getClass().getName()).isEqualTo(MAPPER.writeValueAsString(v));
            assertThat(ConfigCodec.writePretty(v)).isEqualTo(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(v));
            assertThat(new String(ConfigCodec.writeBytes(v), java.nio.charset.StandardCharsets.UTF_8))
                    .isEqualTo(MAPPER.writeValueAsString(v));
        }
    }

    @Test
    void readsEveryFleetMessageAsTheMapperWroteIt() throws IOException {
        for (FleetMessage m : fleetMessages(ConfigCodec.readConfig(EVERYTHING))) {
            String written = MAPPER.writeValueAsString(m);
            assertThat(FleetMessage.decode(written)).isEqualTo(m);
            assertThat(MAPPER.readValue(FleetMessage.encode(m), FleetMessage.class)).isEqualTo(m);
        }
    }

    @Test
    void readsOnlyTheContractsKindsOfType() {
        assertThatThrownBy(() -> ConfigCodec.read("{}", java.time.Duration.class))
                .isInstanceOf(IllegalArgumentException.class).isNotInstanceOf(ConfigException.class)
                .hasMessageContaining("java.time.Duration: not a type of the contract");
    }

    @Test
    void isStricterThanTheMapperWhereTheMapperGuesses() {
        Consumer<String> wrongTypeAtName = json -> assertThatThrownBy(() -> ConfigCodec.readConfig(json))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.violations()).extracting(Violation::toString)
                        .containsExactly("upstreams[0].name: wrong type (expected: a string)"));
        wrongTypeAtName.accept("{\"upstreams\":[{\"name\":5}]}");
        wrongTypeAtName.accept("{\"upstreams\":[{\"name\":true}]}");
        assertRejected("{\"max_tunnels\":1,\"max_tunnels\":2}", "max_tunnels", "duplicate field (expected: each field once)");
        assertRejected("{\"upstreams\":[{\"name\":\"u\",\"targets\":[{\"address\":\"h:1\",\"weight\":1,\"weight\":2}]}]}",
                "upstreams[0].targets[0].weight", "duplicate field (expected: each field once)");
        assertRejected("{} {}", "", "trailing content after the JSON value");
        assertRejected("{\"max_tunnels\":3000000000}", "max_tunnels", "3000000000 (expected: an integer in the range of int)");
        assertRejected("{\"client_body_timeout_ms\":30000000000000000000}", "client_body_timeout_ms",
                "(expected: an integer in the range of long)");
        assertThatThrownBy(() -> FleetMessage.decode("{\"version\":3,\"type\":\"ack\"}"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("\"type\" first");
        assertThatThrownBy(() -> FleetMessage.decode("{\"type\":\"acknowledge\",\"version\":3}"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("type: \"acknowledge\" (expected: one of [hello,");
    }

    private static void assertRejected(String json, String field, String message) {
        assertThatThrownBy(() -> ConfigCodec.readConfig(json)).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.violations()).hasSize(1);
            assertThat(e.violations().get(0).field()).isEqualTo(field);
            assertThat(e.violations().get(0).message()).contains(message);
        });
    }

    static List<FleetMessage> fleetMessages(Config c) {
        return List.of(
                new FleetMessage.Hello("node-1", "0.1.0", "127.0.0.1:8080", 3, 12),
                new FleetMessage.SnapshotPush(4, c),
                new FleetMessage.Ack(4), new FleetMessage.Nack(5, "routes[0].upstream: no such upstream"),
                new FleetMessage.Heartbeat(4, 0),
                new FleetMessage.TunnelsQuery("q1", "chat-ws", null),
                new FleetMessage.Tunnels("q1", List.of(new FleetMessage.TunnelRow("t1", "chat-ws", "chat", "127.0.0.1:8010",
                        "10.0.0.9:5555", "2026-11-28T06:00:00Z", 10, 20))),
                new FleetMessage.CloseTunnels("q2", null, "chat-ws", "127.0.0.1:8010", 1000),
                new FleetMessage.TunnelsClosed("q2", 3), new FleetMessage.HealthQuery("q3"),
                new FleetMessage.TargetsHealth("q3", List.of(new FleetMessage.TargetRow("chat", "127.0.0.1:8010", "active",
                        true, null, "connect refused", 2))));
    }

    /** Every value's path in the tree (names and indices), the root's included. */
    private static List<List<Object>> paths(JsonNode n, List<Object> at, List<List<Object>> out) {
        out.add(List.copyOf(at));
        if (n.isObject()) {
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                at.add(f);
                paths(n.get(f), at, out);
                at.remove(at.size() - 1);
            }
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                at.add(i);
                paths(n.get(i), at, out);
                at.remove(at.size() - 1);
            }
        }
        return out;
    }

    private static JsonNode at(JsonNode n, List<Object> path) {
        for (Object p : path) n = p instanceof Integer i ? n.get(i) : n.get((String) p);
        return n;
    }

    private static JsonNode atOrNull(JsonNode n, List<Object> path) {
        for (Object p : path) {
            if (n == null) return null;
            n = p instanceof Integer i ? n.get(i) : n.get((String) p);
        }
        return n;
    }

    /** A copy of {@code root} with the value at {@code path} replaced (or removed, for null). */
    private static JsonNode replaced(JsonNode root, List<Object> path, JsonNode with) {
        if (path.isEmpty()) return with == null ? NODES.nullNode() : with;
        JsonNode copy = root.deepCopy();
        JsonNode parent = at(copy, path.subList(0, path.size() - 1));
        Object last = path.get(path.size() - 1);
        if (parent instanceof ObjectNode o) {
            if (with == null) o.remove((String) last);
            else o.set((String) last, with);
        } else {
            ((ArrayNode) parent).set((Integer) last, with == null ? NODES.nullNode() : with);
        }
        return copy;
    }
}
