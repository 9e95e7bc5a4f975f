package io.switchyard.launcher;

import io.switchyard.testkit.Closer;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.AdminClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import io.switchyard.dataplane.DataPlaneSettings;
import io.switchyard.launcher.node.Node;
import io.switchyard.launcher.support.SeqTunnel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static io.switchyard.testkit.EchoUpstream.Replies.NAMED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Live tunnels and target health across a fleet: a control plane and two nodes in this process (real sockets),
 * real echo upstreams, real WebSocket clients that keep streaming while the operator lists and closes tunnels.
 */
class FleetTunnelsTest {
    static final String TOKEN = "cluster-secret-for-tests";
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;
    final Closer closeables = new Closer();
    final HttpClient http = HttpClient.newHttpClient();
    ControlPlane cp;
    AdminClient admin;
    Node n1;
    Node n2;

    @AfterEach
    void stopEverything() {
        closeables.close();
    }

    <T extends AutoCloseable> T track(T c) {
        return closeables.track(c);
    }

    void startFleet() {
        cp = track(ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), dir.resolve("cp.db"), null, TOKEN)));
        admin = AdminClient.at("http://127.0.0.1:" + cp.adminAddress().getPort());
        n1 = startNode("n1");
        n2 = startNode("n2");
    }

    Node startNode(String id) {
        DataPlaneSettings s = new DataPlaneSettings(new InetSocketAddress("127.0.0.1", 0), null,
                new InetSocketAddress("127.0.0.1", 0), id, 1, Duration.ofSeconds(1));
        return track(Node.start(s, URI.create("http://127.0.0.1:" + cp.adminAddress().getPort()), null, dir.resolve("state-" + id),
                TOKEN, "test", Duration.ZERO));
    }

    SeqTunnel open(Node n, String path) throws InterruptedException {
        SeqTunnel t = SeqTunnel.open(http, URI.create("ws://127.0.0.1:" + n.dataPlane().listenAddress().getPort() + path));
        track(t::close);
        assertThat(t.roundTrip()).isNotNull();
        return t;
    }

    JsonNode json(AdminClient.Response r, int status) throws Exception {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        return r.body().isEmpty() ? null : JSON.readTree(r.body());
    }

    ScheduledExecutorService pump(List<SeqTunnel> tunnels) {
        ScheduledExecutorService pump = Executors.newSingleThreadScheduledExecutor();
        track(() -> {
            pump.shutdownNow();
            pump.awaitTermination(5, TimeUnit.SECONDS);
        });
        pump.scheduleAtFixedRate(() -> tunnels.forEach(SeqTunnel::sendNext), 0, 20, TimeUnit.MILLISECONDS);
        return pump;
    }

    /** Every tunnel in {@code alive} still streams: its echoes keep coming, in order, from its own target. */
    static void stillStreaming(List<SeqTunnel> alive) throws InterruptedException {
        for (SeqTunnel t : alive) {
            long now = t.received();
            t.awaitReceived(now + 5, 10_000);
            assertThat(t.received()).as("echoes keep coming").isGreaterThanOrEqualTo(now + 5);
            assertThat(t.closeCode()).isEqualTo(-1);
            assertThat(t.error()).isNull();
        }
    }

    @Test
    void tunnelsOnTwoNodesAreListedThenOneIsClosedByIdAndASetByTargetWhileTheOthersKeepStreaming() throws Exception {
        EchoUpstream a = track(EchoUpstream.builder("a").replies(NAMED).start());
        EchoUpstream b = track(EchoUpstream.builder("b").replies(NAMED).start());
        startFleet();
        admin.write("POST", "/api/v1/upstreams", "{\"name\":\"ua\",\"targets\":[{\"address\":\"" + a.address() + "\"}]}");
        admin.write("POST", "/api/v1/upstreams", "{\"name\":\"ub\",\"targets\":[{\"address\":\"" + b.address() + "\"}]}");
        admin.write("POST", "/api/v1/routes", "{\"name\":\"ra\",\"path_prefix\":\"/a\",\"upstream\":\"ua\"}");
        admin.awaitConvergence(admin.write("POST", "/api/v1/routes", "{\"name\":\"rb\",\"path_prefix\":\"/b\",\"upstream\":\"ub\"}"));

        List<SeqTunnel> onA = new ArrayList<>();
        List<SeqTunnel> onB = new ArrayList<>();
        for (Node n : List.of(n1, n2)) {
            for (int i = 0; i < 2; i++) {
                onA.add(open(n, "/a/" + i));
                onB.add(open(n, "/b/" + i));
            }
        }
        List<SeqTunnel> all = new ArrayList<>(onA);
        all.addAll(onB);
        pump(all);

        JsonNode page = json(admin.call("GET", "/api/v1/tunnels", null), 200);
        assertThat(page.get("tunnels")).hasSize(8);
        assertThat(page.get("next_cursor").isNull()).isTrue();
        assertThat(page.get("unanswered_nodes")).isEmpty();
        List<String> nodes = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (JsonNode t : page.get("tunnels")) {
            nodes.add(t.get("node_id").asText());
            ids.add(t.get("id").asText());
            assertThat(t.get("id").asText()).matches("[0-9a-f]{16}");
            assertThat(t.get("target").asText()).isIn(a.address(), b.address());
            assertThat(t.get("route").asText()).isEqualTo(t.get("target").asText().equals(a.address()) ? "ra" : "rb");
            assertThat(t.get("client").asText()).startsWith("127.0.0.1");
            assertThat(t.get("bytes_in").asLong()).as("the round trip's frame went in").isPositive();
            assertThat(t.get("bytes_out").asLong()).isPositive();
            assertThat(java.time.Instant.parse(t.get("opened_at").asText())).isBefore(java.time.Instant.now().plusSeconds(1));
        }
        assertThat(nodes).containsExactly("n1", "n1", "n1", "n1", "n2", "n2", "n2", "n2");
        assertThat(ids).hasSize(8);

        // Pages of three cover the same tunnels once each.
        Set<String> paged = new HashSet<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonNode p = json(admin.call("GET", "/api/v1/tunnels?limit=3" + (cursor == null ? "" : "&cursor=" + cursor), null), 200);
            p.get("tunnels").forEach(t -> assertThat(paged.add(t.get("id").asText())).isTrue());
            cursor = p.get("next_cursor").isNull() ? null : p.get("next_cursor").asText();
            pages++;
        } while (cursor != null);
        assertThat(pages).isEqualTo(3);
        assertThat(paged).isEqualTo(ids);
        assertThat(json(admin.call("GET", "/api/v1/tunnels?node=n2&target=" + b.address(), null), 200).get("tunnels")).hasSize(2);
        assertThat(json(admin.call("GET", "/api/v1/tunnels?cursor=bm9wZQ", null), 400).at("/errors/0/field").asText()).isEqualTo("cursor");

        // One by id: a tunnel to b on n2.
        JsonNode victim = json(admin.call("GET", "/api/v1/tunnels?node=n2&route=rb&limit=1", null), 200).at("/tunnels/0");
        long before = System.nanoTime();
        json(admin.call("DELETE", "/api/v1/tunnels/" + victim.get("id").asText(), null), 204);
        await().atMost(Duration.ofSeconds(10)).until(() -> onB.stream().anyMatch(t -> t.closeCode() >= 0));
        List<SeqTunnel> closed = onB.stream().filter(t -> t.closeCode() >= 0).toList();
        assertThat(closed).hasSize(1);
        assertThat(closed.get(0).closeCode()).isEqualTo(1001);
        assertThat(closed.get(0).closeReason()).isEqualTo("closed by operator");
        assertThat(onB.indexOf(closed.get(0))).as("the second node's tunnels to b are the last two opened").isIn(2, 3);
        onB.remove(closed.get(0));
        await().atMost(Duration.ofSeconds(10)).until(() -> admin.call("DELETE", "/api/v1/tunnels/" + victim.get("id").asText(), null).status() == 404);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before)).isLessThan(10_000);

        // A set by target, on both nodes, paced over half a second.
        JsonNode closing = json(admin.call("POST", "/api/v1/tunnels/close", "{\"target\":\"" + a.address() + "\",\"over_ms\":500}"), 200);
        assertThat(closing.get("closing").asInt()).isEqualTo(4);
        assertThat(closing.at("/nodes/n1").asInt()).isEqualTo(2);
        assertThat(closing.at("/nodes/n2").asInt()).isEqualTo(2);
        await().atMost(Duration.ofSeconds(10)).until(() -> onA.stream().allMatch(t -> t.closeCode() >= 0));
        for (SeqTunnel t : onA) {
            assertThat(t.closeCode()).isEqualTo(1001);
            assertThat(t.closeReason()).isEqualTo("closed by operator");
        }
        stillStreaming(onB);
        await().atMost(Duration.ofSeconds(10)).until(() -> json(admin.call("GET", "/api/v1/tunnels", null), 200).get("tunnels").size() == 3);
        assertThat(json(admin.call("POST", "/api/v1/tunnels/close", "{\"over_ms\":5}"), 400).at("/errors/0/field").asText()).isEqualTo("route");
    }

    @Test
    void drainingATargetThroughTheApiEndsItsTunnelsWith1001AndHealthShowsItOnBothNodes() throws Exception {
        EchoUpstream a = track(EchoUpstream.builder("a").replies(NAMED).start());
        EchoUpstream b = track(EchoUpstream.builder("b").replies(NAMED).start());
        startFleet();
        admin.write("POST", "/api/v1/upstreams", "{\"name\":\"chat\",\"balance\":\"round_robin\",\"drain_ms\":500,\"targets\":[{\"address\":\""
                + a.address() + "\"},{\"address\":\"" + b.address() + "\"}]}");
        admin.awaitConvergence(admin.write("POST", "/api/v1/routes", "{\"name\":\"chat\",\"path_prefix\":\"/chat\",\"upstream\":\"chat\"}"));
        List<SeqTunnel> tunnels = new ArrayList<>();
        for (int i = 0; i < 8; i++) tunnels.add(open(i % 2 == 0 ? n1 : n2, "/chat/" + i));
        List<SeqTunnel> onA = tunnels.stream().filter(t -> t.target().equals("a")).toList();
        List<SeqTunnel> onB = tunnels.stream().filter(t -> t.target().equals("b")).toList();
        assertThat(onA).as("round robin puts tunnels on both targets").isNotEmpty();
        assertThat(onB).isNotEmpty();
        pump(tunnels);

        JsonNode health = json(admin.call("GET", "/api/v1/upstreams/chat/health", null), 200);
        assertThat(health.get("nodes")).extracting(n -> n.get("node_id").asText()).containsExactly("n1", "n2");
        long openOnA = 0;
        for (JsonNode n : health.get("nodes")) {
            assertThat(n.get("targets")).extracting(t -> t.get("target").asText()).containsExactlyInAnyOrder(a.address(), b.address());
            for (JsonNode t : n.get("targets")) {
                assertThat(t.get("state").asText()).isEqualTo("active");
                assertThat(t.get("healthy").asBoolean()).isTrue();
                if (t.get("target").asText().equals(a.address())) openOnA += t.get("tunnels_open").asLong();
            }
        }
        assertThat(openOnA).isEqualTo(onA.size());

        // Bad input names the field; unknown upstream or target is a 404.
        String path = "/api/v1/upstreams/chat/targets/" + a.address();
        assertThat(json(admin.call("PUT", path, "{\"state\":\"paused\"}"), 400).at("/errors/0/field").asText()).isEqualTo("state");
        assertThat(json(admin.call("PUT", path, "{\"weight\":0}"), 400).at("/errors/0/field").asText()).isEqualTo("weight");
        assertThat(json(admin.call("PUT", path, "{\"address\":\"127.0.0.1:1\"}"), 400).at("/errors/0/field").asText()).isEqualTo("address");
        json(admin.call("PUT", "/api/v1/upstreams/chat/targets/127.0.0.1:1", "{\"state\":\"draining\"}"), 404);
        json(admin.call("PUT", "/api/v1/upstreams/none/targets/" + a.address(), "{\"state\":\"draining\"}"), 404);

        AdminClient.Response put = admin.call("PUT", path, "{\"state\":\"draining\",\"weight\":2}");
        JsonNode saved = json(put, 200);
        assertThat(saved.at("/targets/0/state").asText()).isEqualTo("draining");
        assertThat(saved.at("/targets/0/weight").asInt()).isEqualTo(2);
        assertThat(saved.at("/targets/1/state").isMissingNode()).as("the other target is untouched (active)").isTrue();
        admin.awaitConvergence(put.version());

        await().atMost(Duration.ofSeconds(10)).until(() -> onA.stream().allMatch(t -> t.closeCode() >= 0));
        for (SeqTunnel t : onA) {
            assertThat(t.closeCode()).isEqualTo(1001);
            assertThat(t.closeReason()).isEqualTo("target draining");
        }
        stillStreaming(onB);
        assertThat(open(n1, "/chat/new").target()).as("new tunnels avoid the draining target").isEqualTo("b");
        assertThat(open(n2, "/chat/new").target()).isEqualTo("b");

        JsonNode after = json(admin.call("GET", "/api/v1/upstreams/chat/health", null), 200);
        assertThat(after.get("nodes")).hasSize(2);
        for (JsonNode n : after.get("nodes"))
            for (JsonNode t : n.get("targets"))
                if (t.get("target").asText().equals(a.address())) {
                    assertThat(t.get("state").asText()).isEqualTo("draining");
                    assertThat(t.get("tunnels_open").asLong()).isZero();
                }
        json(admin.call("GET", "/api/v1/upstreams/none/health", null), 404);
    }
}
