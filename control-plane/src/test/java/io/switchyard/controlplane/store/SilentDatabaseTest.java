package io.switchyard.controlplane.store;

import io.switchyard.controlplane.ControlPlane;
import io.switchyard.controlplane.ControlPlaneSettings;
import io.switchyard.controlplane.testing.TestStore;
import io.switchyard.testkit.AdminClient;
import io.switchyard.testkit.PostgresServer;
import io.switchyard.testkit.SilentRelay;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two control planes on one PostgreSQL database, one of them reaching it over a path that goes silent (no FIN, no
 * reset) while it holds the write lock: the other's writes wait only until the server ends the silent session, and
 * the silent one's request ends with a 503 instead of hanging for as long as TCP takes to give up.
 */
class SilentDatabaseTest {

    @Test
    void aControlPlaneWhoseDatabaseGoesSilentHoldingTheWriteLockHoldsTheOthersUpOnlyForTheIdleLimit() throws Exception {
        PostgresServer.Database db = PostgresServer.shared().createDatabase();
        StoreLocation.Postgres direct = TestStore.postgres(db);
        try (SilentRelay path = new SilentRelay(new InetSocketAddress(db.host(), db.port()))) {
            // Shorter limits than the shipped 30 s, through URL parameters as an operator would give them.
            StoreLocation.Postgres overPath = new StoreLocation.Postgres("127.0.0.1", path.port(), db.database(), db.user(),
                    db.password(), Map.of("socketTimeout", "4", "options", "-c idle_in_transaction_session_timeout=2000"));
            try (ControlPlane a = ControlPlane.start(settings(overPath)); ControlPlane b = ControlPlane.start(settings(direct))) {
                AdminClient apiA = AdminClient.at(a.adminAddress());
                AdminClient apiB = AdminClient.at(b.adminAddress());
                long first = apiA.post("/api/v1/upstreams", "{\"name\":\"first\"}").version();

                // The path goes silent right after A's write took the lock: PostgreSQL granted it, the answer never arrives.
                path.goSilentAfter("pg_advisory_xact_lock");
                CompletableFuture<AdminClient.Response> onA =
                        CompletableFuture.supplyAsync(() -> apiA.post("/api/v1/upstreams", "{\"name\":\"lost\"}"));
                assertThat(path.awaitSilent(10)).as("A's write reached the lock").isTrue();

                long start = System.nanoTime();
                AdminClient.Response onB = apiB.post("/api/v1/upstreams", "{\"name\":\"after\"}");
                long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertThat(onB.status()).as(onB.toString()).isEqualTo(201);
                assertThat(waitedMs).as("B's write waited for the lock of A's silent session, until the server ended it")
                        .isBetween(1_000L, 15_000L);
                assertThat(onB.version()).as("A's write never committed").isEqualTo(first + 1);

                AdminClient.Response lost = onA.get(20, TimeUnit.SECONDS);
                assertThat(lost.status()).as(lost.toString()).isEqualTo(503);
                assertThat(lost.raw().headers().firstValue("Content-Type")).hasValueSatisfying(
                        t -> assertThat(t).startsWith("application/problem+json"));
                assertThat(lost.raw().body()).contains("urn:switchyard:problem:database-unavailable");
                assertThat(lost.header("Retry-After")).isEqualTo("1");
            }
        }
    }

    @Test
    void readyNeedsNoTokenAndTurnsUnavailableWithinSecondsWhenTheDatabaseGoesSilent() throws Exception {
        PostgresServer.Database db = PostgresServer.shared().createDatabase();
        try (SilentRelay path = new SilentRelay(new InetSocketAddress(db.host(), db.port()));
             ControlPlane cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0),
                     new StoreLocation.Postgres("127.0.0.1", path.port(), db.database(), db.user(), db.password(), Map.of()),
                     "admin-secret", null))) {
            AdminClient anyone = AdminClient.at(cp.adminAddress());
            long v = anyone.withToken("admin-secret").post("/api/v1/upstreams", "{\"name\":\"u\"}").version();
            assertThat(anyone.get("/api/v1/upstreams").status()).as("the API itself still needs the token").isEqualTo(401);
            AdminClient.Response ready = anyone.get("/ready");
            assertThat(ready.status()).as(ready.toString()).isEqualTo(200);
            assertThat(ready.json().get("status").asText()).isEqualTo("ready");
            assertThat(ready.json().get("database").asText()).isEqualTo("postgresql");
            assertThat(ready.json().get("version").asLong()).isEqualTo(v);

            path.goSilent();
            long start = System.nanoTime();
            AdminClient.Response silent = anyone.get("/ready");
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(silent.status()).as(silent.toString()).isEqualTo(503);
            assertThat(silent.body()).contains("urn:switchyard:problem:database-unavailable", "postgresql");
            assertThat(silent.header("Retry-After")).isEqualTo("1");
            assertThat(tookMs).as("the check waits 2 s for the database, not the 30 s a request may").isLessThan(8_000L);
        }
    }

    @Test
    void everyPooledConnectionCarriesTheLimitsAndTheDatabaseUrlMayChangeThem() throws Exception {
        PostgresServer.Database db = PostgresServer.shared().createDatabase();
        try (Database shipped = Database.open(TestStore.postgres(db))) {
            assertThat(limits(shipped)).isEqualTo("30000 ms, 30s");
        }
        StoreLocation.Postgres tuned = new StoreLocation.Postgres(db.host(), db.port(), db.database(), db.user(), db.password(),
                Map.of("socketTimeout", "60", "options", "-c idle_in_transaction_session_timeout=60000"));
        try (Database own = Database.open(tuned)) {
            assertThat(limits(own)).isEqualTo("60000 ms, 1min");
        }
    }

    /** The read limit of a pooled connection and the server's idle-in-transaction limit for its session. */
    private static String limits(Database d) throws java.sql.SQLException {
        try (org.jdbi.v3.core.Handle h = d.jdbi().open()) {
            return h.getConnection().getNetworkTimeout() + " ms, "
                    + h.createQuery("SHOW idle_in_transaction_session_timeout").mapTo(String.class).one();
        }
    }

    private static ControlPlaneSettings settings(StoreLocation location) {
        return new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), location, null, null);
    }
}
