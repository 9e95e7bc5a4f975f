package io.switchyard.controlplane.store;

import io.switchyard.testkit.TestCerts;
import io.switchyard.testkit.AdminClient;
import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import io.switchyard.controlplane.testing.TestStore;
import io.switchyard.fleet.FleetMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import static io.switchyard.testkit.AdminClient.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the database holds: private keys encrypted when a secret key is set, bounded history, owner-only files. Runs on both databases. */
@ParameterizedClass(name = "{0}")
@EnumSource(TestStore.Kind.class)
class DataAtRestTest {
    static final String SECRET = "a-secret-of-thirty-two-characters";

    @Parameter
    TestStore.Kind kind;
    @TempDir
    Path dir;
    TestStore store;
    ControlPlane cp;

    @BeforeEach
    void createStore() {
        store = TestStore.create(kind, dir);
    }

    @AfterEach
    void stop() {
        if (cp != null) cp.close();
        store.close();
    }

    ControlPlaneSettings settings() {
        return new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), store.location(), null, null);
    }

    AdminClient start(ControlPlaneSettings s) {
        if (cp != null) cp.close();
        cp = ControlPlane.start(s);
        return AdminClient.at(cp.adminAddress());
    }

    static String certificate(String name) {
        TestCerts.Pem rsa = TestCerts.rsa();
        return "{\"name\":" + q(name) + ",\"cert_pem\":" + q(rsa.certPem()) + ",\"key_pem\":" + q(rsa.keyPem()) + "}";
    }

    /** Every stored key_pem and every stored snapshot document, as text. */
    List<String> stored() throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = store.connect(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT key_pem FROM certificates")) {
                while (rs.next()) out.add(rs.getString(1));
            }
            try (ResultSet rs = st.executeQuery("SELECT document, document_deflate FROM snapshots")) {
                while (rs.next()) {
                    byte[] d = rs.getBytes(2);
                    out.add(d == null ? rs.getString(1) : new String(ConfigStore.inflate(d), StandardCharsets.UTF_8));
                }
            }
        }
        return out;
    }

    /** The private key the fleet channel pushes to a node (it needs the plain key). */
    String pushedKey() throws Exception {
        CompletableFuture<FleetMessage.SnapshotPush> push = new CompletableFuture<>();
        StringBuilder partial = new StringBuilder();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + cp.adminAddress().getPort() + FleetMessage.STREAM_PATH + "?node_id=n1"), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                        partial.append(data);
                        if (last && FleetMessage.decode(partial.toString()) instanceof FleetMessage.SnapshotPush p) push.complete(p);
                        w.request(1);
                        return null;
                    }
                }).get(10, TimeUnit.SECONDS);
        try {
            ws.sendText(FleetMessage.encode(new FleetMessage.Hello("n1", "test", null, 0, 0)), true).join();
            return push.get(10, TimeUnit.SECONDS).config().certificates().get(0).keyPem();
        } finally {
            ws.abort();
        }
    }

    @Test
    void withASecretKeyPrivateKeysAreEncryptedInRowsAndHistoryAndNodesStillGetThemInPlain() throws Exception {
        AdminClient api = start(settings().withSecretKey(SECRET));
        assertThat(api.post("/api/v1/certificates", certificate("site")).status()).isEqualTo(201);
        api.post("/api/v1/upstreams", "{\"name\":\"u\"}");
        List<String> stored = stored();
        assertThat(stored).hasSize(3).allSatisfy(s -> assertThat(s).doesNotContain("PRIVATE KEY"));
        assertThat(stored.get(0)).startsWith("enc:v1:");
        assertThat(pushedKey()).isEqualTo(TestCerts.rsa().keyPem());

        // The same secret reads them back after a restart; no secret, or another one, cannot.
        api = start(settings().withSecretKey(SECRET));
        assertThat(pushedKey()).isEqualTo(TestCerts.rsa().keyPem());
        assertThat(api.get("/api/v1/snapshots/1").status()).isEqualTo(200);
        cp.close();
        cp = null;
        assertThatThrownBy(() -> ControlPlane.start(settings())).hasMessageContaining("SWITCHYARD_SECRET_KEY");
        assertThatThrownBy(() -> ControlPlane.start(settings().withSecretKey("another-secret-of-enough-length")))
                .hasMessageContaining("does not decrypt");
    }

    @Test
    void turningEncryptionOnSealsTheKeysStoredBefore() throws Exception {
        AdminClient api = start(settings());
        api.post("/api/v1/certificates", certificate("site"));
        assertThat(stored()).anySatisfy(s -> assertThat(s).contains("PRIVATE KEY"));
        start(settings().withSecretKey(SECRET));
        assertThat(stored()).allSatisfy(s -> assertThat(s).doesNotContain("PRIVATE KEY"));
        assertThat(pushedKey()).isEqualTo(TestCerts.rsa().keyPem());
    }

    @Test
    void historyKeepsTheLastNVersionsAndAlwaysTheCurrentOne() throws Exception {
        AdminClient api = start(settings().withKeepVersions(3));
        for (int i = 0; i < 6; i++) api.post("/api/v1/upstreams", "{\"name\":\"u" + i + "\"}");
        assertThat(store.scalar("SELECT COUNT(*) FROM snapshots")).isEqualTo(3);
        assertThat(store.scalar("SELECT MIN(version) FROM snapshots")).isEqualTo(4);
        assertThat(api.get("/api/v1/snapshots/3").status()).isEqualTo(404);
        assertThat(api.get("/api/v1/snapshots/4").status()).isEqualTo(200);
        assertThat(api.post("/api/v1/snapshots/5/rollback", "").status()).isEqualTo(200);

        api = start(settings().withKeepVersions(1));
        assertThat(api.post("/api/v1/upstreams", "{\"name\":\"last\"}").version()).isEqualTo(8);
        assertThat(store.scalar("SELECT COUNT(*) FROM snapshots")).isEqualTo(1);
        assertThat(api.get("/api/v1/snapshots/current").json().get("version").asLong()).isEqualTo(8);
        assertThatThrownBy(() -> settings().withKeepVersions(0)).hasMessageContaining("keep-versions");
    }

    @Test
    void theSqliteFilesAreReadableByTheirOwnerOnly() throws Exception {
        if (kind != TestStore.Kind.SQLITE) return;
        AdminClient api = start(settings());
        // SQLite removes -wal and -shm when the last connection closes: hold one open while the control plane writes.
        try (Connection held = store.connect(); Statement st = held.createStatement()) {
            st.executeQuery("SELECT COUNT(*) FROM snapshots").close();
            api.post("/api/v1/upstreams", "{\"name\":\"u\"}");
            for (String f : List.of("cp.db", "cp.db-wal", "cp.db-shm", "cp.db.lock")) {
            Path p = dir.resolve(f);
            assertThat(p).as(f).exists();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).as(f).isEqualTo("rw-------");
            }
        }
    }
}
