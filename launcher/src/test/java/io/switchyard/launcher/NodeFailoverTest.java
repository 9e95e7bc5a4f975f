package io.switchyard.launcher;

import io.switchyard.testkit.ClosedPort;
import io.switchyard.testkit.Closer;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.AdminClient;
import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import io.switchyard.dataplane.DataPlaneSettings;
import io.switchyard.launcher.node.Node;
import io.switchyard.launcher.node.NodeAgent;
import io.switchyard.testkit.SilentRelay;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.switchyard.testkit.EchoUpstream.Replies.NAMED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A node given several control planes: which one it uses, and what it refuses from them. */
class NodeFailoverTest {
    @TempDir
    Path dir;
    final Closer closeables = new Closer();
    final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stopEverything() {
        closeables.close();
    }

    <T extends AutoCloseable> T track(T c) {
        return closeables.track(c);
    }

    ControlPlane controlPlane(String db) {
        return track(ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), dir.resolve(db), null, null)));
    }

    static URI url(ControlPlane cp) {
        return URI.create("http://127.0.0.1:" + cp.adminAddress().getPort());
    }

    Node node(String id, URI... controlPlanes) {
        DataPlaneSettings s = new DataPlaneSettings(new InetSocketAddress("127.0.0.1", 0), null,
                new InetSocketAddress("127.0.0.1", 0), id, 1, Duration.ofSeconds(1));
        return track(Node.start(s, List.of(controlPlanes), null, dir.resolve("state-" + id), null, "test"));
    }

    String get(Node n, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.dataPlane().listenAddress().getPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    @Test
    void aNodeSkipsAControlPlaneThatIsDownAndUsesTheNext() throws Exception {
        int deadPort = track(new ClosedPort()).port(); // refuses every connection while the test runs
        ControlPlane up = controlPlane("cp.db");
        Node n = node("n1", URI.create("http://127.0.0.1:" + deadPort), url(up));
        await().atMost(Duration.ofSeconds(5)).until(() -> url(up).equals(n.agent().connectedTo()));
        long v = AdminClient.at(url(up).toString()).write("POST", "/api/v1/upstreams", "{\"name\":\"u\"}");
        await().atMost(Duration.ofSeconds(5)).until(() -> n.dataPlane().appliedVersion() == v);
        // The state file holds private keys: owner only.
        Path state = dir.resolve("state-n1").resolve("snapshot.json");
        await().atMost(Duration.ofSeconds(5)).until(() -> java.nio.file.Files.exists(state));
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(state))).isEqualTo("rw-------");
    }

    @Test
    void aNodeLeavesAControlPlaneThatWentSilentForTheNext() throws Exception {
        ControlPlane cp = controlPlane("cp.db");
        SilentRelay path = track(new SilentRelay(cp.adminAddress()));
        URI throughPath = URI.create("http://127.0.0.1:" + path.port());
        String before = System.getProperty(NodeAgent.HEARTBEAT_PROPERTY);
        System.setProperty(NodeAgent.HEARTBEAT_PROPERTY, "200");
        Node n;
        try {
            n = node("n1", throughPath, url(cp));
        } finally {
            if (before == null) System.clearProperty(NodeAgent.HEARTBEAT_PROPERTY);
            else System.setProperty(NodeAgent.HEARTBEAT_PROPERTY, before);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> throughPath.equals(n.agent().connectedTo()));
        long first = AdminClient.at(url(cp).toString()).write("POST", "/api/v1/upstreams", "{\"name\":\"u\"}");
        await().atMost(Duration.ofSeconds(5)).until(() -> n.dataPlane().appliedVersion() == first);
        // Heartbeats keep going out and an answer stays away through several of them (no FIN, no reset): the node
        // must give that control plane up and take the next, not wait on a connection that looks open.
        path.goSilent();
        await().atMost(Duration.ofSeconds(10)).until(() -> url(cp).equals(n.agent().connectedTo()));
        long second = AdminClient.at(url(cp).toString()).write("POST", "/api/v1/upstreams", "{\"name\":\"v\"}");
        await().atMost(Duration.ofSeconds(5)).until(() -> n.dataPlane().appliedVersion() == second);
    }

    @Test
    void aNodeNeverAppliesAVersionOlderThanTheOneItHolds() throws Exception {
        EchoUpstream echo = track(EchoUpstream.builder("echo").replies(NAMED).start());
        ControlPlane ahead = controlPlane("ahead.db");
        AdminClient adminAhead = AdminClient.at(url(ahead).toString());
        adminAhead.write("POST", "/api/v1/upstreams", "{\"name\":\"chat\",\"targets\":[{\"address\":\"" + echo.address() + "\"}]}");
        adminAhead.write("POST", "/api/v1/routes", "{\"name\":\"new\",\"path_prefix\":\"/new\",\"upstream\":\"chat\"}");
        long held = adminAhead.write("POST", "/api/v1/upstreams", "{\"name\":\"spare\"}");
        Node first = node("n1", url(ahead));
        await().atMost(Duration.ofSeconds(5)).until(() -> first.dataPlane().appliedVersion() == held);
        first.close();
        closeables.forget(first);

        // A control plane whose newest version is older than what the node holds.
        ControlPlane behind = controlPlane("behind.db");
        AdminClient adminBehind = AdminClient.at(url(behind).toString());
        adminBehind.write("POST", "/api/v1/upstreams", "{\"name\":\"chat\",\"targets\":[{\"address\":\"" + echo.address() + "\"}]}");
        long older = adminBehind.write("POST", "/api/v1/routes", "{\"name\":\"old\",\"path_prefix\":\"/old\",\"upstream\":\"chat\"}");
        assertThat(older).isLessThan(held);
        Node again = node("n1", url(behind));
        await().atMost(Duration.ofSeconds(5)).until(() -> url(behind).equals(again.agent().connectedTo()));
        await().atMost(Duration.ofSeconds(5)).until(() -> adminBehind.call("GET", "/api/v1/fleet/nodes", null).body()
                .contains("\"applied_version\":" + held));
        assertThat(again.dataPlane().appliedVersion()).isEqualTo(held);
        assertThat(get(again, "/new/x")).isEqualTo("200 echo /new/x");
        assertThat(get(again, "/old/x")).startsWith("404");
    }

    @Test
    void controlPlaneUrlsMayBeRepeatedOrCommaSeparated() {
        DataPlaneCommand cmd = new DataPlaneCommand();
        new CommandLine(cmd).parseArgs("--control-plane", "http://10.0.0.5:9090,http://10.0.0.6:9090", "--control-plane", "https://10.0.0.7:9090");
        assertThat(cmd.controlPlane).containsExactly(URI.create("http://10.0.0.5:9090"), URI.create("http://10.0.0.6:9090"),
                URI.create("https://10.0.0.7:9090"));
    }

    @Test
    void helpNamesTheHaFlags() {
        StringWriter cp = new StringWriter();
        new CommandLine(new ControlPlaneCommand()).usage(new PrintWriter(cp));
        assertThat(cp.toString()).contains("--db", "postgresql://", "--db-password-file");
        StringWriter dp = new StringWriter();
        new CommandLine(new DataPlaneCommand()).usage(new PrintWriter(dp));
        assertThat(dp.toString()).contains("--control-plane", "fails over");
    }
}
