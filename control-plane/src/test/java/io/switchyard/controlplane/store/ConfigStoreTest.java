package io.switchyard.controlplane.store;

import io.switchyard.config.Balance;
import io.switchyard.config.Config;
import io.switchyard.config.Route;
import io.switchyard.config.Target;
import io.switchyard.config.Timeouts;
import io.switchyard.config.Upstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigStoreTest {
    @TempDir
    Path dir;

    static Upstream up(String name, String... targets) {
        return new Upstream(name, Balance.ROUND_ROBIN, java.util.Arrays.stream(targets).map(Target::new).toList());
    }

    static <T> List<T> plus(List<T> l, T t) {
        List<T> out = new ArrayList<>(l);
        out.add(t);
        return out;
    }

    @Test
    void rowsAndTheStoredSnapshotAgreeAfterEveryKindOfWrite() {
        ConfigStore store = new ConfigStore(Database.open(dir.resolve("s.db")));
        List<UnaryOperator<Config>> steps = List.of(
                c -> c.withUpstreams(plus(c.upstreams(), up("a", "127.0.0.1:1", "127.0.0.1:2"))),
                c -> c.withUpstreams(plus(c.upstreams(), up("b"))),
                c -> c.withRoutes(plus(c.routes(), new Route("r1", List.of("example.com"), "/wss", "a"))),
                c -> c.withUpstreams(List.of(c.upstreams().get(1), c.upstreams().get(0))),            // reorder
                c -> c.withUpstreams(List.of(up("b", "127.0.0.1:9"), c.upstreams().get(1))),          // change targets
                c -> c.withRoutes(List.of(new Route("r1", List.of(), "/", "b"))),                    // move the route
                c -> c.withTimeouts(new Timeouts(1L, 2L, 3L)),
                c -> c.withTrustedProxies(List.of("10.0.0.0/8")).withMaxTunnels(100),
                c -> c.withClientBodyTimeoutMs(5_000L).withMaxConnections(2_000).withMaxTunnels(null),
                c -> c.withRoutes(List.of()).withUpstreams(List.of(up("c"))));                        // remove in FK order
        long version = 0;
        for (UnaryOperator<Config> step : steps) {
            long expected = version;
            ConfigStore.Written w = store.write(null, (v, c) -> {
                assertThat(v).as("the version the change starts from").isEqualTo(expected);
                return step.apply(c);
            });
            assertThat(w.created()).isTrue();
            assertThat(w.version()).isEqualTo(++version);
            assertThat(store.rows()).isEqualTo(store.current().config()).isEqualTo(w.after());
            assertThat(store.snapshot(version).orElseThrow().config()).isEqualTo(w.after());
        }
        assertThat(store.rows().upstreams()).extracting(Upstream::name).containsExactly("c");
    }

    static Config withEdgeSettings(Config c) {
        return c.withTrustedProxies(List.of("10.0.0.0/8", "fd00::/8")).withClientBodyTimeoutMs(7_000L)
                .withMaxConnections(5_000).withMaxTunnels(300);
    }

    @Test
    void theGlobalSettingsSurviveANewStoreOnTheSameFileAndItsNextWrite() {
        ConfigStore first = new ConfigStore(Database.open(dir.resolve("s.db")));
        first.write(null, (v, c) -> withEdgeSettings(c.withUpstreams(List.of(up("a")))));
        ConfigStore second = new ConfigStore(Database.open(dir.resolve("s.db")));
        assertThat(second.rows()).isEqualTo(second.current().config());
        Config after = second.write(null, (v, c) -> c.withUpstreams(plus(c.upstreams(), up("b")))).after();
        assertThat(after).isEqualTo(withEdgeSettings(Config.EMPTY.withUpstreams(List.of(up("a"), up("b")))));
        assertThat(new ConfigStore(Database.open(dir.resolve("s.db"))).rows()).isEqualTo(after);
    }

    @Test
    void aDatabaseWithoutASettingsRowTakesItsSettingsFromTheNewestSnapshot() {
        Database db = Database.open(dir.resolve("s.db"));
        Config written = new ConfigStore(db).write(null, (v, c) -> withEdgeSettings(c.withUpstreams(List.of(up("a"))))).after();
        // What a database written before schema 3 looks like once migrated: the snapshot has them, no row does.
        db.jdbi().useHandle(h -> h.execute("DELETE FROM settings"));
        ConfigStore reopened = new ConfigStore(Database.open(dir.resolve("s.db")));
        assertThat(reopened.rows()).isEqualTo(written);
        assertThat(reopened.write(null, (v, c) -> c.withUpstreams(plus(c.upstreams(), up("b")))).after().maxTunnels()).isEqualTo(300);
    }

    @Test
    void aChangeOfTheGlobalSettingsIsNamedInTheHistory() {
        ConfigStore store = new ConfigStore(Database.open(dir.resolve("s.db")));
        store.write(null, (v, c) -> c.withMaxTunnels(10).withTrustedProxies(List.of("10.0.0.0/8")));
        assertThat(store.history(Long.MAX_VALUE, 1).get(0).summary()).isEqualTo("changed settings (trusted_proxies, max_tunnels)");
    }

    @Test
    void aFailingChangeLeavesNoRowAndNoVersionAndANoOpCreatesNoVersion() {
        ConfigStore store = new ConfigStore(Database.open(dir.resolve("s.db")));
        store.write(null, (v, c) -> c.withUpstreams(List.of(up("a"))));
        assertThatThrownBy(() -> store.write(null, (v, c) -> {
            c.withUpstreams(List.of(up("b")));
            throw new IllegalArgumentException("refused by the caller");
        })).hasMessage("refused by the caller");
        ConfigStore.Written same = store.write(null, (v, c) -> c.withUpstreams(List.of(up("a"))));
        assertThat(same.created()).isFalse();
        assertThat(same.version()).isEqualTo(1);
        assertThat(store.history(Long.MAX_VALUE, 10)).hasSize(1);
        assertThat(store.rows().upstreams()).extracting(Upstream::name).containsExactly("a");
    }

    @Test
    void aWriteFromAnotherStoreOnTheSameFileIsNotLost() {
        ConfigStore first = new ConfigStore(Database.open(dir.resolve("s.db")));
        ConfigStore second = new ConfigStore(Database.open(dir.resolve("s.db")));
        first.write(null, (v, c) -> c.withUpstreams(plus(c.upstreams(), up("from-first"))));
        ConfigStore.Written w = second.write(null, (v, c) -> c.withUpstreams(plus(c.upstreams(), up("from-second"))));
        assertThat(w.version()).isEqualTo(2);
        assertThat(w.after().upstreams()).extracting(Upstream::name).containsExactly("from-first", "from-second");
        assertThat(new ConfigStore(Database.open(dir.resolve("s.db"))).rows()).isEqualTo(w.after());
    }

    @Test
    void everyConnectionIsWalWithFullSyncForeignKeysAndABusyTimeout() {
        Database db = Database.open(dir.resolve("s.db"));
        db.jdbi().useHandle(h -> {
            assertThat(h.createQuery("PRAGMA journal_mode").mapTo(String.class).one()).isEqualToIgnoringCase("wal");
            assertThat(h.createQuery("PRAGMA synchronous").mapTo(Integer.class).one()).as("2 = FULL").isEqualTo(2);
            assertThat(h.createQuery("PRAGMA foreign_keys").mapTo(Integer.class).one()).isEqualTo(1);
            assertThat(h.createQuery("PRAGMA busy_timeout").mapTo(Integer.class).one()).isEqualTo(Database.BUSY_TIMEOUT_MS);
        });
    }

    @Test
    void theDatabaseItselfRefusesToDropAnUpstreamARouteUses() {
        ConfigStore store = new ConfigStore(Database.open(dir.resolve("s.db")));
        store.write(null, (v, c) -> c.withUpstreams(List.of(up("a"))).withRoutes(List.of(new Route("r", List.of(), "/", "a"))));
        Database db = Database.open(dir.resolve("s.db"));
        assertThatThrownBy(() -> db.jdbi().useHandle(h -> h.execute("DELETE FROM upstreams WHERE name = 'a'")))
                .hasMessageContaining("FOREIGN KEY");
    }

    @Test
    void documentsAreStoredDeflatedAndPlainJsonRowsOfSchemaOneStillRead() {
        Database db = Database.open(dir.resolve("s.db"));
        ConfigStore store = new ConfigStore(db);
        List<Upstream> many = new ArrayList<>();
        for (int i = 0; i < 200; i++) many.add(up("upstream-" + i, "127.0.0.1:" + (1000 + i)));
        Config written = store.write(null, (v, c) -> c.withUpstreams(many)).after();
        int jsonBytes = io.switchyard.config.ConfigCodec.writeBytes(written).length;
        db.jdbi().useHandle(h -> {
            assertThat(h.createQuery("SELECT document FROM snapshots WHERE version = 1").mapTo(String.class).one()).isEmpty();
            byte[] deflated = h.createQuery("SELECT document_deflate FROM snapshots WHERE version = 1").mapTo(byte[].class).one();
            assertThat(deflated.length).isLessThan(jsonBytes / 5);
            // A row as schema 1 wrote it: JSON text, no deflated copy.
            h.execute("INSERT INTO snapshots (version, created_at, summary, document) VALUES (2, '2026-01-01T00:00:00Z', 'old', ?)",
                    io.switchyard.config.ConfigCodec.write(Config.EMPTY.withUpstreams(List.of(up("legacy")))));
        });
        assertThat(store.snapshot(1).orElseThrow().config()).isEqualTo(written);
        assertThat(store.snapshot(2).orElseThrow().config().upstreams()).extracting(Upstream::name).containsExactly("legacy");
    }

    @Test
    void theSummaryNamesWhatChanged() {
        ConfigStore store = new ConfigStore(Database.open(dir.resolve("s.db")));
        store.write(null, (v, c) -> c.withUpstreams(List.of(up("a"))));
        store.write("rollback to 1", (v, c) -> c.withUpstreams(List.of(up("a", "127.0.0.1:80"))));
        assertThat(store.history(Long.MAX_VALUE, 10)).extracting(ConfigStore.Entry::summary)
                .containsExactly("rollback to 1: changed upstream a (targets)", "added upstream a");
    }
}
