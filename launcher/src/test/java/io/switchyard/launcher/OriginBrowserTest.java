package io.switchyard.launcher;

import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.AdminClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.switchyard.testkit.EchoUpstream.Replies.NAMED;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A route's origin policy in a real browser: a page served through Switchyard on {@code app.localhost} calls a
 * route on {@code api.localhost} with {@code fetch} (credentialed, with a header that needs a preflight) and
 * {@code new WebSocket}. Allowed, both work; after the policy is narrowed through the admin API the browser
 * reports both as failed, the upstream sees neither, and the tunnel opened before keeps flowing.
 */
class OriginBrowserTest {
    static final String TOKEN = "cluster-secret-for-tests";
    static final String PAGE = """
            <!doctype html><meta charset="utf-8"><title>Switchyard: origin policy</title>
            <p>This page's origin is <b id="origin"></b>; its script calls <code>api.localhost</code>.</p>
            <script>
              document.getElementById('origin').textContent = location.origin;
              const api = 'api.localhost:' + location.port;
              window.probe = async (tag) => {
                const out = {};
                try {
                  const r = await fetch('http://' + api + '/hello?' + tag, { credentials: 'include', headers: { 'X-Token': tag } });
                  out.fetch = r.status + ' ' + (await r.text());
                } catch (e) {
                  out.fetch = 'failed: ' + e.name;
                }
                out.ws = await new Promise((resolve) => {
                  const ws = new WebSocket('ws://' + api + '/chat');
                  const timer = setTimeout(() => resolve('timeout'), 15000);
                  ws.onopen = () => ws.send(tag);
                  ws.onmessage = (e) => {
                    clearTimeout(timer);
                    if (!window.kept) window.kept = ws; else ws.close();
                    resolve('echo: ' + e.data);
                  };
                  ws.onerror = () => { clearTimeout(timer); resolve('error'); };
                });
                return out;
              };
              window.viaKept = (text) => new Promise((resolve) => {
                window.kept.onmessage = (e) => resolve('echo: ' + e.data);
                window.kept.send(text);
              });
            </script>
            """;

    @TempDir
    Path dir;

    static String apiRoute(String allowed) {
        return "{\"name\":\"api\",\"hosts\":[\"api.localhost\"],\"upstream\":\"api\",\"origin\":{\"allow\":[\"" + allowed + "\"],"
                + "\"credentials\":true,\"headers\":[\"X-Token\"],\"max_age_s\":0}}";
    }

    @Test
    void aCrossOriginPageWorksWhileAllowedAndFailsWithoutReachingTheUpstreamOnceExcluded() throws Exception {
        Path browserDir = Path.of("src", "test", "browser").toAbsolutePath();
        assertThat(browserDir.resolve("node_modules/playwright-core")).as("run `npm ci` in %s (.ci/run does)", browserDir).exists();

        HttpServer web = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        web.createContext("/", ex -> {
            byte[] body = PAGE.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        web.start();
        Process node = null;
        try (EchoUpstream api = EchoUpstream.builder("api").replies(NAMED).start();
             ControlPlane cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), dir.resolve("cp.db"), null, TOKEN));
             Node n = Node.start(new DataPlaneSettings(new InetSocketAddress("127.0.0.1", 0), null, new InetSocketAddress("127.0.0.1", 0),
                             "n1", 1, Duration.ofSeconds(1)),
                     URI.create("http://127.0.0.1:" + cp.adminAddress().getPort()), null, dir.resolve("state"), TOKEN, "test", Duration.ZERO)) {
            AdminClient admin = AdminClient.at("http://127.0.0.1:" + cp.adminAddress().getPort());
            int port = n.dataPlane().listenAddress().getPort();
            String app = "http://app.localhost:" + port;
            admin.write("POST", "/api/v1/upstreams", "{\"name\":\"web\",\"targets\":[{\"address\":\"127.0.0.1:" + web.getAddress().getPort() + "\"}]}");
            admin.write("POST", "/api/v1/upstreams", "{\"name\":\"api\",\"targets\":[{\"address\":\"" + api.address() + "\"}]}");
            admin.write("POST", "/api/v1/routes", "{\"name\":\"app\",\"hosts\":[\"app.localhost\"],\"upstream\":\"web\"}");
            admin.awaitConvergence(admin.write("POST", "/api/v1/routes", apiRoute(app)));

            node = new ProcessBuilder("node", browserDir.resolve("origin-page.js").toString(), app + "/")
                    .redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
            Writer in = new java.io.OutputStreamWriter(node.getOutputStream(), StandardCharsets.UTF_8);
            ObjectMapper json = new ObjectMapper();

            JsonNode first = json.readTree(jsonLine(out));
            assertThat(first.path("status").asInt()).as(first.toString()).isEqualTo(200);
            assertThat(first.path("fetch").asText()).isEqualTo("200 api /hello?first");
            assertThat(first.path("ws").asText()).isEqualTo("echo: api|first");
            assertThat(api.handshakes.get()).isEqualTo(1);
            int seen = api.requests.get();
            assertThat(seen).as("the fetch and the handshake; the preflight was answered by the proxy").isEqualTo(2);

            // Narrowed through the admin API: the page's origin is no longer listed.
            admin.awaitConvergence(admin.write("PUT", "/api/v1/routes/api", apiRoute("http://other.localhost:" + port)));
            in.write("next\n");
            in.flush();

            JsonNode second = json.readTree(jsonLine(out));
            assertThat(second.path("fetch").asText()).as(second.toString()).isEqualTo("failed: TypeError");
            assertThat(second.path("ws").asText()).isEqualTo("error");
            assertThat(second.path("console").toString()).contains("blocked by CORS policy")
                    .contains("Error during WebSocket handshake: Unexpected response code: 403");
            assertThat(second.path("kept").asText()).as("the tunnel opened before is untouched").isEqualTo("echo: api|still here");
            assertThat(api.requests.get()).as("the upstream saw nothing of the refused calls").isEqualTo(seen);
            assertThat(api.handshakes.get()).isEqualTo(1);
            assertThat(n.dataPlane().metrics().originRefusedCount("api", "preflight")).isEqualTo(1);
            assertThat(n.dataPlane().metrics().originRefusedCount("api", "websocket")).isEqualTo(1);

            assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(node.exitValue()).isEqualTo(0);
        } finally {
            if (node != null && node.isAlive()) {
                node.destroy();
                node.waitFor(10, TimeUnit.SECONDS);
            }
            web.stop(0);
        }
    }

    /** The next line the script printed that is a JSON object (fails with everything read when the script ends first). */
    private static String jsonLine(BufferedReader out) throws java.io.IOException {
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("{")) {
                if (line.startsWith("{\"error\"")) throw new AssertionError("browser script failed: " + line + "\n" + seen);
                return line;
            }
            seen.append(line).append('\n');
        }
        throw new AssertionError("browser script ended without a result:\n" + seen);
    }
}
