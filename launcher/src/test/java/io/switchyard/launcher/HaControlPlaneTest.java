package io.switchyard.launcher;

import io.switchyard.testkit.Closer;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.AdminClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.testkit.PostgresServer;
import io.switchyard.dataplane.DataPlaneSettings;
import io.switchyard.launcher.node.Node;
import io.switchyard.launcher.support.ControlPlaneProcess;
import io.switchyard.launcher.support.SeqTunnel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;

import static io.switchyard.testkit.EchoUpstream.Replies.NAMED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two control planes (child processes) on one PostgreSQL database, two nodes on each, writers on both,
 * and one control plane killed with SIGKILL halfway through.
 */
class HaControlPlaneTest {
    static final int WRITERS = 20;
    static final int WRITES_EACH = 10;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    PostgresServer.Database db;
    final Closer closeables = new Closer();
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void database() {
        db = PostgresServer.shared().createDatabase();
    }

    @AfterEach
    void stopEverything() {
        closeables.close();
        PostgresServer.shared().dropDatabase(db);
    }

    <T extends AutoCloseable> T track(T c) {
        return closeables.track(c);
    }

    ControlPlaneProcess controlPlane() {
        return track(ControlPlaneProcess.start(Map.of("SWITCHYARD_DB_PASSWORD", db.password()),
                "--db", db.url()));
    }

    Node node(String id, URI... controlPlanes) {
        DataPlaneSettings s = new DataPlaneSettings(new InetSocketAddress("127.0.0.1", 0), null,
                new InetSocketAddress("127.0.0.1", 0), id, 1, Duration.ofSeconds(1));
        return track(Node.start(s, List.of(controlPlanes), null, dir.resolve("state-" + id), null, "test"));
    }

