package io.switchyard.launcher;

import io.switchyard.testkit.ClosedPort;
import io.switchyard.testkit.Closer;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.AdminClient;
import io.switchyard.config.Config;
import io.switchyard.config.ConfigCodec;
import io.switchyard.config.Route;
import io.switchyard.config.Snapshot;
import io.switchyard.config.Target;
import io.switchyard.config.Upstream;
import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import io.switchyard.dataplane.DataPlaneSettings;
import io.switchyard.launcher.node.Node;
import io.switchyard.launcher.node.StateDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.switchyard.testkit.EchoUpstream.Replies.NAMED;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 10: a client looping on the port from before a node starts sees connection refused, then routed answers;
 * never a 404 from a listener that opened before its configuration. With a control plane that answers late, it sees
 * 503s (with Retry-After) in between.
 */
class StartupTest {
    @TempDir
    Path dir;
    private final Closer closeables = new Closer();

    @AfterEach
    void stop() {
        closeables.close();
    }

    private <T extends AutoCloseable> T track(T c) {
        return closeables.track(c);
    }

    /** A port free right now (the listener under test binds it later; nothing else on this machine takes it meanwhile). */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static DataPlaneSettings settings(int port) {
        return new DataPlaneSettings(new InetSocketAddress("127.0.0.1", port), null, new InetSocketAddress("127.0.0.1", 0),
                "startup-node", 1, Duration.ofSeconds(1));
    }

    private static Config config(EchoUpstream echo) {
        return new Config(null, List.of(new Upstream("app", null, List.of(new Target(echo.address())))),
                List.of(new Route("all", List.of(), "/", "app")), null);
    }

    /** Loops GET / on a port from before anything listens there, until a 200; every outcome in order. */
    private static final class Prober {
        final List<String> outcomes = Collections.synchronizedList(new ArrayList<>());
        final CompletableFuture<Void> done;

        Prober(int port) {
            done = CompletableFuture.runAsync(() -> {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (System.nanoTime() < deadline) {
                    String o = once(port);
                    if (outcomes.isEmpty() || !outcomes.get(outcomes.size() - 1).equals(o)) outcomes.add(o);
                    if (o.equals("200")) return;
                }
            });
        }

        private static String once(int port) {
            try (Socket s = new Socket()) {
                // From another loopback address: the prober connects many times a second while the port is closed, and
                // an ephemeral port the kernel gives its socket on 127.0.0.1 can be the very port the node is about to
                // bind (seen once in CI: "cannot bind (address already in use)"); on 127.0.0.2 it never collides.
                s.bind(new InetSocketAddress("127.0.0.2", 0));
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                s.setSoTimeout(5000);
                s.getOutputStream().write("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                ByteArrayOutputStream line = new ByteArrayOutputStream();
                int c;
                while ((c = in.read()) != -1 && c != '\n') line.write(c);
                String status = line.toString(StandardCharsets.US_ASCII);
                return status.length() >= 12 ? status.substring(9, 12) : "no-answer:" + status.trim();
            } catch (ConnectException e) {
                return "refused";
            } catch (IOException e) {
                return "error:" + e.getClass().getSimpleName();
            }
        }

        List<String> awaitRouted() throws Exception {
            done.get(40, TimeUnit.SECONDS);
            return List.copyOf(outcomes);
        }
    }

    @Test
    void withAConfigFileTheListenerOpensOnlyOnceItIsApplied() throws Exception {
        EchoUpstream echo = track(EchoUpstream.builder("app").replies(NAMED).start());
        Path file = dir.resolve("config.json");
        Files.write(file, ConfigCodec.writeBytes(config(echo)));
        int port = freePort();
        Prober p = new Prober(port);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !p.outcomes.isEmpty()); // met a closed port first
        track(Node.start(settings(port), List.of(), file, dir.resolve("state"), null, "test"));
        assertThat(p.awaitRouted()).containsExactly("refused", "200");
    }

    @Test
    void withACachedSnapshotTheListenerOpensOnlyOnceItIsApplied() throws Exception {
        EchoUpstream echo = track(EchoUpstream.builder("app").replies(NAMED).start());
        new StateDir(dir.resolve("state")).save(new Snapshot(7, config(echo)));
        int port = freePort();
        Prober p = new Prober(port);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !p.outcomes.isEmpty());
        // The control plane is not up: the cached snapshot is served, and only then is the port opened.
        Node node = track(Node.start(settings(port), java.net.URI.create("http://" + track(new ClosedPort()).address()), null,
                dir.resolve("state"), null, "test", Duration.ofSeconds(5)));
        assertThat(p.awaitRouted()).containsExactly("refused", "200");
        assertThat(node.dataPlane().appliedVersion()).isEqualTo(7);
    }

    @Test
    void withALateControlPlaneTheNodeAnswers503UntilTheFirstSnapshotThenRoutes() throws Exception {
        EchoUpstream echo = track(EchoUpstream.builder("app").replies(NAMED).start());
        int port = freePort();
        int cpPort = freePort();
        Prober p = new Prober(port);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !p.outcomes.isEmpty());
        CompletableFuture<Node> node = CompletableFuture.supplyAsync(() -> Node.start(settings(port),
                java.net.URI.create("http://127.0.0.1:" + cpPort), null, dir.resolve("state"), null, "test",
                Duration.ofMillis(300)));
        track(() -> node.get(30, TimeUnit.SECONDS).close());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> p.outcomes.contains("503"));
        ControlPlane cp = track(ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", cpPort),
                dir.resolve("cp.db"), null, null)));
        AdminClient.at("http://127.0.0.1:" + cp.adminAddress().getPort())
                .write("PUT", "/api/v1/config", new String(ConfigCodec.writeBytes(config(echo)), StandardCharsets.UTF_8));
        List<String> seen = p.awaitRouted();
        assertThat(seen).doesNotContain("404");
        assertThat(seen).first().isEqualTo("refused");
        assertThat(seen).containsSubsequence("refused", "503", "200");
        assertThat(seen).allMatch(o -> o.equals("refused") || o.equals("503") || o.equals("200"));
    }
}
