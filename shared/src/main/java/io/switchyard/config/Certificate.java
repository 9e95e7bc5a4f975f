package io.switchyard.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A certificate chain and its private key, served for {@code snis} (exact or {@code *.} wildcard).
 * {@code isDefault} (JSON {@code default}) answers clients without SNI or with an unknown name.
 * {@code keyPem} is null in redacted documents (anything an API returns); deep checks (the key
 * matches, not expired) belong to whoever accepts the certificate, since they need a crypto library.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Certificate(String name, List<String> snis, String certPem, String keyPem,
                          @JsonProperty("default") Boolean isDefault) {
    public Certificate {
        Checks c = new Checks();
        c.check(Checks.isName(name), "name", Checks.quote(name) + " " + Checks.NAME_RULE);
        List<String> normalized = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        if (snis != null) {
            for (int i = 0; i < snis.size(); i++) {
                String s = snis.get(i);
                if (!Route.isHostPattern(s)) {
                    c.check(false, "snis[" + i + "]", Checks.quote(s) + " (expected: a host name or *.domain)");
                    continue;
                }
                String lower = s.toLowerCase(Locale.ROOT);
                c.check(seen.add(lower), "snis[" + i + "]", Checks.quote(s) + " (duplicate name)");
                normalized.add(lower);
            }
        }
        snis = List.copyOf(normalized);
        c.check(certPem != null && certPem.contains("-----BEGIN CERTIFICATE-----"), "cert_pem",
                "(expected: a PEM certificate chain, -----BEGIN CERTIFICATE-----)");
        c.check(keyPem == null || keyPem.contains("PRIVATE KEY-----"), "key_pem",
                "(expected: a PEM private key, -----BEGIN ... PRIVATE KEY-----)");
        if (isDefault == null) isDefault = false;
        c.throwIfAny();
    }

    /** This certificate without its private key, for anything shown outside the process. */
    public Certificate redacted() {
        return keyPem == null ? this : new Certificate(name, snis, certPem, null, isDefault);
    }

    public Certificate withKey(String key) {
        return new Certificate(name, snis, certPem, key, isDefault);
    }
}
