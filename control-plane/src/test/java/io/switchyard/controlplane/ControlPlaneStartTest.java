package io.switchyard.controlplane;

import io.switchyard.testkit.AdminClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ControlPlaneStartTest {
    @TempDir
    Path dir;

    ControlPlaneSettings settings(String host, int port, String adminToken, String clusterToken) {
        return new ControlPlaneSettings(new InetSocketAddress(host, port), dir.resolve("cp.db"), adminToken, clusterToken);
    }

    @Test
    void refusesANonLoopbackAddressWithoutAnAdminToken() {
        assertThatThrownBy(() -> ControlPlane.start(settings("0.0.0.0", 0, null, "c")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a loopback address").hasMessageContaining("SWITCHYARD_ADMIN_TOKEN")
                .hasMessageNotContaining("\n");
        assertThat(dir.resolve("cp.db")).as("nothing is created before the settings are accepted").doesNotExist();
    }

    @Test
    void refusesANonLoopbackAddressWithoutAClusterToken() {
        assertThatThrownBy(() -> ControlPlane.start(settings("0.0.0.0", 0, "a", null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SWITCHYARD_CLUSTER_TOKEN");
    }

    @Test
    void refusesBlankTokens() {
        assertThatThrownBy(() -> ControlPlane.start(settings("127.0.0.1", 0, " ", null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("admin token");
    }

    @Test
    void aPortInUseIsAnIllegalStateNamingTheAddress() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> ControlPlane.start(settings("127.0.0.1", taken.getLocalPort(), null, null)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("127.0.0.1:" + taken.getLocalPort());
        }
    }

    @Test
    void anUnopenableDatabaseIsAnIllegalState() throws IOException {
        Path notADb = dir.resolve("garbage.db");
        Files.writeString(notADb, "this is not an SQLite file, it is just text long enough to have a header page".repeat(20));
        assertThatThrownBy(() -> ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), notADb, null, null)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("garbage.db");
        assertThatThrownBy(() -> ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), dir.resolve("no/such/dir/x.db"), null, null)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), dir, null, null)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("directory");
    }

    @Test
    void aStoredDocumentThatNoLongerReadsIsAnIllegalStateNotABadFlag() throws Exception {
        ControlPlane.start(settings("127.0.0.1", 0, null, null)).close();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("cp.db"))) {
            c.createStatement().execute("INSERT INTO snapshots (version, created_at, summary, document) "
                    + "VALUES (1, '2026-01-01T00:00:00Z', 'hand-made', '{\"upstreams\":[{\"name\":\"a\",\"colour\":\"red\"}]}')");
        }
        assertThatThrownBy(() -> ControlPlane.start(settings("127.0.0.1", 0, null, null)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("cp.db").hasMessageContaining("colour");
    }

    @Test
    void withAnAdminTokenEveryApiCallNeedsTheBearerToken() {
        try (ControlPlane cp = ControlPlane.start(settings("127.0.0.1", 0, "s3cret-admin", null))) {
            AdminClient anonymous = AdminClient.at(cp.adminAddress());
            AdminClient wrong = AdminClient.at(cp.adminAddress()).withToken("s3cret-admim");
            AdminClient right = AdminClient.at(cp.adminAddress()).withToken("s3cret-admin");
            AdminClient.Response r = anonymous.get("/api/v1/upstreams");
            assertThat(r.status()).isEqualTo(401);
            assertThat(r.header("WWW-Authenticate")).startsWith("Bearer");
            assertThat(r.json().get("type").asText()).isEqualTo("urn:switchyard:problem:unauthorized");
            assertThat(wrong.post("/api/v1/upstreams", "{\"name\":\"a\"}").status()).isEqualTo(401);
            assertThat(wrong.get("/api/v1/snapshots/current").status()).isEqualTo(401);
            assertThat(anonymous.get("/api/v1/no-such-path").status()).as("unknown paths do not leak past auth").isEqualTo(401);
            assertThat(anonymous.get("/api;x=1/v1/upstreams").status()).as("fail closed on odd spellings").isEqualTo(401);
            assertThat(right.post("/api/v1/upstreams", "{\"name\":\"a\"}").status()).isEqualTo(201);
            assertThat(right.get("/api/v1/upstreams").json()).hasSize(1);
            assertThat(anonymous.get("/openapi.yaml").status()).as("the API description is public").isEqualTo(200);
        }
    }

    @Test
    void aSecondControlPlaneOnTheSameDatabaseIsRefusedUntilTheFirstStops() {
        ControlPlane first = ControlPlane.start(settings("127.0.0.1", 0, null, null));
        try {
            assertThatThrownBy(() -> ControlPlane.start(settings("127.0.0.1", 0, null, null)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("in use by another control plane");
        } finally {
            first.close();
        }
        ControlPlane.start(settings("127.0.0.1", 0, null, null)).close();
    }

    @Test
    void closeIsIdempotentAndFreesThePort() throws IOException {
        ControlPlane cp = ControlPlane.start(settings("127.0.0.1", 0, null, null));
        int port = cp.adminAddress().getPort();
        assertThat(port).isPositive();
        cp.close();
        cp.close();
        try (ServerSocket again = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
            assertThat(again.getLocalPort()).isEqualTo(port);
        }
    }
}
