package io.switchyard.controlplane.api;

import io.switchyard.config.Certificate;
import io.switchyard.config.ConfigException;
import io.switchyard.config.Violation;
import io.switchyard.controlplane.certificate.CertificateInspector;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** What the API makes of a certificate it is given, for the certificate endpoints and {@code PUT /config} alike. Stateless. */
final class Certificates {
    private Certificates() {
    }

    /**
     * The certificate as it will be stored: a missing key is taken from the stored certificate of
     * the same name when the chain is unchanged (so GET-edit-PUT works without re-sending secrets);
     * an empty SNI list becomes the certificate's DNS names; anything new or changed must parse,
     * be unexpired and have a matching key. Field paths in errors are under {@code prefix}.
     */
    static Certificate accept(Certificate incoming, Certificate stored, Instant now, String prefix) {
        Certificate c = incoming;
        if (c.keyPem() == null) {
            if (stored == null || !stored.certPem().equals(c.certPem()))
                throw ApiException.invalid(List.of(new Violation("key_pem", "missing (expected: a PEM private key; it may be left out "
                        + "only to keep the stored key when cert_pem is unchanged)").under(prefix)));
            c = c.withKey(stored.keyPem());
        }
        CertificateInspector.Details d;
        try {
            d = CertificateInspector.describe(c.certPem());
            if (c.snis().isEmpty() && !d.dnsNames().isEmpty()) c = withSnis(c, d.dnsNames());
            if (stored != null && c.equals(stored)) return stored; // unchanged: no re-check (an old expiry must not block other edits)
            // Stored and pushed as PKCS#8 whatever the encoding sent: nodes read one form only.
            c = c.withKey(CertificateInspector.check(c, now).pkcs8KeyPem());
        } catch (ConfigException e) {
            throw ApiException.invalid(e.under(prefix));
        }
        return c;
    }

    private static Certificate withSnis(Certificate c, List<String> names) {
        List<String> ok = new ArrayList<>();
        for (String n : names) {
            try {
                new Certificate(c.name(), List.of(n), c.certPem(), null, false);
                if (!ok.contains(n)) ok.add(n);
            } catch (ConfigException ignored) {
                // Not a host pattern the router understands (e.g. an IP SAN written as DNS); leave it out.
            }
        }
        return new Certificate(c.name(), ok, c.certPem(), c.keyPem(), c.isDefault());
    }
}
