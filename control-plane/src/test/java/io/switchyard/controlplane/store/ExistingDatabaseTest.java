package io.switchyard.controlplane.store;

import io.switchyard.testkit.AdminClient;
import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A SQLite database written by the control plane before its migrations moved to
 * {@code migrations/sqlite} (schema 2, three versions; the fixture file was made by that release
 * through its admin API) still opens: Flyway's history matches the moved files, nothing is re-run,
 * and writes go on from the stored version.
 */
class ExistingDatabaseTest {
    @TempDir
    Path dir;

    @Test
    void aDatabaseFromTheReleaseBeforeKeepsItsHistoryAndTakesNewWrites() throws Exception {
        Path db = dir.resolve("existing.db");
        try (InputStream in = getClass().getResourceAsStream("/fixtures/schema2-three-versions.sqlite")) {
            Files.copy(in, db);
        }
        List<String> before = history(db);
        assertThat(before).hasSize(2);
        try (ControlPlane cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), db, null, null))) {
            AdminClient api = AdminClient.at(cp.adminAddress());
            assertThat(api.get("/api/v1/snapshots/current").json().get("version").asLong()).isEqualTo(3);
            assertThat(api.get("/api/v1/routes/chat-ws").json().get("upstream").asText()).isEqualTo("chat");
            assertThat(api.get("/api/v1/timeouts").json().get("read_ms").asLong()).isEqualTo(300000);
            assertThat(api.get("/api/v1/snapshots/1").json().get("upstreams")).hasSize(1);
            assertThat(api.post("/api/v1/upstreams", "{\"name\":\"web\"}").version()).isEqualTo(4);
        }
        List<String> after = history(db);
        assertThat(after.subList(0, before.size())).as("no migration re-run or re-checksummed").isEqualTo(before);
        assertThat(after.subList(before.size(), after.size())).as("only the schemas added since, applied once")
                .singleElement().asString().startsWith("3 V3__global_settings.sql ").endsWith(" true");
    }

    private static List<String> history(Path db) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT version, script, checksum, success FROM flyway_schema_history ORDER BY installed_rank")) {
            while (rs.next()) out.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getLong(3) + " " + rs.getBoolean(4));
        }
        return out;
    }
}
