package io.switchyard.launcher;

import io.switchyard.testkit.TestCerts;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.AdminClient;
import io.switchyard.config.ConfigCodec;
import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import io.switchyard.dataplane.DataPlaneSettings;
import io.switchyard.launcher.node.Node;
import io.switchyard.launcher.support.SeqTunnel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static io.switchyard.testkit.EchoUpstream.Replies.NAMED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 5's rotation, end to end: the certificate for a name is replaced through the admin API while a
 * wss tunnel streams; new handshakes present the new certificate, the tunnel loses nothing.
 */
class CertificateRotationTest {
    @TempDir
    Path dir;

    @Test
    void certificateReplacedThroughTheApiReachesNewHandshakesWhileAWssTunnelStreamsOn() throws Exception {
        TestCerts.Pem first = TestCerts.selfSigned("localhost first").ec().dnsNames("localhost").create();
        TestCerts.Pem second = TestCerts.selfSigned("localhost second").ec().dnsNames("localhost").create();
        SSLContext trustBoth = TestCerts.trusting(first.certPem(), second.certPem());
        try (EchoUpstream echo = EchoUpstream.builder("chat").replies(NAMED).start();
             ControlPlane cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), dir.resolve("cp.db"), null, null));
             Node node = Node.start(DataPlaneSettings.loopback().withTlsListen(new InetSocketAddress("127.0.0.1", 0)),
                     URI.create("http://127.0.0.1:" + cp.adminAddress().getPort()), null, dir.resolve("state"), null, "test",
                     java.time.Duration.ZERO)) {
            AdminClient admin = AdminClient.at("http://127.0.0.1:" + cp.adminAddress().getPort());
            admin.write("POST", "/api/v1/upstreams", "{\"name\":\"chat\",\"targets\":[{\"address\":\"" + echo.address() + "\"}]}");
            admin.write("POST", "/api/v1/routes", "{\"name\":\"chat\",\"hosts\":[\"localhost\"],\"path_prefix\":\"/wss\",\"upstream\":\"chat\"}");
            long v = admin.write("POST", "/api/v1/certificates", ConfigCodec.write(Map.of("name", "site", "snis", java.util.List.of("localhost"),
                    "cert_pem", first.certPem(), "key_pem", first.keyPem())));
            admin.awaitConvergence(v);
            int tlsPort = node.dataPlane().tlsAddress().getPort();
            assertThat(TestCerts.pemOf(TestCerts.presented(trustBoth, tlsPort, "localhost"))).isEqualTo(first.certPem());

            HttpClient wss = HttpClient.newBuilder().sslContext(trustBoth).build();
            SeqTunnel tunnel = SeqTunnel.open(wss, URI.create("wss://localhost:" + tlsPort + "/wss/room"));
            assertThat(tunnel.roundTrip()).isEqualTo("chat");
            ScheduledExecutorService pump = Executors.newSingleThreadScheduledExecutor();
            pump.scheduleAtFixedRate(tunnel::sendNext, 0, 5, TimeUnit.MILLISECONDS);
            try {
                // Streaming is under way before the rotation and goes on after it: waited for, not slept for.
                tunnel.awaitReceived(50, 10_000);
                assertThat(tunnel.received()).isGreaterThanOrEqualTo(50);
                long rotated = admin.write("PUT", "/api/v1/certificates/site", ConfigCodec.write(Map.of("name", "site",
                        "snis", java.util.List.of("localhost"), "cert_pem", second.certPem(), "key_pem", second.keyPem())));
                admin.awaitConvergence(rotated);
                assertThat(TestCerts.pemOf(TestCerts.presented(trustBoth, tlsPort, "localhost"))).isEqualTo(second.certPem());
                long afterRotation = tunnel.received();
                tunnel.awaitReceived(afterRotation + 50, 10_000);
                assertThat(tunnel.received()).isGreaterThanOrEqualTo(afterRotation + 50);
            } finally {
                pump.shutdownNow();
                pump.awaitTermination(5, TimeUnit.SECONDS);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> tunnel.received() == tunnel.sent());
            assertThat(tunnel.error()).isNull();
            assertThat(tunnel.closeCode()).isEqualTo(-1);
            assertThat(tunnel.sent()).isGreaterThan(50);
            assertThat(node.dataPlane().openTunnels()).isEqualTo(1);
            // A new wss handshake works against the new certificate.
            SeqTunnel fresh = SeqTunnel.open(HttpClient.newBuilder().sslContext(TestCerts.trusting(second.certPem())).build(),
                    URI.create("wss://localhost:" + tlsPort + "/wss/new"));
            assertThat(fresh.roundTrip()).isEqualTo("chat");
            fresh.close();
            tunnel.close();
        }
    }
}
