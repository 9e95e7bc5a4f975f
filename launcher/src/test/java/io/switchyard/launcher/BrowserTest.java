package io.switchyard.launcher;

import io.switchyard.testkit.TestCerts;
import io.switchyard.testkit.EchoUpstream;
import com.sun.net.httpserver.HttpServer;
import io.switchyard.config.Certificate;
import io.switchyard.config.Config;
import io.switchyard.config.Route;
import io.switchyard.config.Snapshot;
import io.switchyard.config.Target;
import io.switchyard.config.Upstream;
import io.switchyard.dataplane.DataPlane;
import io.switchyard.dataplane.DataPlaneSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.switchyard.testkit.EchoUpstream.Replies.NAMED;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Field-guide scenario 1 in a real browser: headless Chromium (Debian's, driven by playwright-core from
 * src/test/browser; `.ci/run` installs both) loads {@code https://switchyard.test:PORT/} and the page's
 * script opens {@code wss://switchyard.test:PORT/wss/echo} on the same port and shows the echo.
 */
class BrowserTest {
    static final String HOST = "switchyard.test";
    static final String PAGE = """
            <!doctype html><meta charset="utf-8"><title>Switchyard: HTTPS and WSS on one port</title>
            <style>body{font:16px system-ui,sans-serif;margin:24px}code,pre{background:#f3f3f3;padding:2px 6px}</style>
            <h1>Switchyard: HTTPS and WSS on one port</h1>
            <p>This page came over <b id="proto"></b> from the web app upstream (X-Forwarded-Proto: <b>%s</b>).</p>
            <p>Its script opened <code id="url"></code> on the same port; the chat upstream answered:</p>
            <pre id="echo">connecting...</pre>
            <script>
              const u = 'wss://' + location.host + '/wss/echo';
              window.wsUrl = u;
              document.getElementById('url').textContent = u;
              document.getElementById('proto').textContent = location.protocol + '//' + location.host;
              const el = document.getElementById('echo');
              const ws = new WebSocket(u);
              ws.onopen = () => ws.send('hello from the browser');
              ws.onmessage = (e) => { el.textContent = 'echo: ' + e.data; el.dataset.done = 'yes'; ws.close(); };
              ws.onerror = () => { el.textContent = 'websocket error'; el.dataset.done = 'yes'; };
            </script>
            """;

    @TempDir
    Path dir;

    @Test
    void chromiumLoadsHttpsPageWhoseScriptEchoesOverWssOnTheSamePort() throws Exception {
        Path browserDir = Path.of("src", "test", "browser").toAbsolutePath();
        assertThat(browserDir.resolve("node_modules/playwright-core")).as("run `npm ci` in %s (.ci/run does)", browserDir).exists();

        HttpServer web = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        web.createContext("/", ex -> {
            byte[] body = PAGE.formatted(String.valueOf(ex.getRequestHeaders().getFirst("X-Forwarded-Proto"))).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        web.start();
        TestCerts.Pem pem = TestCerts.selfSigned(HOST).ec().dnsNames(HOST).create();
        try (EchoUpstream chat = EchoUpstream.builder("chat").replies(NAMED).start();
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback().withTlsListen(new InetSocketAddress("127.0.0.1", 0)))) {
            Config config = new Config(null,
                    List.of(new Upstream("web", null, List.of(new Target("127.0.0.1:" + web.getAddress().getPort()))),
                            new Upstream("chat", null, List.of(new Target(chat.address())))),
                    List.of(new Route("site", List.of(HOST), "/", "web"), new Route("chat-ws", List.of(HOST), "/wss", "chat")),
                    List.of(new Certificate("site", List.of(HOST), pem.certPem(), pem.keyPem(), true)));
            dp.apply(new Snapshot(1, config));

            Path shot = Path.of("target", "browser-wss.png").toAbsolutePath();
            String url = "https://" + HOST + ":" + dp.tlsAddress().getPort() + "/";
            Process node = new ProcessBuilder("node", browserDir.resolve("wss-page.js").toString(), url, HOST, shot.toString())
                    .redirectErrorStream(true).start();
            String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(node.exitValue()).as(out).isEqualTo(0);
            assertThat(out).contains("\"status\":200")
                    .contains("\"echo\":\"echo: chat|hello from the browser\"")
                    .contains("wss://" + HOST + ":" + dp.tlsAddress().getPort() + "/wss/echo");
            assertThat(Files.size(shot)).isGreaterThan(1000);
            assertThat(chat.handshakes.get()).isEqualTo(1);
        } finally {
            web.stop(0);
        }
    }
}
