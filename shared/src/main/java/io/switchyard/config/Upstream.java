package io.switchyard.config;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A named group of targets and how to balance over them. {@code tls} makes the proxy speak
 * https/wss to the targets, verifying them ({@code verify}, default true) against {@code caPem}
 * (or the JDK's trust store when absent) with {@code sni} as the server name when given.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Upstream(String name, Balance balance, List<Target> targets,
                       Boolean tls, String sni, Boolean verify, String caPem) {
    public Upstream {
        if (balance == null) balance = Balance.DEFAULT;
        targets = targets == null ? List.of() : List.copyOf(targets);
        if (tls == null) tls = false;
        if (verify == null) verify = true;
        Checks c = new Checks();
        if (!Checks.isName(name)) c.check(false, "name", Checks.quote(name) + " " + Checks.NAME_RULE);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < targets.size(); i++) {
            Target t = targets.get(i);
            c.check(t != null, "targets[" + i + "]", "null (expected: a target)");
            if (t != null && !seen.add(t.address()))
                c.check(false, "targets[" + i + "].address", Checks.quote(t.address()) + " (duplicate target)");
        }
        c.check(sni == null || sni.matches("[A-Za-z0-9.-]{1,253}"), "sni", Checks.quote(sni) + " (expected: a host name)");
        c.check(caPem == null || caPem.contains("-----BEGIN CERTIFICATE-----"), "ca_pem", "(expected: PEM certificates)");
        c.check(tls || (sni == null && caPem == null), "tls", "false (sni and ca_pem need tls: true)");
        c.throwIfAny();
    }

    public Upstream(String name, Balance balance, List<Target> targets) {
        this(name, balance, targets, false, null, true, null);
    }

    public Upstream withTargets(List<Target> newTargets) {
        return new Upstream(name, balance, newTargets, tls, sni, verify, caPem);
    }
}
