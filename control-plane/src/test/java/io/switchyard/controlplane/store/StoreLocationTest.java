package io.switchyard.controlplane.store;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StoreLocationTest {
    @Test
    void aPlainPathMeansSqlite() {
        assertThat(StoreLocation.parse("./switchyard.db", null)).isEqualTo(new StoreLocation.Sqlite(Path.of("./switchyard.db")));
    }

    @Test
    void aPostgresqlUrlNamesHostPortDatabaseAndUserAndTakesThePasswordFromOutside() {
        StoreLocation.Postgres p = (StoreLocation.Postgres) StoreLocation.parse("postgresql://db.internal:6543/switchyard?user=cp&sslmode=require", "s3cret");
        assertThat(p.host()).isEqualTo("db.internal");
        assertThat(p.port()).isEqualTo(6543);
        assertThat(p.database()).isEqualTo("switchyard");
        assertThat(p.user()).isEqualTo("cp");
        assertThat(p.password()).isEqualTo("s3cret");
        assertThat(p.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:6543/switchyard?sslmode=require");
        assertThat(p.toString()).doesNotContain("s3cret");
        assertThat(((StoreLocation.Postgres) StoreLocation.parse("postgres://h/d?user=u", null)).port()).isEqualTo(5432);
    }

    @Test
    void aPasswordInTheUrlOrAMissingUserOrDatabaseIsRefusedByName() {
        assertThatThrownBy(() -> StoreLocation.parse("postgresql://h:5432/d?user=u&password=x", null))
                .hasMessageContaining("SWITCHYARD_DB_PASSWORD");
        assertThatThrownBy(() -> StoreLocation.parse("postgresql://u:x@h:5432/d", null)).hasMessageStartingWith("db: ");
        assertThatThrownBy(() -> StoreLocation.parse("postgresql://h:5432/d", null)).hasMessageContaining("no user");
        assertThatThrownBy(() -> StoreLocation.parse("postgresql://h:5432/?user=u", null)).hasMessageContaining("no database");
    }
}
