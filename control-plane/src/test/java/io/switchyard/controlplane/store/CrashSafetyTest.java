package io.switchyard.controlplane.store;

import io.switchyard.testkit.AdminClient;
import com.fasterxml.jackson.databind.JsonNode;
import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneMain;
import io.switchyard.controlplane.ControlPlaneSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class CrashSafetyTest {
    static final int WRITERS = 4;

    @TempDir
    Path dir;

    @Test
    void killingTheProcessMidStreamLosesNoAcknowledgedWriteAndLeavesTheDatabaseIntact() throws Exception {
        Path db = dir.resolve("crash.db");
        Process child = startChild(db);
        try {
            int port = readPort(child);
            AdminClient api = AdminClient.at(new InetSocketAddress("127.0.0.1", port));
            Map<String, Long> acked = new ConcurrentHashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger sent = new AtomicInteger();
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                Thread t = new Thread(() -> {
                    for (int i = 0; !stop.get(); i++) {
                        String name = "w" + writer + "-" + i;
                        sent.incrementAndGet();
                        try {
                            AdminClient.Response r = api.post("/api/v1/upstreams", "{\"name\":\"" + name + "\",\"targets\":[{\"address\":\"127.0.0.1:" + (1000 + i % 60000) + "\"}]}");
                            if (r.status() == 201) acked.put(name, r.version());
                        } catch (UncheckedIOException | IllegalStateException e) {
                            return; // the process is gone
                        }
                    }
                }, "writer-" + w);
                t.start();
                writers.add(t);
            }
            // Kill while writes are certainly in flight: after a good number were acknowledged.
            await().atMost(60, TimeUnit.SECONDS).until(() -> acked.size() >= 150);
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            stop.set(true);
            for (Thread t : writers) t.join(30_000);
            assertThat(sent.get()).as("some writes were in flight or unsent at the kill").isGreaterThan(acked.size());

            assertThat(integrityCheck(db)).isEqualTo("ok");
            try (ControlPlane cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), db, null, null))) {
                AdminClient again = AdminClient.at(cp.adminAddress());
                long current = again.get("/api/v1/snapshots/current").json().get("version").asLong();
                assertThat(current).isGreaterThanOrEqualTo(acked.size());
                Set<String> present = new HashSet<>();
                for (JsonNode u : again.get("/api/v1/upstreams").json()) present.add(u.get("name").asText());
                assertThat(present).containsAll(acked.keySet());
                assertThat(present).hasSize((int) current);
                for (Map.Entry<String, Long> e : acked.entrySet()) {
                    JsonNode version = again.get("/api/v1/snapshots/" + e.getValue()).json();
                    assertThat(names(version)).as("version %d holds %s", e.getValue(), e.getKey()).contains(e.getKey());
                    assertThat(names(version)).hasSize(e.getValue().intValue());
                }
                // Versions are gapless after the crash too, and writing goes on from the last one.
                JsonNode history = again.get("/api/v1/snapshots?limit=500").json().get("items");
                for (int i = 0; i < history.size(); i++) assertThat(history.get(i).get("version").asLong()).isEqualTo(current - i);
                assertThat(again.post("/api/v1/upstreams", "{\"name\":\"after-crash\"}").version()).isEqualTo(current + 1);
            }
            assertThat(integrityCheck(db)).isEqualTo("ok");
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static Set<String> names(JsonNode doc) {
        Set<String> s = new HashSet<>();
        for (JsonNode u : doc.get("upstreams")) s.add(u.get("name").asText());
        return s;
    }

    private static Process startChild(Path db) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), ControlPlaneMain.class.getName(), db.toString())
                .redirectErrorStream(true).start();
    }

    private static int readPort(Process child) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream()));
        List<String> seen = new ArrayList<>();
        for (String line; (line = out.readLine()) != null; ) {
            if (line.startsWith("PORT ")) {
                // Keep draining the child's output so it never blocks on a full pipe.
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) { /* discard */ }
                    } catch (Exception ignored) {
                        // the child died
                    }
                }, "child-output");
                drain.setDaemon(true);
                drain.start();
                return Integer.parseInt(line.substring(5).trim());
            }
            seen.add(line);
        }
        throw new IllegalStateException("child exited before listening: " + String.join("\n", seen));
    }

    private static String integrityCheck(Path db) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
