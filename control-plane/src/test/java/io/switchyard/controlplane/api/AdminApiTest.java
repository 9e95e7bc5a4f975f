package io.switchyard.controlplane.api;

import io.switchyard.testkit.TestCerts;
import io.switchyard.testkit.AdminClient;
import com.fasterxml.jackson.databind.JsonNode;
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

import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Map;

import static io.switchyard.testkit.AdminClient.q;
import static org.assertj.core.api.Assertions.assertThat;

/** Runs on SQLite and on PostgreSQL. */
@ParameterizedClass(name = "{0}")
@EnumSource(TestStore.Kind.class)
class AdminApiTest {
    @Parameter
    TestStore.Kind kind;
    TestStore store;

    static final String V1 = "/api/v1";

    @TempDir
    Path dir;
    ControlPlane cp;
    AdminClient api;

    @BeforeEach
    void start() {
        store = TestStore.create(kind, dir);
        cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), store.location(), null, null));
        api = AdminClient.at(cp.adminAddress());
    }

    @AfterEach
    void stop() {
        cp.close();
        store.close();
    }

    static String upstream(String name, String... addresses) {
        StringBuilder t = new StringBuilder();
        for (String a : addresses) t.append(t.length() == 0 ? "" : ",").append("{\"address\":").append(q(a)).append("}");
        return "{\"name\":" + q(name) + ",\"balance\":\"round_robin\",\"targets\":[" + t + "]}";
    }

    static String route(String name, String prefix, String upstream) {
        return "{\"name\":" + q(name) + ",\"hosts\":[\"example.com\"],\"path_prefix\":" + q(prefix) + ",\"upstream\":" + q(upstream) + "}";
    }

    long rows(String sql) throws SQLException {
        return store.scalar(sql);
    }

    @Test
    void freshDatabaseHasNoVersionAndShowsTheEmptyDocumentAsVersionZero() throws SQLException {
        AdminClient.Response r = api.get(V1 + "/snapshots/current");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("version").asLong()).isZero();
        assertThat(r.json().get("config").get("upstreams")).isEmpty();
        assertThat(r.json().get("config").get("timeouts").get("read_ms").asLong()).isEqualTo(60000);
        assertThat(rows("SELECT COUNT(*) FROM snapshots")).isZero();
        assertThat(api.get(V1 + "/snapshots").json().get("items")).isEmpty();
    }

    @Test
    void upstreamCrudCreatesOneVersionPerWriteAndStoresRows() throws SQLException {
        AdminClient.Response created = api.post(V1 + "/upstreams", upstream("chat", "127.0.0.1:8010", "127.0.0.1:8011"));
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.header("Location")).isEqualTo(V1 + "/upstreams/chat");
        assertThat(created.version()).isEqualTo(1);
        assertThat(created.header("ETag")).startsWith("\"");
        assertThat(created.json().get("targets")).hasSize(2);
        assertThat(rows("SELECT COUNT(*) FROM targets WHERE upstream = 'chat'")).isEqualTo(2);

        AdminClient.Response got = api.get(V1 + "/upstreams/chat");
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.header("Cache-Control")).isEqualTo("no-store");
        assertThat(got.json().get("balance").asText()).isEqualTo("round_robin");
        assertThat(got.header("ETag")).isEqualTo(created.header("ETag"));
        assertThat(api.get(V1 + "/upstreams").json()).hasSize(1);

        AdminClient.Response replaced = api.put(V1 + "/upstreams/chat", "{\"balance\":\"ip_hash\",\"targets\":[{\"address\":\"127.0.0.1:9000\",\"weight\":3}]}");
        assertThat(replaced.status()).isEqualTo(200);
        assertThat(replaced.version()).isEqualTo(2);
        assertThat(replaced.json().get("balance").asText()).isEqualTo("ip_hash");
        assertThat(replaced.json().get("targets").get(0).get("weight").asInt()).isEqualTo(3);
        assertThat(rows("SELECT weight FROM targets WHERE upstream = 'chat'")).isEqualTo(3);

        AdminClient.Response same = api.put(V1 + "/upstreams/chat", "{\"balance\":\"ip_hash\",\"targets\":[{\"address\":\"127.0.0.1:9000\",\"weight\":3}]}");
        assertThat(same.status()).isEqualTo(200);
        assertThat(same.version()).as("a write that changes nothing creates no version").isEqualTo(2);

        AdminClient.Response deleted = api.delete(V1 + "/upstreams/chat");
        assertThat(deleted.status()).isEqualTo(204);
        assertThat(deleted.version()).isEqualTo(3);
        assertThat(api.get(V1 + "/upstreams/chat").status()).isEqualTo(404);
        assertThat(rows("SELECT COUNT(*) FROM upstreams")).isZero();
        assertThat(rows("SELECT COUNT(*) FROM targets")).as("targets go with their upstream").isZero();
        assertThat(rows("SELECT MAX(version) FROM snapshots")).isEqualTo(3);
    }

    @Test
    void targetsAreAddedAndRemovedOneAtATime() {
        api.post(V1 + "/upstreams", upstream("chat", "127.0.0.1:8010"));
        AdminClient.Response added = api.post(V1 + "/upstreams/chat/targets", "{\"address\":\"127.0.0.1:8011\",\"weight\":2}");
        assertThat(added.status()).isEqualTo(201);
        assertThat(added.version()).isEqualTo(2);
        assertThat(added.header("Location")).isEqualTo(V1 + "/upstreams/chat/targets/127.0.0.1%3A8011");
        assertThat(added.json().get("targets")).hasSize(2);

        AdminClient.Response again = api.post(V1 + "/upstreams/chat/targets", "{\"address\":\"127.0.0.1:8011\"}");
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.errorFields()).containsExactly("address");

        assertThat(api.post(V1 + "/upstreams/nope/targets", "{\"address\":\"127.0.0.1:1\"}").status()).isEqualTo(404);
        AdminClient.Response bad = api.post(V1 + "/upstreams/chat/targets", "{\"address\":\"nohost\",\"weight\":0}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.errorFields()).containsExactlyInAnyOrder("address", "weight");

        AdminClient.Response removed = api.delete(V1 + "/upstreams/chat/targets/127.0.0.1:8010");
        assertThat(removed.status()).isEqualTo(200);
        assertThat(removed.version()).isEqualTo(3);
        assertThat(removed.json().get("targets")).hasSize(1);
        assertThat(removed.json().get("targets").get(0).get("address").asText()).isEqualTo("127.0.0.1:8011");
        assertThat(api.delete(V1 + "/upstreams/chat/targets/127.0.0.1:8010").status()).isEqualTo(404);
        assertThat(api.get(V1 + "/snapshots/current").json().get("version").asLong()).isEqualTo(3);
    }

    @Test
    void routeCrudAndItsUpstreamReference() {
        api.post(V1 + "/upstreams", upstream("chat", "127.0.0.1:8010"));
        api.post(V1 + "/upstreams", upstream("web", "127.0.0.1:8080"));
        AdminClient.Response created = api.post(V1 + "/routes", route("ws", "/wss/", "chat"));
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.header("Location")).isEqualTo(V1 + "/routes/ws");
        assertThat(created.json().get("path_prefix").asText()).isEqualTo("/wss");

        AdminClient.Response dangling = api.post(V1 + "/routes", route("other", "/x", "missing"));
        assertThat(dangling.status()).isEqualTo(400);
        assertThat(dangling.errorFields()).containsExactly("upstream");
        assertThat(dangling.json().get("errors").get(0).get("message").asText()).contains("no such upstream");

        AdminClient.Response clash = api.post(V1 + "/routes", route("twin", "/wss", "web"));
        assertThat(clash.status()).isEqualTo(400);
        assertThat(clash.errorFields()).containsExactly("path_prefix");

        AdminClient.Response moved = api.put(V1 + "/routes/ws", route("ws", "/wss", "web"));
        assertThat(moved.status()).isEqualTo(200);
        assertThat(moved.json().get("upstream").asText()).isEqualTo("web");

        AdminClient.Response inUse = api.delete(V1 + "/upstreams/web");
        assertThat(inUse.status()).isEqualTo(409);
        assertThat(inUse.json().get("detail").asText()).contains("ws");
        assertThat(api.get(V1 + "/upstreams/web").status()).isEqualTo(200);

        assertThat(api.delete(V1 + "/routes/ws").status()).isEqualTo(204);
        assertThat(api.delete(V1 + "/upstreams/web").status()).isEqualTo(204);
        assertThat(api.get(V1 + "/snapshots/current").json().get("version").asLong()).isEqualTo(6);
    }

    @Test
    void aNameThatExistsIs409AndAnUnknownNameIs404() {
        api.post(V1 + "/upstreams", upstream("chat"));
        AdminClient.Response dup = api.post(V1 + "/upstreams", upstream("chat"));
        assertThat(dup.status()).isEqualTo(409);
        assertThat(dup.header("Content-Type")).startsWith("application/problem+json");
        assertThat(dup.errorFields()).containsExactly("name");
        for (String path : new String[]{"/upstreams/x", "/routes/x", "/certificates/x", "/snapshots/7"}) {
            AdminClient.Response r = api.get(V1 + path);
            assertThat(r.status()).as(path).isEqualTo(404);
            assertThat(r.json().get("type").asText()).isEqualTo("urn:switchyard:problem:not-found");
        }
        assertThat(api.put(V1 + "/routes/x", route("x", "/", "chat")).status()).isEqualTo(404);
        assertThat(api.delete(V1 + "/certificates/x").status()).isEqualTo(404);
        assertThat(api.get("/api/v1/nothing-here").status()).isEqualTo(404);
        AdminClient.Response patch = api.send(api.request(V1 + "/upstreams/chat").method("PATCH", HttpRequest.BodyPublishers.ofString("{}")));
        assertThat(patch.status()).isEqualTo(405);
        assertThat(patch.header("Content-Type")).startsWith("application/problem+json");
    }

    @Test
    void invalidBodiesAnswer400NamingEveryBadFieldAndChangeNothing() throws SQLException {
        api.post(V1 + "/upstreams", upstream("chat", "127.0.0.1:8010"));
        long before = rows("SELECT COUNT(*) FROM snapshots");

        AdminClient.Response r = api.post(V1 + "/upstreams", "{\"name\":\"-bad\",\"balance\":\"random\",\"targets\":[{\"address\":\"127.0.0.1:0\"}]}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.header("Content-Type")).startsWith("application/problem+json");
        JsonNode p = r.json();
        assertThat(p.get("type").asText()).isEqualTo("urn:switchyard:problem:invalid-request");
        assertThat(p.get("title").asText()).isNotBlank();
        assertThat(p.get("status").asInt()).isEqualTo(400);
        assertThat(p.get("detail").asText()).isNotBlank();
        assertThat(r.errorFields()).isNotEmpty().allMatch(f -> f.equals("balance") || f.startsWith("targets") || f.equals("name"));

        AdminClient.Response unknown = api.post(V1 + "/routes", "{\"name\":\"r\",\"upstream\":\"chat\",\"colour\":\"red\"}");
        assertInvalid(unknown, "colour");

        AdminClient.Response wrongType = api.post(V1 + "/routes", "{\"name\":\"r\",\"upstream\":\"chat\",\"hosts\":\"example.com\"}");
        assertInvalid(wrongType, "hosts");

        AdminClient.Response duplicate = api.post(V1 + "/routes", "{\"name\":\"r\",\"upstream\":\"chat\",\"name\":\"s\"}");
        assertInvalid(duplicate, "name");
        assertThat(duplicate.json().get("detail").asText()).contains("duplicate field");
        AdminClient.Response nestedDuplicate = api.put(V1 + "/upstreams/chat", "{\"targets\":[{\"address\":\"127.0.0.1:1\",\"weight\":1,\"weight\":2}]}");
        assertThat(nestedDuplicate.errorFields()).containsExactly("targets[0].weight");

        // Values the data-binding mapper used to guess at are refused, naming the field: a fraction where an integer
        // belongs (2.5 was stored as 2), a number where a string belongs (5 was stored as "5"), a target as a string.
        AdminClient.Response fraction = api.put(V1 + "/upstreams/chat", "{\"targets\":[{\"address\":\"127.0.0.1:1\",\"weight\":2.5}]}");
        assertInvalid(fraction, "targets[0].weight");
        assertThat(fraction.json().get("errors").get(0).get("message").asText()).isEqualTo("wrong type (expected: an integer)");
        AdminClient.Response number = api.post(V1 + "/routes", "{\"name\":\"r\",\"upstream\":\"chat\",\"path_prefix\":5}");
        assertInvalid(number, "path_prefix");
        AdminClient.Response shorthand = api.put(V1 + "/upstreams/chat", "{\"targets\":[\"127.0.0.1:1\"]}");
        assertInvalid(shorthand, "targets[0]");

        AdminClient.Response empty = api.post(V1 + "/routes", "");
        assertThat(empty.status()).isEqualTo(400);

        AdminClient.Response malformed = api.post(V1 + "/routes", "{\"name\":");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.json().get("detail").asText()).contains("malformed JSON");

        AdminClient.Response several = api.post(V1 + "/routes", "{\"name\":\"r\",\"upstream\":\"chat\",\"path_prefix\":\"nope\",\"hosts\":[\"a b\"]}");
        assertThat(several.errorFields()).containsExactlyInAnyOrder("path_prefix", "hosts[0]");

        AdminClient.Response timeouts = api.put(V1 + "/timeouts", "{\"connect_ms\":0,\"read_ms\":-5}");
        assertThat(timeouts.status()).isEqualTo(400);
        assertThat(timeouts.errorFields()).containsExactlyInAnyOrder("connect_ms", "read_ms");

        AdminClient.Response rename = api.put(V1 + "/upstreams/chat", upstream("other"));
        assertThat(rename.status()).isEqualTo(400);
        assertThat(rename.errorFields()).containsExactly("name");

        AdminClient.Response config = api.put(V1 + "/config", "{\"upstreams\":[{\"name\":\"a\"}],\"routes\":[{\"name\":\"r\",\"upstream\":\"b\"}]}");
        assertThat(config.status()).isEqualTo(400);
        assertThat(config.errorFields()).containsExactly("routes[0].upstream");

        assertThat(rows("SELECT COUNT(*) FROM snapshots")).isEqualTo(before);
        assertThat(rows("SELECT COUNT(*) FROM routes")).isZero();
        assertThat(rows("SELECT COUNT(*) FROM upstreams")).isEqualTo(1);
        assertThat(rows("SELECT COUNT(*) FROM timeouts WHERE connect_ms = 5000")).isEqualTo(1);
        assertThat(api.get(V1 + "/snapshots/current").json().get("version").asLong()).isEqualTo(before);
    }

    @Test
    void timeoutsAreReplacedWithDefaultsForMissingFields() {
        AdminClient.Response put = api.put(V1 + "/timeouts", "{\"read_ms\":300000}");
        assertThat(put.status()).isEqualTo(200);
        assertThat(put.version()).isEqualTo(1);
        JsonNode t = api.get(V1 + "/timeouts").json();
        assertThat(t.get("read_ms").asLong()).isEqualTo(300000);
        assertThat(t.get("connect_ms").asLong()).isEqualTo(5000);
        assertThat(t.get("send_ms").asLong()).isEqualTo(60000);
    }

    @Test
    void settingsShowEveryDefaultAndAreReplacedAsOneVersionKeptByEveryOtherWrite() throws SQLException {
        AdminClient.Response fresh = api.get(V1 + "/settings");
        assertThat(fresh.status()).isEqualTo(200);
        assertThat(fresh.json().get("trusted_proxies")).isEmpty();
        assertThat(fresh.json().get("client_body_timeout_ms").asLong()).isEqualTo(60000);
        assertThat(fresh.json().get("max_connections").asInt()).isZero();
        assertThat(fresh.json().get("max_tunnels").asInt()).isZero();

        AdminClient.Response put = api.put(V1 + "/settings", "{\"trusted_proxies\":[\"10.0.0.0/8\"],\"max_tunnels\":20000}", "If-Match", fresh.header("ETag"));
        assertThat(put.status()).isEqualTo(200);
        assertThat(put.version()).isEqualTo(1);
        assertThat(put.json().get("max_tunnels").asInt()).isEqualTo(20000);
        assertThat(put.json().get("client_body_timeout_ms").asLong()).as("left out: the default").isEqualTo(60000);
        assertThat(rows("SELECT COUNT(*) FROM settings")).isEqualTo(1);
        assertThat(api.get(V1 + "/snapshots").json().get("items").get(0).get("summary").asText())
                .isEqualTo("changed settings (trusted_proxies, max_tunnels)");

        assertThat(api.put(V1 + "/settings", "{\"max_tunnels\":1}", "If-Match", fresh.header("ETag")).status())
                .as("the ETag read before the change").isEqualTo(412);
        AdminClient.Response bad = api.put(V1 + "/settings", "{\"trusted_proxies\":[\"example.com\"],\"max_connections\":-1}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.errorFields()).containsExactlyInAnyOrder("trusted_proxies[0]", "max_connections");
        assertThat(api.put(V1 + "/settings", "{\"max_tunels\":1}").status()).as("unknown field").isEqualTo(400);

        assertThat(api.post(V1 + "/upstreams", upstream("chat")).version()).isEqualTo(2);
        JsonNode doc = api.get(V1 + "/config").json();
        assertThat(doc.get("max_tunnels").asInt()).isEqualTo(20000);
        assertThat(doc.get("trusted_proxies")).extracting(JsonNode::asText).containsExactly("10.0.0.0/8");
        assertThat(api.get(V1 + "/settings").header("ETag")).isEqualTo(put.header("ETag"));
    }

    @Test
    void ifMatchGuardsEntityWritesAndWholeDocumentReplacement() {
        AdminClient.Response created = api.post(V1 + "/upstreams", upstream("chat", "127.0.0.1:8010"));
        String etag = created.header("ETag");
        AdminClient.Response first = api.put(V1 + "/upstreams/chat", upstream("chat", "127.0.0.1:8011"), "If-Match", etag);
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.header("ETag")).isNotEqualTo(etag);

        AdminClient.Response stale = api.put(V1 + "/upstreams/chat", upstream("chat", "127.0.0.1:8012"), "If-Match", etag);
        assertThat(stale.status()).isEqualTo(412);
        assertThat(stale.json().get("type").asText()).isEqualTo("urn:switchyard:problem:precondition-failed");
        assertThat(api.delete(V1 + "/upstreams/chat", "If-Match", etag).status()).isEqualTo(412);
        assertThat(api.post(V1 + "/upstreams/chat/targets", "{\"address\":\"127.0.0.1:1\"}", "If-Match", etag).status()).isEqualTo(412);
        assertThat(api.get(V1 + "/upstreams/chat").json().get("targets").get(0).get("address").asText()).isEqualTo("127.0.0.1:8011");

        AdminClient.Response config = api.get(V1 + "/config");
        assertThat(config.header("ETag")).isEqualTo("\"2\"");
        String doc = config.body();
        assertThat(api.put(V1 + "/config", doc.replace("8011", "8020"), "If-Match", "\"1\"").status()).isEqualTo(412);
        AdminClient.Response ok = api.put(V1 + "/config", doc.replace("8011", "8020"), "If-Match", "\"2\"");
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.version()).isEqualTo(3);
        assertThat(ok.json().get("version").asLong()).isEqualTo(3);
        assertThat(api.get(V1 + "/snapshots/current").json().get("version").asLong()).isEqualTo(3);
    }

    @Test
    void bodiesOver1MiBAre413AndNonJsonIs415() throws SQLException {
        String big = "{\"name\":\"chat\",\"ca_pem\":\"" + "a".repeat(1 << 20) + "\"}";
        AdminClient.Response tooBig = api.post(V1 + "/upstreams", big);
        assertThat(tooBig.status()).isEqualTo(413);
        assertThat(tooBig.json().get("status").asInt()).isEqualTo(413);

        byte[] bytes = big.getBytes();
        AdminClient.Response chunked = api.send(api.request(V1 + "/upstreams").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bytes))));
        assertThat(chunked.status()).as("a chunked body has no length to check up front").isEqualTo(413);

        AdminClient.Response text = api.send(api.request(V1 + "/upstreams").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(upstream("chat"))));
        assertThat(text.status()).isEqualTo(415);
        assertThat(text.header("Content-Type")).startsWith("application/problem+json");
        assertThat(rows("SELECT COUNT(*) FROM snapshots")).isZero();
    }

    @Test
    void crossOriginRequestsAreRefusedAndTheOwnOriginIsAllowed() {
        AdminClient.Response evil = api.post(V1 + "/upstreams", upstream("chat"), "Origin", "http://evil.example");
        assertThat(evil.status()).isEqualTo(403);
        assertThat(evil.json().get("type").asText()).isEqualTo("urn:switchyard:problem:forbidden-origin");
        assertThat(evil.header("Access-Control-Allow-Origin")).isNull();
        assertThat(api.get(V1 + "/upstreams", "Origin", "http://evil.example").status()).isEqualTo(403);
        String own = "http://127.0.0.1:" + cp.adminAddress().getPort();
        assertThat(api.post(V1 + "/upstreams", upstream("chat"), "Origin", own).status()).isEqualTo(201);
        assertThat(api.get(V1 + "/upstreams").json()).hasSize(1);
    }

    @Test
    void rollbackCreatesANewVersionEqualToTheOldOne() {
        api.post(V1 + "/upstreams", upstream("chat", "127.0.0.1:8010"));                  // 1
        api.post(V1 + "/routes", route("ws", "/wss", "chat"));                            // 2
        api.post(V1 + "/upstreams/chat/targets", "{\"address\":\"127.0.0.1:8011\"}");     // 3
        JsonNode v1 = api.get(V1 + "/snapshots/1").json();

        assertThat(api.post(V1 + "/snapshots/1/rollback", "", "If-Match", "\"2\"").status()).as("decided on a stale version").isEqualTo(412);
        AdminClient.Response rb = api.post(V1 + "/snapshots/1/rollback", "", "If-Match", "\"3\"");
        assertThat(rb.status()).isEqualTo(200);
        assertThat(rb.version()).isEqualTo(4);
        assertThat(rb.json().get("version").asLong()).isEqualTo(4);
        assertThat(api.get(V1 + "/snapshots/4").json()).isEqualTo(v1);
        assertThat(api.get(V1 + "/routes").json()).isEmpty();
        assertThat(api.get(V1 + "/upstreams/chat").json().get("targets")).hasSize(1);

        AdminClient.Response again = api.post(V1 + "/snapshots/1/rollback", "");
        assertThat(again.version()).as("rolling back to the same content changes nothing").isEqualTo(4);
        assertThat(api.post(V1 + "/snapshots/99/rollback", "").status()).isEqualTo(404);
        assertThat(api.post(V1 + "/snapshots/abc/rollback", "").status()).isEqualTo(400);

        JsonNode history = api.get(V1 + "/snapshots").json().get("items");
        assertThat(history).hasSize(4);
        assertThat(history.get(0).get("version").asLong()).isEqualTo(4);
        assertThat(history.get(0).get("summary").asText()).startsWith("rollback to 1").contains("removed route ws");
        assertThat(history.get(3).get("summary").asText()).isEqualTo("added upstream chat");
        assertThat(history.get(3).get("created_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
    }

    @Test
    void diffShowsWhatWasAddedRemovedAndChangedByEntity() {
        api.post(V1 + "/upstreams", upstream("chat", "127.0.0.1:8010"));                  // 1
        api.post(V1 + "/upstreams", upstream("old"));                                     // 2
        api.post(V1 + "/routes", route("ws", "/wss", "chat"));                            // 3
        api.delete(V1 + "/upstreams/old");                                                // 4
        api.post(V1 + "/upstreams/chat/targets", "{\"address\":\"127.0.0.1:8011\"}");     // 5
        api.put(V1 + "/timeouts", "{\"read_ms\":1000}");                                   // 6

        JsonNode d = api.get(V1 + "/snapshots/2/diff/6").json();
        assertThat(d.get("from").asLong()).isEqualTo(2);
        assertThat(d.get("routes").get("added")).extracting(JsonNode::asText).containsExactly("ws");
        assertThat(d.get("upstreams").get("removed")).extracting(JsonNode::asText).containsExactly("old");
        assertThat(d.get("upstreams").get("changed").get(0).get("name").asText()).isEqualTo("chat");
        assertThat(d.get("upstreams").get("changed").get(0).get("fields")).extracting(JsonNode::asText).containsExactly("targets");
        assertThat(d.get("timeouts")).extracting(JsonNode::asText).containsExactly("read_ms");

        JsonNode fromEmpty = api.get(V1 + "/snapshots/0/diff/1").json();
        assertThat(fromEmpty.get("upstreams").get("added")).extracting(JsonNode::asText).containsExactly("chat");
        assertThat(api.get(V1 + "/snapshots/1/diff/9").status()).isEqualTo(404);
    }

    @Test
    void snapshotHistoryIsPaginatedNewestFirst() {
        for (int i = 0; i < 5; i++) api.post(V1 + "/upstreams", upstream("u" + i));
        JsonNode page = api.get(V1 + "/snapshots?limit=2").json();
        assertThat(page.get("items")).extracting(n -> n.get("version").asLong()).containsExactly(5L, 4L);
        String next = page.get("next").asText();
        JsonNode page2 = api.get(next).json();
        assertThat(page2.get("items")).extracting(n -> n.get("version").asLong()).containsExactly(3L, 2L);
        JsonNode page3 = api.get(page2.get("next").asText()).json();
        assertThat(page3.get("items")).extracting(n -> n.get("version").asLong()).containsExactly(1L);
        assertThat(page3.get("next").isNull()).isTrue();
        assertThat(api.get(V1 + "/snapshots?limit=0").errorFields()).containsExactly("limit");
    }

    @Test
    void putConfigReplacesEverythingAsOneVersion() {
        api.post(V1 + "/upstreams", upstream("gone"));
        String doc = "{\"timeouts\":{\"read_ms\":300000},\"upstreams\":[" + upstream("chat", "127.0.0.1:8010") + "," + upstream("web", "127.0.0.1:8080")
                + "],\"routes\":[" + route("ws", "/wss", "chat") + "," + route("site", "/", "web") + "]}";
        AdminClient.Response put = api.put(V1 + "/config", doc);
        assertThat(put.status()).isEqualTo(200);
        assertThat(put.version()).isEqualTo(2);
        assertThat(api.get(V1 + "/upstreams").json()).extracting(n -> n.get("name").asText()).containsExactly("chat", "web");
        assertThat(api.get(V1 + "/routes").json()).hasSize(2);
        assertThat(api.get(V1 + "/timeouts").json().get("read_ms").asLong()).isEqualTo(300000);
        AdminClient.Response same = api.put(V1 + "/config", api.get(V1 + "/config").body());
        assertThat(same.version()).isEqualTo(2);
        assertThat(api.get(V1 + "/snapshots/2/diff/1").json().get("summary").asText()).contains("added upstream gone");
    }

    @Test
    void certificatesAreCheckedStoredWithoutKeyInResponsesAndKeptOnRoundTrip() throws SQLException {
        TestCerts.Pem rsa = TestCerts.rsa();
        AdminClient.Response created = api.post(V1 + "/certificates", "{\"name\":\"site\",\"cert_pem\":" + q(rsa.certPem()) + ",\"key_pem\":" + q(rsa.keyPem()) + "}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        JsonNode c = created.json();
        assertThat(c.has("key_pem")).isFalse();
        assertThat(created.body()).doesNotContain("PRIVATE KEY");
        assertThat(c.get("snis")).extracting(JsonNode::asText).containsExactly("example.com", "www.example.com");
        assertThat(c.get("subject").asText()).isEqualTo("CN=example.com");
        assertThat(c.get("issuer").asText()).isEqualTo("CN=example.com");
        assertThat(c.get("days_until_expiry").asLong()).isBetween(88L, 90L);
        assertThat(c.get("fingerprint_sha256").asText()).matches("([0-9A-F]{2}:){31}[0-9A-F]{2}");
        assertThat(c.get("not_after").asText()).endsWith("Z");
        assertThat(rows("SELECT COUNT(*) FROM certificates WHERE key_pem LIKE '%PRIVATE KEY%'")).isEqualTo(1);

        assertThat(api.get(V1 + "/certificates").body()).doesNotContain("PRIVATE KEY").contains("days_until_expiry");
        assertThat(api.get(V1 + "/certificates/site").body()).doesNotContain("PRIVATE KEY");
        assertThat(api.get(V1 + "/config").body()).doesNotContain("PRIVATE KEY");
        assertThat(api.get(V1 + "/snapshots/1").body()).doesNotContain("PRIVATE KEY");
        assertThat(api.get(V1 + "/snapshots/current").body()).doesNotContain("PRIVATE KEY");

        // GET-edit-PUT without the key keeps the stored key.
        String doc = api.get(V1 + "/config").body();
        assertThat(doc).contains("\"upstreams\":[]");
        AdminClient.Response roundTrip = api.put(V1 + "/config", doc.replace("\"upstreams\":[]", "\"upstreams\":[" + upstream("chat") + "]"));
        assertThat(roundTrip.status()).as(roundTrip.body()).isEqualTo(200);
        assertThat(roundTrip.version()).isEqualTo(2);
        assertThat(rows("SELECT COUNT(*) FROM certificates WHERE key_pem LIKE '%PRIVATE KEY%'")).isEqualTo(1);

        // A new chain without its key cannot keep the old one.
        TestCerts.Pem ec = TestCerts.ec();
        AdminClient.Response noKey = api.put(V1 + "/certificates/site", "{\"cert_pem\":" + q(ec.certPem()) + "}");
        assertThat(noKey.status()).isEqualTo(400);
        assertThat(noKey.errorFields()).containsExactly("key_pem");
        AdminClient.Response swapped = api.put(V1 + "/certificates/site", "{\"cert_pem\":" + q(ec.certPem()) + ",\"key_pem\":" + q(ec.traditionalKeyPem()) + "}");
        assertThat(swapped.status()).as(swapped.body()).isEqualTo(200);
        assertThat(swapped.json().get("snis")).extracting(JsonNode::asText).containsExactly("ec.example.com");

        assertThat(api.delete(V1 + "/certificates/site").status()).isEqualTo(204);
        assertThat(rows("SELECT COUNT(*) FROM certificates")).isZero();
    }

    @Test
    void expiredCertificatesAndMismatchedKeysAreRefusedNamingTheField() throws SQLException {
        TestCerts.Pem rsa = TestCerts.rsa();
        TestCerts.Pem old = TestCerts.expired();
        AdminClient.Response expired = api.post(V1 + "/certificates", "{\"name\":\"old\",\"cert_pem\":" + q(old.certPem()) + ",\"key_pem\":" + q(old.keyPem()) + "}");
        assertThat(expired.status()).isEqualTo(400);
        assertThat(expired.errorFields()).containsExactly("cert_pem");
        assertThat(expired.json().get("errors").get(0).get("message").asText()).contains("expired");

        AdminClient.Response mismatch = api.post(V1 + "/certificates", "{\"name\":\"x\",\"cert_pem\":" + q(rsa.certPem()) + ",\"key_pem\":" + q(TestCerts.otherRsa().keyPem()) + "}");
        assertThat(mismatch.status()).isEqualTo(400);
        assertThat(mismatch.errorFields()).containsExactly("key_pem");
        assertThat(mismatch.json().get("errors").get(0).get("message").asText()).contains("does not match");

        AdminClient.Response wrongKind = api.post(V1 + "/certificates", "{\"name\":\"x\",\"cert_pem\":" + q(rsa.certPem()) + ",\"key_pem\":" + q(TestCerts.ec().keyPem()) + "}");
        assertThat(wrongKind.errorFields()).containsExactly("key_pem");

        AdminClient.Response inConfig = api.put(V1 + "/config", "{\"certificates\":[{\"name\":\"old\",\"cert_pem\":" + q(old.certPem()) + ",\"key_pem\":" + q(old.keyPem()) + "}]}");
        assertThat(inConfig.status()).isEqualTo(400);
        assertThat(inConfig.errorFields()).containsExactly("certificates[0].cert_pem");
        assertThat(rows("SELECT COUNT(*) FROM snapshots")).isZero();
        assertThat(rows("SELECT COUNT(*) FROM certificates")).isZero();
    }

    @Test
    void problemResponsesShareOneShapeForEveryStatus() {
        api.post(V1 + "/upstreams", upstream("chat"));
        api.post(V1 + "/routes", route("r", "/", "chat"));
        AdminClient.Response[] answers = {
                api.post(V1 + "/upstreams", "{}"),                                           // 400
                api.get(V1 + "/routes/none"),                                                // 404
                api.delete(V1 + "/upstreams/chat"),                                          // 409
                api.put(V1 + "/routes/r", route("r", "/", "chat"), "If-Match", "\"nope\""),  // 412
                api.send(api.request(V1 + "/routes").POST(HttpRequest.BodyPublishers.ofString("{}"))), // 415 (no type)
        };
        int[] expected = {400, 404, 409, 412, 415};
        for (int i = 0; i < answers.length; i++) {
            AdminClient.Response r = answers[i];
            assertThat(r.status()).isEqualTo(expected[i]);
            assertThat(r.header("Content-Type")).startsWith("application/problem+json");
            JsonNode p = r.json();
            assertThat(p.fieldNames()).toIterable().contains("type", "title", "status", "detail", "errors");
            assertThat(p.get("status").asInt()).isEqualTo(expected[i]);
        }
    }

    @Test
    void openapiDocumentIsServed() {
        AdminClient.Response r = api.get("/openapi.yaml");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).startsWith("openapi: 3.1");
    }

    @Test
    void writesSurviveARestartOnTheSameDatabase() {
        api.post(V1 + "/upstreams", upstream("chat", "127.0.0.1:8010"));
        api.post(V1 + "/routes", route("ws", "/wss", "chat"));
        cp.close();
        cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), store.location(), null, null));
        api = AdminClient.at(cp.adminAddress());
        assertThat(api.get(V1 + "/snapshots/current").json().get("version").asLong()).isEqualTo(2);
        assertThat(api.get(V1 + "/routes/ws").status()).isEqualTo(200);
        assertThat(api.post(V1 + "/upstreams", upstream("web")).version()).isEqualTo(3);
    }

    static Map<String, Object> m(Object... kv) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) out.put((String) kv[i], kv[i + 1]);
        return out;
    }

    /** A 400 whose problem names exactly {@code fields}. */
    private static void assertInvalid(AdminClient.Response r, String... fields) {
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorFields()).containsExactly(fields);
    }
}
