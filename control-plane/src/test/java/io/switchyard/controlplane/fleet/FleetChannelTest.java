package io.switchyard.controlplane.fleet;

import io.switchyard.testkit.TestCerts;
import io.switchyard.testkit.AdminClient;
import io.switchyard.testkit.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import io.switchyard.config.ConfigCodec;
import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import io.switchyard.fleet.FleetMessage;
import io.switchyard.controlplane.testing.FleetNodeClient;
import io.switchyard.controlplane.testing.TestStore;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static io.switchyard.testkit.AdminClient.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Runs on SQLite and on PostgreSQL. */
@ParameterizedClass(name = "{0}")
@EnumSource(TestStore.Kind.class)
class FleetChannelTest {
    @Parameter
    TestStore.Kind kind;
    TestStore store;

    static final String CLUSTER_TOKEN = "cluster-s3cret";

    @TempDir
    Path dir;
    ControlPlane cp;
    AdminClient api;
    final List<FleetNodeClient> nodes = new ArrayList<>();

    @BeforeEach
    void start() {
        store = TestStore.create(kind, dir);
        cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), store.location(), null, CLUSTER_TOKEN));
        api = AdminClient.at(cp.adminAddress());
    }

    @AfterEach
    void stop() {
        for (FleetNodeClient n : nodes) n.abort();
        cp.close();
        store.close();
    }

    /** A node connected to this test's control plane; aborted after the test. */
    FleetNodeClient connect(String id, String token) {
        FleetNodeClient n = FleetNodeClient.manual().connect(cp.adminAddress().getPort(), id, token);
        nodes.add(n);
        return n;
    }

    JsonNode node(String id) {
        for (JsonNode n : api.get("/api/v1/fleet/nodes").json().get("nodes")) if (n.get("node_id").asText().equals(id)) return n;
        return null;
    }

    @Test
    void theGlobalSettingsOfPutConfigSurviveARestartAndTheNextWriteAndReachTheNodes() throws Exception {
        String settings = "\"trusted_proxies\":[\"10.0.0.0/8\",\"fd00::/8\"],\"client_body_timeout_ms\":7000,"
                + "\"max_connections\":5000,\"max_tunnels\":300";
        assertThat(api.put("/api/v1/config", "{\"upstreams\":[{\"name\":\"app\"}]," + settings + "}").status()).isEqualTo(200);
        // A new control plane on the same database: the next write starts from the rows.
        cp.close();
        cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), store.location(), null, CLUSTER_TOKEN));
        api = AdminClient.at(cp.adminAddress());
        AdminClient.Response post = api.post("/api/v1/routes", "{\"name\":\"r\",\"upstream\":\"app\"}");
        assertThat(post.status()).isEqualTo(201);
        assertThat(post.version()).isEqualTo(2);

        JsonNode doc = api.get("/api/v1/config").json();
        assertThat(doc.get("trusted_proxies")).extracting(JsonNode::asText).containsExactly("10.0.0.0/8", "fd00::/8");
        assertThat(doc.get("client_body_timeout_ms").asLong()).isEqualTo(7000);
        assertThat(doc.get("max_connections").asInt()).isEqualTo(5000);
        assertThat(doc.get("max_tunnels").asInt()).isEqualTo(300);
        assertThat(doc.get("routes")).hasSize(1);
        assertThat(api.get("/api/v1/snapshots").json().get("items").get(0).get("summary").asText()).isEqualTo("added route r");
        assertThat(api.get("/api/v1/snapshots/0/diff/1").json().get("settings")).extracting(JsonNode::asText)
                .containsExactly("trusted_proxies", "client_body_timeout_ms", "max_connections", "max_tunnels");

        FleetNodeClient n = connect("edge-1", CLUSTER_TOKEN);
        n.send(new FleetMessage.Hello("edge-1", "0.1.0", "10.0.0.7:8080", 0, 0));
        FleetMessage.SnapshotPush pushed = n.nextSnapshot();
        assertThat(pushed.version()).isEqualTo(2);
        assertThat(pushed.config().trustedProxies()).containsExactly("10.0.0.0/8", "fd00::/8");
        assertThat(pushed.config().clientBodyTimeoutMs()).isEqualTo(7000);
        assertThat(pushed.config().maxConnections()).isEqualTo(5000);
        assertThat(pushed.config().maxTunnels()).isEqualTo(300);
        assertThat(pushed.config().routes()).hasSize(1);
    }

    @Test
    void aNodeGetsTheNewestVersionOnHelloAndEveryLaterVersionRightAfterCommit() throws Exception {
        api.post("/api/v1/upstreams", "{\"name\":\"a\"}");
        api.post("/api/v1/upstreams", "{\"name\":\"b\"}");
        api.post("/api/v1/upstreams", "{\"name\":\"c\"}");
        FleetNodeClient n = connect("edge-1", CLUSTER_TOKEN);
        n.send(new FleetMessage.Hello("edge-1", "0.1.0", "10.0.0.7:8080", 0, 0));
        FleetMessage.SnapshotPush first = n.nextSnapshot();
        assertThat(first.version()).as("only the newest version, in one step").isEqualTo(3);
        assertThat(first.config().upstreams()).hasSize(3);
        assertThat(n.inbox.poll(300, TimeUnit.MILLISECONDS)).as("no intermediate versions").isNull();
        assertThat(node("edge-1").get("status").asText()).isEqualTo("lagging");
        n.send(new FleetMessage.Ack(3));
        await().atMost(5, TimeUnit.SECONDS).until(() -> node("edge-1").get("status").asText().equals("in_sync"));
        JsonNode view = node("edge-1");
        assertThat(view.get("applied_version").asLong()).isEqualTo(3);
        assertThat(view.get("address").asText()).isEqualTo("10.0.0.7:8080");
        assertThat(view.get("software_version").asText()).isEqualTo("0.1.0");
        assertThat(view.get("last_seen").asText()).endsWith("Z");
        assertThat(view.get("error").isNull()).isTrue();

        api.post("/api/v1/upstreams/a/targets", "{\"address\":\"127.0.0.1:8010\"}");
        FleetMessage.SnapshotPush pushed = n.nextSnapshot();
        assertThat(pushed.version()).isEqualTo(4);
        assertThat(pushed.config().upstream("a").orElseThrow().targets()).hasSize(1);
        n.send(new FleetMessage.Heartbeat(4, 17));
        await().atMost(5, TimeUnit.SECONDS).until(() -> node("edge-1").get("open_tunnels").asLong() == 17);
        assertThat(node("edge-1").get("status").asText()).isEqualTo("in_sync");
    }

    @Test
    void pushesCarryPrivateKeysThatTheApiNeverShows() throws Exception {
        TestCerts.Pem rsa = TestCerts.rsa();
        api.post("/api/v1/certificates", "{\"name\":\"site\",\"cert_pem\":" + q(rsa.certPem()) + ",\"key_pem\":" + q(rsa.traditionalKeyPem()) + "}");
        FleetNodeClient n = connect("edge-1", CLUSTER_TOKEN);
        n.send(new FleetMessage.Hello("edge-1", "0.1.0", null, 0, 0));
        FleetMessage.SnapshotPush s = n.nextSnapshot();
        assertThat(s.config().certificate("site").orElseThrow().keyPem())
                .as("sent as PKCS#1, stored and pushed as PKCS#8").isEqualTo(rsa.keyPem());
        assertThat(api.get("/api/v1/snapshots/1").body()).doesNotContain("PRIVATE KEY");
    }

    @Test
    void aNackShowsTheNodeAsRejectedWithItsReason() throws Exception {
        api.post("/api/v1/upstreams", "{\"name\":\"a\"}");
        FleetNodeClient n = connect("edge-2", CLUSTER_TOKEN);
        n.send(new FleetMessage.Hello("edge-2", "0.1.0", null, 0, 0));
        assertThat(n.nextSnapshot().version()).isEqualTo(1);
        n.send(new FleetMessage.Nack(1, "certificate site: cannot load key"));
        await().atMost(5, TimeUnit.SECONDS).until(() -> node("edge-2").get("status").asText().equals("rejected"));
        assertThat(node("edge-2").get("error").asText()).isEqualTo("certificate site: cannot load key");
        assertThat(node("edge-2").get("applied_version").asLong()).isZero();

        api.post("/api/v1/upstreams", "{\"name\":\"b\"}");
        assertThat(n.nextSnapshot().version()).isEqualTo(2);
        assertThat(node("edge-2").get("status").asText()).as("the rejected version is no longer the newest").isEqualTo("lagging");
        n.send(new FleetMessage.Ack(2));
        await().atMost(5, TimeUnit.SECONDS).until(() -> node("edge-2").get("status").asText().equals("in_sync"));
        assertThat(node("edge-2").get("error").isNull()).isTrue();
    }

    @Test
    void aWrongOrMissingClusterTokenIsRefusedAtUpgradeAndShownAsRefused() {
        assertThatThrownBy(() -> connect("intruder", "guess"))
                .isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(WebSocketHandshakeException.class)
                .satisfies(e -> {
                    assertThat(((WebSocketHandshakeException) e).getResponse().statusCode()).isEqualTo(401);
                    assertThat(((WebSocketHandshakeException) e).getResponse().headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                            v -> assertThat(v).startsWith("Bearer"));
                });
        assertThatThrownBy(() -> connect("anonymous", null)).isInstanceOf(CompletionException.class);
        assertThat(node("intruder").get("status").asText()).isEqualTo("refused");
        assertThat(node("anonymous").get("status").asText()).isEqualTo("refused");
        assertThat(node("intruder").get("error").asText()).contains("cluster token");
    }

    @Test
    void aDisconnectedNodeIsShownAsDisconnected() throws Exception {
        FleetNodeClient n = connect("edge-3", CLUSTER_TOKEN);
        n.send(new FleetMessage.Hello("edge-3", "0.1.0", null, 0, 0));
        await().atMost(5, TimeUnit.SECONDS).until(() -> node("edge-3") != null && node("edge-3").get("status").asText().equals("in_sync"));
        n.ws().sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
        await().atMost(5, TimeUnit.SECONDS).until(() -> node("edge-3").get("status").asText().equals("disconnected"));
    }

    @Test
    void waitingForConvergenceAnswersOnceEveryNodeAckedOr408WithTheLaggingNodes() throws Exception {
        FleetNodeClient a = connect("edge-a", CLUSTER_TOKEN);
        FleetNodeClient b = connect("edge-b", CLUSTER_TOKEN);
        a.send(new FleetMessage.Hello("edge-a", "0.1.0", null, 0, 0));
        b.send(new FleetMessage.Hello("edge-b", "0.1.0", null, 0, 0));
        long v = api.post("/api/v1/upstreams", "{\"name\":\"a\"}").version();
        assertThat(a.nextSnapshot().version()).isEqualTo(v);
        assertThat(b.nextSnapshot().version()).isEqualTo(v);
        a.send(new FleetMessage.Ack(v));

        AdminClient.Response timedOut = api.get("/api/v1/fleet/nodes?min_version=" + v + "&wait_ms=300");
        assertThat(timedOut.status()).isEqualTo(408);
        assertThat(timedOut.header("Content-Type")).startsWith("application/problem+json");
        assertThat(timedOut.json().get("lagging")).extracting(n -> n.get("node_id").asText()).containsExactly("edge-b");

        CompletableFuture<AdminClient.Response> waiting = CompletableFuture.supplyAsync(() -> api.get("/api/v1/fleet/nodes?min_version=" + v + "&wait_ms=20000"));
        // The request is parked in the hub, not answered yet: wait until the hub holds it.
        await().atMost(Duration.ofSeconds(5)).until(() -> cp.fleetWaiters() == 1);
        assertThat(waiting).isNotDone();
        b.send(new FleetMessage.Ack(v));
        AdminClient.Response done = waiting.get(10, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(200);
        assertThat(done.json().get("nodes")).extracting(n -> n.get("status").asText()).containsOnly("in_sync");

        assertThat(api.get("/api/v1/fleet/nodes?min_version=x").errorFields()).containsExactly("min_version");
        assertThat(api.get("/api/v1/fleet/nodes?min_version=1&wait_ms=999999999").errorFields()).containsExactly("wait_ms");
    }

    @Test
    void stoppingTheControlPlaneTellsNodesItIsGoingAway() throws Exception {
        FleetNodeClient n = connect("edge-6", CLUSTER_TOKEN);
        n.send(new FleetMessage.Hello("edge-6", "0.1.0", null, 0, 0));
        await().atMost(5, TimeUnit.SECONDS).until(() -> node("edge-6") != null && node("edge-6").get("status").asText().equals("in_sync"));
        cp.close();
        assertThat(n.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1001);
    }

    @Test
    void withAnAdminTokenTooANodeNeedsOnlyTheClusterToken() throws Exception {
        cp.close();
        cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), store.location(), "admin-s3cret", CLUSTER_TOKEN));
        api = AdminClient.at(cp.adminAddress()).withToken("admin-s3cret");
        FleetNodeClient n = connect("edge-7", CLUSTER_TOKEN);
        n.send(new FleetMessage.Hello("edge-7", "0.1.0", null, 0, 0));
        await().atMost(5, TimeUnit.SECONDS).until(() -> node("edge-7") != null && node("edge-7").get("status").asText().equals("in_sync"));
        assertThatThrownBy(() -> connect("edge-8", "admin-s3cret")).as("the admin token is not the cluster token")
                .isInstanceOf(CompletionException.class);
    }

    @Test
    void aMissingNodeIdIsRefusedAtUpgrade() {
        assertThatThrownBy(() -> WsClient.to("ws://127.0.0.1:" + cp.adminAddress().getPort() + FleetMessage.STREAM_PATH)
                .bearer(CLUSTER_TOKEN).connect())
                .cause().isInstanceOfSatisfying(WebSocketHandshakeException.class, e -> assertThat(e.getResponse().statusCode()).isEqualTo(400));
    }

    @Test
    void anUnreadableMessageClosesTheConnectionWithAReason() throws Exception {
        FleetNodeClient n = connect("edge-4", CLUSTER_TOKEN);
        n.ws().sendText("{\"type\":\"launch-missiles\"}", true).join();
        assertThat(n.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1003);
    }

    @Test
    void aPushedSnapshotDecodesWithTheSharedCodec() throws Exception {
        api.put("/api/v1/config", "{\"upstreams\":[{\"name\":\"chat\",\"targets\":[{\"address\":\"127.0.0.1:8010\"}]}],"
                + "\"routes\":[{\"name\":\"ws\",\"path_prefix\":\"/wss\",\"upstream\":\"chat\"}]}");
        FleetNodeClient n = connect("edge-5", CLUSTER_TOKEN);
        n.send(new FleetMessage.Hello("edge-5", "0.1.0", null, 0, 0));
        FleetMessage.SnapshotPush s = n.nextSnapshot();
        assertThat(ConfigCodec.write(s.config().redacted())).isEqualTo(ConfigCodec.write(ConfigCodec.readConfig(api.get("/api/v1/config").body())));
    }
}