    String get(Node n, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.dataPlane().listenAddress().getPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    record Ack(String name, long version) {
    }

    @Test
    void killingOneOfTwoControlPlanesLosesNoAcknowledgedWriteAndItsNodesFailOverWithinTwoSeconds() throws Exception {
        EchoUpstream echo = track(EchoUpstream.builder("echo").replies(NAMED).start());
        ControlPlaneProcess procA = controlPlane();
        ControlPlaneProcess procB = controlPlane();
        URI a = URI.create(procA.awaitReady());
        URI b = URI.create(procB.awaitReady());
        AdminClient adminA = AdminClient.at(a.toString());
        AdminClient adminB = AdminClient.at(b.toString());
        Node a1 = node("a1", a, b);
        Node a2 = node("a2", a, b);
        Node b1 = node("b1", b, a);
        Node b2 = node("b2", b, a);
        List<Node> all = List.of(a1, a2, b1, b2);

        adminA.write("POST", "/api/v1/upstreams", "{\"name\":\"chat\",\"targets\":[{\"address\":\"" + echo.address() + "\"}]}");
        long v = adminB.write("POST", "/api/v1/routes", "{\"name\":\"chat\",\"path_prefix\":\"/chat\",\"upstream\":\"chat\"}");
        JsonNode fleet = JSON.readTree(adminA.awaitConvergence(v)).get("nodes");
        assertThat(fleet).as("control plane A sees the nodes of B too").hasSize(4);
        assertThat(a1.agent().connectedTo()).isEqualTo(a);
        assertThat(a2.agent().connectedTo()).isEqualTo(a);

        SeqTunnel tunnel = SeqTunnel.open(http, URI.create("ws://127.0.0.1:" + a1.dataPlane().listenAddress().getPort() + "/chat/room"));
        assertThat(tunnel.roundTrip()).isEqualTo("echo");
        ScheduledExecutorService pump = Executors.newSingleThreadScheduledExecutor();
        pump.scheduleAtFixedRate(tunnel::sendNext, 0, 10, TimeUnit.MILLISECONDS);

        // 20 writers, half on each control plane; one whose control plane dies goes on with the other.
        ConcurrentLinkedQueue<Ack> acked = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> unanswered = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
        AtomicInteger answered = new AtomicInteger();
        ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            done.add(writers.submit(() -> {
                go.await();
                AdminClient target = writer % 2 == 0 ? adminA : adminB;
                for (int k = 0; k < WRITES_EACH; k++) {
                    String name = "w" + writer + "-" + k;
                    try {
                        AdminClient.Response r = target.call("POST", "/api/v1/upstreams", "{\"name\":\"" + name + "\"}");
                        if (r.status() == 201) acked.add(new Ack(name, r.version()));
                        else unexpected.add(name + " -> " + r);
                    } catch (RuntimeException e) {
                        // No answer (its control plane was killed): the write may or may not have committed.
                        unanswered.add(name);
                        target = adminB;
                    }
                    answered.incrementAndGet();
                }
                return null;
            }));
        }
        go.countDown();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5)).until(() -> answered.get() >= WRITERS * WRITES_EACH / 2);
        procA.kill();
        long killedAt = System.nanoTime();
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(10))
                .until(() -> b.equals(a1.agent().connectedTo()) && b.equals(a2.agent().connectedTo()));
        long failoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        assertThat(get(a1, "/chat/during")).as("serving throughout").isEqualTo("200 echo /chat/during");
        for (Future<?> f : done) f.get(120, TimeUnit.SECONDS);
        writers.shutdown();

        assertThat(unexpected).isEmpty();
        assertThat(acked.size() + unanswered.size()).isEqualTo(WRITERS * WRITES_EACH);
        assertThat(acked.size()).isGreaterThan(WRITERS * WRITES_EACH / 2);
        Set<Long> versions = new HashSet<>();
        for (Ack ack : acked) assertThat(versions.add(ack.version())).as("version %d acknowledged twice", ack.version()).isTrue();

        // Versions in the database are 1..N without a gap, and each acknowledged write is in its own version and every later one.
        List<Long> stored = new ArrayList<>();
        try (Connection c = PostgresServer.connect(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT version FROM snapshots ORDER BY version")) {
            while (rs.next()) stored.add(rs.getLong(1));
        }
        long last = stored.get(stored.size() - 1);
        assertThat(stored).containsExactlyElementsOf(LongStream.rangeClosed(1, last).boxed().toList());
        assertThat(last).as("one version per write, plus the two set-up writes").isBetween(2L + acked.size(), 2L + acked.size() + unanswered.size());
        JsonNode current = JSON.readTree(adminB.call("GET", "/api/v1/config", null).body());
        Set<String> names = new HashSet<>();
        for (JsonNode u : current.get("upstreams")) names.add(u.get("name").asText());
        for (Ack ack : acked) {
            assertThat(names).contains(ack.name());
            assertThat(adminB.call("GET", "/api/v1/snapshots/" + ack.version(), null).body()).contains("\"" + ack.name() + "\"");
            assertThat(adminB.call("GET", "/api/v1/snapshots/" + (ack.version() - 1), null).body()).doesNotContain("\"" + ack.name() + "\"");
        }

        // All four nodes converge on the last version, every one of them now on B.
        JsonNode converged = JSON.readTree(adminB.awaitConvergence(last)).get("nodes");
        assertThat(converged).hasSize(4);
        for (JsonNode n : converged) {
            assertThat(n.get("status").asText()).as(n.toString()).isEqualTo("in_sync");
            assertThat(n.get("control_plane").asText()).isEqualTo(converged.get(0).get("control_plane").asText());
        }
        for (Node n : all) assertThat(n.dataPlane().appliedVersion()).isEqualTo(last);

        pump.shutdownNow();
        pump.awaitTermination(5, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(15)).until(() -> tunnel.received() == tunnel.sent());
        assertThat(tunnel.error()).isNull();
        assertThat(tunnel.closeCode()).isEqualTo(-1);
        assertThat(tunnel.sent()).isGreaterThan(50);
        tunnel.close();
        System.out.printf("HA: %d acknowledged, %d unanswered, last version %d, failover of both nodes in %d ms, tunnel %d messages%n",
                acked.size(), unanswered.size(), last, failoverMs, tunnel.sent());
    }
}
