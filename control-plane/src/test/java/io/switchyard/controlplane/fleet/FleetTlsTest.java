package io.switchyard.controlplane.fleet;

import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import io.switchyard.testkit.TestPki;
import io.switchyard.controlplane.testing.FleetNodeClient;
import io.switchyard.controlplane.tls.PemFiles;
import io.switchyard.fleet.FleetMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** The admin API and the fleet channel over TLS, and mutual TLS whose certificates name the nodes. */
class FleetTlsTest {
    @TempDir
    static Path pki;
    static TestPki.Ca ca;
    static TestPki.Ca rogue;
    static TestPki.Issued server;
    static TestPki.Issued edge1;
    static TestPki.Issued rogueEdge1;

    @TempDir
    Path dir;
    ControlPlane cp;

    @BeforeAll
    static void certificates() {
        ca = TestPki.ca(pki, "switchyard-test-ca");
        rogue = TestPki.ca(pki, "rogue-ca");
        server = TestPki.issue(ca, pki, "control-plane", "ip:127.0.0.1,dns:localhost");
        edge1 = TestPki.issue(ca, pki, "edge-1", "dns:edge-1");
        rogueEdge1 = TestPki.issue(rogue, pki, "edge-1", "dns:edge-1");
    }

    @AfterEach
    void stop() {
        if (cp != null) cp.close();
    }

    ControlPlane start(boolean mutual) {
        cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), dir.resolve("cp.db"), null, null)
                .withTls(new ControlPlaneSettings.AdminTls(server.certFile(), server.keyFile(), mutual ? ca.certFile() : null)));
        return cp;
    }

    String base(String scheme) {
        return scheme + "://127.0.0.1:" + cp.adminAddress().getPort();
    }

    static HttpClient client(SSLContext tls) {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (tls != null) b.sslContext(tls);
        return b.build();
    }

    WebSocket fleet(HttpClient http, String scheme, String nodeId) {
        return FleetNodeClient.manual().connect(http, base(scheme), nodeId, null).ws();
    }

    @Test
    void theApiAndTheFleetChannelAnswerOverTlsAndRefusePlainText() throws Exception {
        start(false);
        assertThat(cp.tls()).isTrue();
        HttpClient trusting = client(PemFiles.clientContext(ca.certFile(), null, null));
        HttpResponse<String> ok = trusting.send(HttpRequest.newBuilder(URI.create(base("https") + "/api/v1/snapshots/current")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
        WebSocket ws = fleet(trusting, "wss", "edge-1");
        ws.sendText(FleetMessage.encode(new FleetMessage.Hello("edge-1", "test", null, 0, 0)), true).join();
        ws.abort();

        Throwable plain = catchThrowable(() -> client(null).send(HttpRequest.newBuilder(URI.create(base("http") + "/api/v1/snapshots/current"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()));
        if (plain == null) throw new AssertionError("a plain-text request was answered");
        assertThat(plain).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> fleet(client(null), "ws", "edge-1")).isInstanceOf(CompletionException.class);
    }

    @Test
    void aClientThatDoesNotTrustTheControlPlanesCaIsRefusedTheHandshake() {
        start(false);
        HttpClient otherTrust = client(PemFiles.clientContext(rogue.certFile(), null, null));
        assertThatThrownBy(() -> otherTrust.send(HttpRequest.newBuilder(URI.create(base("https") + "/api/v1/snapshots/current")).build(),
                HttpResponse.BodyHandlers.ofString())).isInstanceOf(SSLHandshakeException.class);
        assertThatThrownBy(() -> fleet(otherTrust, "wss", "edge-1")).isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void withMutualTlsANodeMustPresentACertificateFromTheClientCaNamingItsOwnId() {
        start(true);
        // Its own certificate, its own id: admitted.
        WebSocket ok = fleet(client(PemFiles.clientContext(ca.certFile(), edge1.certFile(), edge1.keyFile())), "wss", "edge-1");
        ok.abort();
        // The same certificate claiming another node's id: refused at the upgrade, and shown as refused.
        Throwable impostor = catchThrowable(() -> fleet(client(PemFiles.clientContext(ca.certFile(), edge1.certFile(), edge1.keyFile())), "wss", "edge-2"));
        assertThat(impostor).isInstanceOf(CompletionException.class).cause().isInstanceOfSatisfying(WebSocketHandshakeException.class,
                e -> assertThat(e.getResponse().statusCode()).isEqualTo(403));
        // A certificate naming edge-1 but issued by a CA the control plane does not trust: refused in the handshake.
        assertThatThrownBy(() -> fleet(client(PemFiles.clientContext(ca.certFile(), rogueEdge1.certFile(), rogueEdge1.keyFile())), "wss", "edge-1"))
                .isInstanceOf(CompletionException.class);
        // No certificate at all: refused in the handshake.
        assertThatThrownBy(() -> fleet(client(PemFiles.clientContext(ca.certFile(), null, null)), "wss", "edge-1"))
                .isInstanceOf(CompletionException.class);
        assertThat(cp.fleetView()).anySatisfy(v -> {
            assertThat(v.nodeId()).isEqualTo("edge-2");
            assertThat(v.status()).isEqualTo("refused");
            assertThat(v.error()).contains("does not name node edge-2");
        });
    }
}
