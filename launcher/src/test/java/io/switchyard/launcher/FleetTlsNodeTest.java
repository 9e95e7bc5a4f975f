package io.switchyard.launcher;

import io.switchyard.testkit.Closer;
import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import io.switchyard.testkit.TestPki;
import io.switchyard.controlplane.tls.PemFiles;
import io.switchyard.dataplane.DataPlaneSettings;
import io.switchyard.launcher.node.Node;
import io.switchyard.launcher.support.ControlPlaneProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.net.ssl.SSLContext;
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
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Real nodes on the fleet channel over TLS and mutual TLS, and the control plane's start-up warning. */
class FleetTlsNodeTest {
    @TempDir
    static Path pki;
    static TestPki.Ca ca;
    static TestPki.Issued server;
    static TestPki.Issued edge1;

    @TempDir
    Path dir;
    final Closer closeables = new Closer();

    @BeforeAll
    static void certificates() {
        ca = TestPki.ca(pki, "switchyard-test-ca");
        server = TestPki.issue(ca, pki, "control-plane", "ip:127.0.0.1,dns:localhost");
        edge1 = TestPki.issue(ca, pki, "edge-1", "dns:edge-1");
    }

    @AfterEach
    void stopEverything() {
        closeables.close();
    }

    <T extends AutoCloseable> T track(T c) {
        return closeables.track(c);
    }

    Node node(String id, URI controlPlane, SSLContext tls) {
        DataPlaneSettings s = new DataPlaneSettings(new InetSocketAddress("127.0.0.1", 0), null,
                new InetSocketAddress("127.0.0.1", 0), id, 1, Duration.ofSeconds(1));
        return track(Node.start(s, List.of(controlPlane), tls, null, dir.resolve("state-" + id), null, "test"));
    }

    @Test
    void aNodeVerifiesTheControlPlaneAndWithMutualTlsMayOnlyUseTheIdItsCertificateNames() throws Exception {
        ControlPlane cp = track(ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), dir.resolve("cp.db"), null, null)
                .withTls(new ControlPlaneSettings.AdminTls(server.certFile(), server.keyFile(), ca.certFile()))));
        URI https = URI.create("https://127.0.0.1:" + cp.adminAddress().getPort());
        SSLContext asEdge1 = PemFiles.clientContext(ca.certFile(), edge1.certFile(), edge1.keyFile());
        HttpResponse<String> r = HttpClient.newBuilder().sslContext(asEdge1).build().send(HttpRequest.newBuilder(URI.create(https + "/api/v1/upstreams"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"chat\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(201);

        Node good = node("edge-1", https, asEdge1);
        await().atMost(Duration.ofSeconds(10)).until(() -> good.dataPlane().appliedVersion() == 1);

        Node impostor = node("edge-2", https, asEdge1);
        await().atMost(Duration.ofSeconds(10)).until(() -> impostor.agent().state().equals("refused"));
        assertThat(impostor.dataPlane().appliedVersion()).isEqualTo(-1);

        Node untrusting = node("edge-3", https, null);
        await().atMost(Duration.ofSeconds(10)).until(() -> untrusting.agent().state().equals("disconnected"));
        assertThat(untrusting.agent().connectedTo()).isNull();
        assertThat(untrusting.dataPlane().appliedVersion()).isEqualTo(-1);
    }

    @Test
    void aControlPlaneOnANonLoopbackAddressWithoutTlsWarnsAtStartAndNotWithTls() throws Exception {
        Map<String, String> secrets = Map.of("SWITCHYARD_ADMIN_TOKEN", "admin-s3cret", "SWITCHYARD_CLUSTER_TOKEN", "cluster-s3cret");
        ControlPlaneProcess plain = track(ControlPlaneProcess.start(secrets, "--admin", "0.0.0.0:0", "--db", dir.resolve("plain.db").toString()));
        assertThat(plain.awaitReady()).startsWith("http://");
        assertThat(plain.output()).contains("has no TLS");
        plain.close();

        ControlPlaneProcess tls = track(ControlPlaneProcess.start(secrets, "--admin", "0.0.0.0:0", "--db", dir.resolve("tls.db").toString(),
                "--admin-tls-cert", server.certFile().toString(), "--admin-tls-key", server.keyFile().toString()));
        assertThat(tls.awaitReady()).startsWith("https://");
        assertThat(tls.output()).doesNotContain("has no TLS");
    }

    @Test
    void helpNamesTheTlsFlags() {
        StringWriter cp = new StringWriter();
        new CommandLine(new ControlPlaneCommand()).usage(new PrintWriter(cp));
        assertThat(cp.toString()).contains("--admin-tls-cert", "--admin-tls-key", "--client-ca");
        StringWriter dp = new StringWriter();
        new CommandLine(new DataPlaneCommand()).usage(new PrintWriter(dp));
        assertThat(dp.toString()).contains("--control-plane-ca", "--node-tls-cert", "--node-tls-key");
    }
}
