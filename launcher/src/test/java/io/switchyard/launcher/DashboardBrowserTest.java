package io.switchyard.launcher;

import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.AdminClient;
import io.switchyard.testkit.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import io.switchyard.dataplane.DataPlaneSettings;
import io.switchyard.launcher.node.Node;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.switchyard.testkit.EchoUpstream.Replies.NAMED;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard in a real browser against a real control plane (with an admin token), one node and an echo
 * upstream: the page asks for the token, shows the node and its version, sees a WebSocket tunnel opened through
 * the node without being reloaded, and rolls back a version with its button. Leaves a screenshot in
 * {@code target/dashboard.png} (the one in docs/ is a copy of it).
 */
class DashboardBrowserTest {
    static final String CLUSTER = "cluster-secret-for-tests";
    static final String ADMIN = "admin-secret-for-tests";

    @TempDir
    Path dir;

    @Test
    void theDashboardShowsTheFleetLiveAndRollsBackAVersion() throws Exception {
        Path browserDir = Path.of("src", "test", "browser").toAbsolutePath();
        assertThat(browserDir.resolve("node_modules/playwright-core")).as("run `npm ci` in %s (.ci/run does)", browserDir).exists();
        Process browser = null;
        WsClient tunnel = null;
        try (EchoUpstream echo = EchoUpstream.builder("echo").replies(NAMED).start();
             ControlPlane cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), dir.resolve("cp.db"), ADMIN, CLUSTER));
             Node n = Node.start(new DataPlaneSettings(new InetSocketAddress("127.0.0.1", 0), null, new InetSocketAddress("127.0.0.1", 0),
                             "edge-1", 1, Duration.ofSeconds(1)),
                     URI.create("http://127.0.0.1:" + cp.adminAddress().getPort()), null, dir.resolve("state"), CLUSTER, "test", Duration.ZERO)) {
            String base = "http://127.0.0.1:" + cp.adminAddress().getPort();
            AdminClient admin = AdminClient.at(base).withToken(ADMIN);
            admin.write("POST", "/api/v1/upstreams", "{\"name\":\"echo\",\"targets\":[{\"address\":\"" + echo.address() + "\"}]}");
            admin.write("POST", "/api/v1/routes", "{\"name\":\"chat\",\"path_prefix\":\"/chat\",\"upstream\":\"echo\"}");
            long v3 = admin.write("POST", "/api/v1/upstreams", "{\"name\":\"spare\",\"targets\":[{\"address\":\"127.0.0.1:9\"}]}");
            admin.awaitConvergence(v3);

            browser = new ProcessBuilder("node", browserDir.resolve("dashboard-page.js").toString(), base + "/")
                    .redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(browser.getInputStream(), StandardCharsets.UTF_8));
            Writer in = new java.io.OutputStreamWriter(browser.getOutputStream(), StandardCharsets.UTF_8);
            ObjectMapper json = new ObjectMapper();

            JsonNode login = json.readTree(step(in, out, "login " + ADMIN + " edge-1 " + v3));
            assertThat(login.path("status").asInt()).as(login.toString()).isEqualTo(200);
            assertThat(login.path("asked").asText()).contains("admin token");
            assertThat(login.path("version").asText()).isEqualTo(Long.toString(v3));
            assertThat(login.path("status_cell").asText()).isEqualTo("in sync");
            assertThat(login.path("live").asText()).isEqualTo("live");
            assertThat(login.path("routes").asText()).contains("chat").contains("echo");
            assertThat(login.path("upstreams").asText()).contains(echo.address()).contains("spare");
            assertThat(login.path("stored_token").asText()).isEqualTo(ADMIN);

            // A tunnel through the node; the node reports it in its next heartbeat, the page hears of it.
            tunnel = WsClient.connect("ws://127.0.0.1:" + n.dataPlane().listenAddress().getPort() + "/chat");
            tunnel.sendText("hello");
            assertThat(tunnel.nextText()).isEqualTo("echo|hello");

            JsonNode open = json.readTree(step(in, out, "tunnels edge-1 1"));
            assertThat(open.path("count").asText()).as(open.toString()).isEqualTo("1");
            assertThat(open.path("loads").asInt()).as("the page was never reloaded").isEqualTo(1);
            assertThat(open.path("unavailable").asBoolean()).as(open.toString()).isFalse();
            assertThat(open.path("tunnels").asText()).contains("chat").contains("edge-1");

            JsonNode rolledBack = json.readTree(step(in, out, "rollback 2 " + (v3 + 1) + " edge-1"));
            assertThat(rolledBack.path("version").asText()).as(rolledBack.toString()).isEqualTo(Long.toString(v3 + 1));
            assertThat(rolledBack.path("message").asText()).contains("Rolled back to version 2");
            assertThat(rolledBack.path("newest").asText()).contains("rollback to 2");
            assertThat(rolledBack.path("diff").asText()).contains("removed").contains("spare");
            assertThat(rolledBack.path("loads").asInt()).isEqualTo(1);
            assertThat(cp.currentVersion()).isEqualTo(v3 + 1);
            assertThat(admin.call("GET", "/api/v1/upstreams/spare", null).status()).isEqualTo(404);

            Path png = Path.of("target", "dashboard.png").toAbsolutePath();
            Files.deleteIfExists(png);
            json.readTree(step(in, out, "screenshot " + png));
            assertThat(png).exists();
            assertThat(Files.size(png)).isGreaterThan(10_000);

            // Closed from the page: the client gets the operator's 1001 and the count drops without a reload.
            JsonNode closed = json.readTree(step(in, out, "close chat"));
            assertThat(closed.path("loads").asInt()).as(closed.toString()).isEqualTo(1);
            assertThat(tunnel.closed.get(15, TimeUnit.SECONDS)).as("the client sees the operator's close").isEqualTo(1001);
            assertThat(json.readTree(step(in, out, "tunnels edge-1 0")).path("count").asText()).isEqualTo("0");

            JsonNode quit = json.readTree(step(in, out, "quit"));
            // Chromium logs every non-2xx answer as "Failed to load resource" (the 401s before the token, the
            // 404 of the missing tunnel list); anything else (a script error) fails the test.
            java.util.List<String> errors = new java.util.ArrayList<>();
            quit.path("errors").forEach(e -> errors.add(e.asText()));
            assertThat(errors).as("console errors").allMatch(e -> e.startsWith("Failed to load resource"));
            assertThat(browser.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(browser.exitValue()).isEqualTo(0);
        } finally {
            if (tunnel != null) tunnel.abort();
            if (browser != null && browser.isAlive()) {
                browser.destroy();
                browser.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Sends one command line and answers the script's next JSON line (fails with what it printed when it ends first). */
    private static String step(Writer in, BufferedReader out, String command) throws java.io.IOException {
        in.write(command + "\n");
        in.flush();
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("{")) {
                if (line.startsWith("{\"error\"")) throw new AssertionError("browser script failed at \"" + command + "\": " + line + "\n" + seen);
                return line;
            }
            seen.append(line).append('\n');
        }
        throw new AssertionError("browser script ended without a result for \"" + command + "\":\n" + seen);
    }
}
