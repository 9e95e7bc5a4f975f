package io.switchyard.controlplane.fleet;

import io.switchyard.testkit.AdminClient;
import com.fasterxml.jackson.databind.JsonNode;
import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import io.switchyard.controlplane.testing.FleetNodeClient;
import io.switchyard.controlplane.testing.TestStore;
import io.switchyard.fleet.FleetMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Two control planes on one PostgreSQL database, each with nodes of its own. */
class SharedDatabaseTest {
    @TempDir
    Path dir;
    TestStore store;
    ControlPlane a;
    ControlPlane b;
    AdminClient apiA;
    AdminClient apiB;
    final List<FleetNodeClient> nodes = new ArrayList<>();

    @BeforeEach
    void start() {
        store = TestStore.create(TestStore.Kind.POSTGRESQL, dir);
        a = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), store.location(), null, null));
        b = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), store.location(), null, null));
        apiA = AdminClient.at(a.adminAddress());
        apiB = AdminClient.at(b.adminAddress());
    }

    @AfterEach
    void stop() {
        for (FleetNodeClient n : nodes) n.abort();
        a.close();
        b.close();
        store.close();
    }

    /** A node of {@code cp} that says hello and acks every push; aborted after the test. */
    FleetNodeClient connect(ControlPlane cp, String id) {
        FleetNodeClient n = FleetNodeClient.acking().connect(cp.adminAddress().getPort(), id, null);
        nodes.add(n);
        n.send(new FleetMessage.Hello(id, "test", null, 0, 0));
        return n;
    }

    static JsonNode node(AdminClient api, String id) {
        for (JsonNode n : api.get("/api/v1/fleet/nodes").json().get("nodes")) if (n.get("node_id").asText().equals(id)) return n;
        return null;
    }

    @Test
    void aWriteOnOneControlPlaneReachesTheNodesOfTheOtherAtOnce() throws Exception {
        FleetNodeClient onB = connect(b, "edge-b");
        int writes = 40;
        long[] micros = new long[writes];
        for (int i = 0; i < writes; i++) {
            long t0 = System.nanoTime();
            long version = apiA.post("/api/v1/upstreams", "{\"name\":\"u" + i + "\"}").version();
            FleetMessage.SnapshotPush p = onB.snapshotOfAtLeast(version);
            micros[i] = (System.nanoTime() - t0) / 1000;
            assertThat(p.config().upstream("u" + i)).isPresent();
        }
        Arrays.sort(micros);
        long p99 = micros[(int) Math.ceil(writes * 0.99) - 1];
        System.out.printf("write on A to push by B: p50 %d us, p99 %d us (%d writes)%n", micros[writes / 2], p99, writes);
        // The figure the design aims at is p99 < 100 ms; the bound here leaves room for a loaded 2-core machine.
        assertThat(p99).isLessThan(500_000);
        assertThat(apiB.get("/api/v1/snapshots/current").json().get("version").asLong()).isEqualTo(writes);
    }

    @Test
    void eachControlPlaneSeesEveryNodeAndWaitsForAllOfThemToConverge() throws Exception {
        connect(a, "edge-a");
        connect(b, "edge-b");
        // Each control plane writes its nodes' rows on a thread of its own: until B's row for edge-b is written,
        // A cannot know of edge-b (on a loaded machine that can take longer than the write below).
        await().atMost(10, TimeUnit.SECONDS).until(() -> node(apiA, "edge-b") != null && node(apiB, "edge-a") != null);
        long v = apiA.post("/api/v1/upstreams", "{\"name\":\"chat\"}").version();
        for (AdminClient api : List.of(apiA, apiB)) {
            AdminClient.Response r = api.get("/api/v1/fleet/nodes?min_version=" + v + "&wait_ms=10000");
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            JsonNode ns = r.json().get("nodes");
            assertThat(ns).hasSize(2);
            for (JsonNode n : ns) {
                assertThat(n.get("applied_version").asLong()).isEqualTo(v);
                assertThat(n.get("status").asText()).isEqualTo("in_sync");
            }
        }
        assertThat(node(apiA, "edge-a").get("control_plane").asText()).isNotEqualTo(node(apiA, "edge-b").get("control_plane").asText());
        assertThat(node(apiB, "edge-a").get("control_plane").asText()).isEqualTo(node(apiA, "edge-a").get("control_plane").asText());
    }

    @Test
    void aNodeThatLeftOneControlPlaneShowsAsDisconnectedOnTheOther() {
        FleetNodeClient n = connect(a, "edge-a");
        await().atMost(10, TimeUnit.SECONDS).until(() -> node(apiB, "edge-a") != null && node(apiB, "edge-a").get("status").asText().equals("in_sync"));
        n.abort();
        await().atMost(10, TimeUnit.SECONDS).until(() -> node(apiB, "edge-a").get("status").asText().equals("disconnected"));
    }

    @Test
    void twentyConcurrentWritersOverBothControlPlanesGetUniqueGaplessVersions() throws Exception {
        int writers = 20;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<AdminClient.Response>> results = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            int n = i;
            AdminClient api = n % 2 == 0 ? apiA : apiB;
            results.add(pool.submit(() -> {
                go.await();
                return api.post("/api/v1/upstreams", "{\"name\":\"u" + n + "\"}");
            }));
        }
        go.countDown();
        Map<Long, Integer> versionToWriter = new TreeMap<>();
        for (int i = 0; i < writers; i++) {
            AdminClient.Response r = results.get(i).get(30, TimeUnit.SECONDS);
            assertThat(r.status()).as(r.toString()).isEqualTo(201);
            assertThat(versionToWriter.put(r.version(), i)).as("version %d acknowledged twice", r.version()).isNull();
        }
        pool.shutdown();
        assertThat(versionToWriter.keySet()).containsExactlyElementsOf(LongStream.rangeClosed(1, writers).boxed().toList());
        for (Map.Entry<Long, Integer> e : versionToWriter.entrySet()) {
            JsonNode doc = apiA.get("/api/v1/snapshots/" + e.getKey()).json();
            assertThat(doc.get("upstreams")).as("version %d holds every earlier write and its own", e.getKey()).hasSize(e.getKey().intValue());
            assertThat(doc.toString()).contains("\"u" + e.getValue() + "\"");
        }
        await().atMost(5, TimeUnit.SECONDS).until(() -> b.currentVersion() == writers && a.currentVersion() == writers);
    }

    @Test
    void aControlPlaneThatLostItsListeningConnectionStillLearnsOfNewVersions() throws Exception {
        FleetNodeClient onB = connect(b, "edge-b");
        try (Connection c = store.connect(); Statement st = c.createStatement()) {
            await().atMost(5, TimeUnit.SECONDS).until(() -> {
                try (var rs = st.executeQuery("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'")) {
                    int n = 0;
                    while (rs.next()) n++;
                    return n == 2;
                }
            });
        }
        long v = apiA.post("/api/v1/upstreams", "{\"name\":\"after\"}").version();
        assertThat(onB.snapshotOfAtLeast(v).version()).as("version %d still reaches the other control plane's node", v).isGreaterThanOrEqualTo(v);
    }
}
