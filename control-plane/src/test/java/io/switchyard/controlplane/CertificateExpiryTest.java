package io.switchyard.controlplane;

import io.switchyard.testkit.TestCerts;
import io.switchyard.testkit.AdminClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static io.switchyard.testkit.AdminClient.q;
import static org.assertj.core.api.Assertions.assertThat;

/** Expiry as time passes, with a clock the test moves (no waiting). */
class CertificateExpiryTest {
    @TempDir
    Path dir;

    /** A clock that stands still until moved. */
    static final class MovableClock extends Clock {
        volatile Instant now = Instant.now();

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void daysUntilExpiryFollowsTheClockAndRollingBackToAnExpiredCertificateIs422() {
        MovableClock clock = new MovableClock();
        try (ControlPlane cp = ControlPlane.start(new ControlPlaneSettings(new InetSocketAddress("127.0.0.1", 0), dir.resolve("cp.db"), null, null), clock)) {
            AdminClient api = AdminClient.at(cp.adminAddress());
            TestCerts.Pem rsa = TestCerts.rsa(); // valid for 90 days from its creation
            assertThat(api.post("/api/v1/certificates", "{\"name\":\"site\",\"cert_pem\":" + q(rsa.certPem()) + ",\"key_pem\":" + q(rsa.keyPem()) + "}").status()).isEqualTo(201);
            long days = api.get("/api/v1/certificates/site").json().get("days_until_expiry").asLong();
            assertThat(api.delete("/api/v1/certificates/site").status()).isEqualTo(204);

            clock.now = clock.now.plus(Duration.ofDays(30));
            assertThat(api.post("/api/v1/certificates", "{\"name\":\"site\",\"cert_pem\":" + q(rsa.certPem()) + ",\"key_pem\":" + q(rsa.keyPem()) + "}")
                    .json().get("days_until_expiry").asLong()).isEqualTo(days - 30);
            assertThat(api.delete("/api/v1/certificates/site").version()).isEqualTo(4);

            clock.now = clock.now.plus(Duration.ofDays(100));
            AdminClient.Response rollback = api.post("/api/v1/snapshots/1/rollback", "");
            assertThat(rollback.status()).isEqualTo(422);
            assertThat(rollback.header("Content-Type")).startsWith("application/problem+json");
            assertThat(rollback.errorFields()).containsExactly("certificates[0].cert_pem");
            assertThat(rollback.json().get("errors").get(0).get("message").asText()).contains("expired");
            assertThat(api.get("/api/v1/snapshots/current").json().get("version").asLong()).isEqualTo(4);

            AdminClient.Response late = api.post("/api/v1/certificates", "{\"name\":\"site\",\"cert_pem\":" + q(rsa.certPem()) + ",\"key_pem\":" + q(rsa.keyPem()) + "}");
            assertThat(late.status()).isEqualTo(400);
            assertThat(late.errorFields()).containsExactly("cert_pem");
        }
    }
}
