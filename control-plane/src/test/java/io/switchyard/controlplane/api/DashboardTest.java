package io.switchyard.controlplane.api;

import io.switchyard.testkit.AdminClient;
import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import io.switchyard.controlplane.testing.FleetNodeClient;
import io.switchyard.fleet.FleetMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard's files on {@code /} and its event stream {@code GET /api/v1/events}, over real HTTP. */
class DashboardTest {
    static final String ADMIN = "admin-secret-for-tests";
    static final String CLUSTER = "cluster-secret-for-tests";
    @TempDir
    Path dir;
    ControlPlane cp;
    final HttpClient http = HttpClient.newHttpClient();
    final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void start() {
        cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), dir.resolve("cp.db"), ADMIN, CLUSTER));
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) c.close();
        cp.close();
    }

    /** One open event stream: its "event:" names in order, read by a thread of its own. */
    final class Events implements AutoCloseable {
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final InputStream body;
        final Thread reader;

        Events(HttpResponse<InputStream> r) {
            body = r.body();
            reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) lines.add(line);
                } catch (java.io.IOException e) {
                    lines.add("closed: " + e);
                }
            }, "event-stream-reader");
            reader.start();
            open.add(this);
        }

        /** Skips lines until {@code event: name}, then answers its data line (fails after 10 s). */
        String next(String name) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            List<String> seen = new ArrayList<>();
            while (System.nanoTime() < deadline) {
                String line = lines.poll(100, TimeUnit.MILLISECONDS);
                if (line == null) continue;
                seen.add(line);
                if (line.equals("event: " + name)) {
                    String data = lines.poll(10, TimeUnit.SECONDS);
                    assertThat(data).as("data after event " + name).startsWith("data: ");
                    return data.substring("data: ".length());
                }
            }
            throw new AssertionError("no event " + name + " within 10 s; saw " + seen);
        }

        @Override
        public void close() throws Exception {
            body.close();
            reader.join(10_000);
        }
    }

    Events subscribe() throws Exception {
        HttpResponse<InputStream> r = http.send(AdminClient.at(cp.adminAddress()).withToken(ADMIN).request("/api/v1/events", "Accept", "text/event-stream").GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        return new Events(r);
    }

    @Test
    void aCommittedVersionReachesEveryOpenEventStream() throws Exception {
        Events first = subscribe();
        Events second = subscribe();
        assertThat(first.next("ready")).isEqualTo("{\"version\":0}");
        assertThat(second.next("ready")).isEqualTo("{\"version\":0}");

        AdminClient.Response w = AdminClient.at(cp.adminAddress()).withToken(ADMIN).post("/api/v1/upstreams", "{\"name\":\"app\",\"targets\":[{\"address\":\"127.0.0.1:9\"}]}");
        assertThat(w.status()).isEqualTo(201);

        assertThat(first.next("version")).isEqualTo("{\"version\":1}");
        assertThat(second.next("version")).isEqualTo("{\"version\":1}");
        AdminClient.at(cp.adminAddress()).withToken(ADMIN).post("/api/v1/upstreams", "{\"name\":\"other\"}");
        assertThat(first.next("version")).isEqualTo("{\"version\":2}");
        // A rollback is a commit too.
        assertThat(AdminClient.at(cp.adminAddress()).withToken(ADMIN).post("/api/v1/snapshots/1/rollback", "").status()).isEqualTo(200);
        assertThat(first.next("version")).isEqualTo("{\"version\":3}");
    }

    @Test
    void aNodeConnectingAndReportingTunnelsIsAFleetEvent() throws Exception {
        Events events = subscribe();
        events.next("ready");
        FleetNodeClient node = FleetNodeClient.manual().connect(cp.adminAddress().getPort(), "n1", CLUSTER);
        open.add(node::abort);
        assertThat(events.next("fleet")).isEqualTo("{\"version\":0}");

        node.send(new FleetMessage.Hello("n1", "test", "127.0.0.1:1", 0, 0));
        events.next("fleet");
        node.send(new FleetMessage.Heartbeat(0, 3));
        events.next("fleet");
        assertThat(cp.fleetView()).singleElement().satisfies(n -> assertThat(n.openTunnels()).isEqualTo(3L));
    }

    @Test
    void thePageIsServedWithoutTheTokenWhileTheApiAndTheEventStreamStayProtected() {
        AdminClient anonymous = AdminClient.at(cp.adminAddress());
        AdminClient.Response page = anonymous.get("/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header("Content-Type")).startsWith("text/html");
        assertThat(page.body()).contains("<title>Switchyard</title>").contains("/dashboard.js").contains("/dashboard.css");
        assertThat(page.header("Content-Security-Policy")).contains("script-src 'self'").contains("frame-ancestors 'none'");
        AdminClient.Response script = anonymous.get("/dashboard.js");
        assertThat(script.status()).isEqualTo(200);
        assertThat(script.header("Content-Type")).startsWith("text/javascript");
        assertThat(script.body()).contains("/api/v1/events").contains("Authorization");
        assertThat(anonymous.get("/dashboard.css").header("Content-Type")).startsWith("text/css");

        assertThat(anonymous.get("/api/v1/fleet/nodes").status()).isEqualTo(401);
        assertThat(anonymous.get("/api/v1/events", "Accept", "text/event-stream").status()).isEqualTo(401);
        assertThat(AdminClient.at(cp.adminAddress()).withToken("wrong").get("/api/v1/events", "Accept", "text/event-stream").status()).isEqualTo(401);
        AdminClient.Response notAStreamClient = AdminClient.at(cp.adminAddress()).withToken(ADMIN).get("/api/v1/events");
        assertThat(notAStreamClient.status()).isEqualTo(406);
        assertThat(notAStreamClient.body()).contains("Accept: text/event-stream");
        assertThat(anonymous.post("/", "{}").status()).as("only GET is open").isIn(401, 405);
        assertThat(anonymous.get("/other.js").status()).as("nothing else is open").isEqualTo(401);
        assertThat(AdminClient.at(cp.adminAddress()).withToken(ADMIN).get("/api/v1/events", "Origin", "http://evil.example").status())
                .as("another origin's page cannot watch").isEqualTo(403);
    }
}
