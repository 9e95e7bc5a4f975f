package io.switchyard.controlplane.store;

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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs on SQLite and on PostgreSQL. */
@ParameterizedClass(name = "{0}")
@EnumSource(TestStore.Kind.class)
class ConcurrentWritesTest {
    @Parameter
    TestStore.Kind kind;
    TestStore store;

    static final int WRITERS = 20;

    @TempDir
    Path dir;

    @BeforeEach
    void createStore() {
        store = TestStore.create(kind, dir);
    }

    @AfterEach
    void dropStore() {
        store.close();
    }

    @Test
    void twentyConcurrentWritersAreAllAcknowledgedWithDistinctGaplessVersions() throws Exception {
        try (ControlPlane cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), store.location(), null, null))) {
            AdminClient api = AdminClient.at(cp.adminAddress());
            api.post("/api/v1/upstreams", "{\"name\":\"pool\"}");
            ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<AdminClient.Response>> results = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                int n = i;
                results.add(pool.submit(() -> {
                    go.await();
                    // Half create upstreams, half add targets to the same one: both kinds contend for the lock.
                    return n % 2 == 0
                            ? api.post("/api/v1/upstreams", "{\"name\":\"u" + n + "\"}")
                            : api.post("/api/v1/upstreams/pool/targets", "{\"address\":\"127.0.0.1:" + (9000 + n) + "\"}");
                }));
            }
            go.countDown();
            Map<Long, Integer> versionToWriter = new TreeMap<>();
            for (int i = 0; i < WRITERS; i++) {
                AdminClient.Response r = results.get(i).get();
                assertThat(r.status()).as(r.toString()).isEqualTo(201);
                assertThat(versionToWriter.put(r.version(), i)).as("version %d acknowledged twice", r.version()).isNull();
            }
            pool.shutdown();
            assertThat(versionToWriter.keySet()).containsExactlyElementsOf(LongStream.rangeClosed(2, WRITERS + 1).boxed().toList());

            // Each version contains its own write and every earlier one, and nothing later.
            for (Map.Entry<Long, Integer> e : versionToWriter.entrySet()) {
                int n = e.getValue();
                JsonNode doc = api.get("/api/v1/snapshots/" + e.getKey()).json();
                JsonNode previous = api.get("/api/v1/snapshots/" + (e.getKey() - 1)).json();
                assertThat(contains(doc, n)).as("version %d has writer %d", e.getKey(), n).isTrue();
                assertThat(contains(previous, n)).as("version %d lacks writer %d", e.getKey() - 1, n).isFalse();
                assertThat(count(doc)).isEqualTo(e.getKey() - 1);
            }
            JsonNode pool0 = api.get("/api/v1/upstreams/pool").json();
            assertThat(pool0.get("targets")).hasSize(WRITERS / 2);
            assertThat(api.get("/api/v1/snapshots/current").json().get("version").asLong()).isEqualTo(WRITERS + 1);
        }
    }

    private static boolean contains(JsonNode doc, int writer) {
        for (JsonNode u : doc.get("upstreams")) {
            if (u.get("name").asText().equals("u" + writer)) return true;
            if (u.get("name").asText().equals("pool"))
                for (JsonNode t : u.get("targets")) if (t.get("address").asText().equals("127.0.0.1:" + (9000 + writer))) return true;
        }
        return false;
    }

    private static int count(JsonNode doc) {
        int n = 0;
        for (JsonNode u : doc.get("upstreams")) n += u.get("name").asText().equals("pool") ? u.get("targets").size() : 1;
        return n;
    }
}
