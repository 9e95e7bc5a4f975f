package io.switchyard.controlplane.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.switchyard.config.Certificate;
import io.switchyard.controlplane.certificate.CertificateInspector;

import java.time.Instant;
import java.util.List;

/**
 * A certificate as the API shows it: the public chain and what was read from it, never the key.
 * {@code daysUntilExpiry} is computed at the time of the request (negative once expired).
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record CertificateView(String name, List<String> snis, @JsonProperty("default") boolean isDefault,
                              String subject, String issuer, String notBefore, String notAfter, long daysUntilExpiry,
                              String fingerprintSha256, int chainLength, String certPem) {
    static CertificateView of(Certificate c, Instant now) {
        CertificateInspector.Details d = CertificateInspector.describe(c.certPem());
        return new CertificateView(c.name(), c.snis(), c.isDefault(), d.subject(), d.issuer(), d.notBefore().toString(),
                d.notAfter().toString(), d.daysUntilExpiry(now), d.fingerprintSha256(), d.chainLength(), c.certPem());
    }
}
