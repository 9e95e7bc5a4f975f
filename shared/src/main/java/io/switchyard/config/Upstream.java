package io.switchyard.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A named group of targets and how to balance over them. {@code tls} makes the proxy speak
 * https/wss to the targets, verifying them ({@code verify}, default true) against {@code caPem}
 * (or the JDK's trust store when absent) with {@code sni} as the server name when given.
 *
 * <p>Health: {@code health} (optional; passive checks with nginx's defaults when absent, see {@link Health}),
 * {@code onUnhealthy} ({@code keep}, the default: tunnels on a target that turns unhealthy stay; {@code drain}: they
 * are closed with 1001 paced over {@code drainMs}), {@code panic} (default false: when every target is unhealthy new
 * work gets 503; true: it goes to the least recently failed target) and {@code drainMs} (default
 * {@value #DEFAULT_DRAIN_MS}: the time over which the tunnels of a draining or unhealthy target are closed). Fields at
 * their defaults are left out of the JSON, so documents written before they existed print as before.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Upstream(String name, Balance balance, List<Target> targets,
                       Boolean tls, String sni, Boolean verify, String caPem,
                       Health health,
                       @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = KeepDefault.class) OnUnhealthy onUnhealthy,
                       @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = FalseDefault.class) Boolean panic,
                       @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = DrainDefault.class) Long drainMs) {
    public static final long DEFAULT_DRAIN_MS = 30_000;

    /** What happens to the tunnels of a target that turns unhealthy. */
    public enum OnUnhealthy {
        KEEP("keep"), DRAIN("drain");

        private final String wire;

        OnUnhealthy(String wire) {
            this.wire = wire;
        }

        @JsonValue
        public String wire() {
            return wire;
        }

        @JsonCreator
        public static OnUnhealthy fromWire(String s) {
            for (OnUnhealthy o : values()) if (o.wire.equals(s)) return o;
            throw new ConfigException("", Checks.quote(s) + " (expected: keep or drain)");
        }
    }

    public Upstream {
        if (balance == null) balance = Balance.DEFAULT;
        targets = targets == null ? List.of() : List.copyOf(targets);
        if (tls == null) tls = false;
        if (verify == null) verify = true;
        if (onUnhealthy == null) onUnhealthy = OnUnhealthy.KEEP;
        if (panic == null) panic = false;
        if (drainMs == null) drainMs = DEFAULT_DRAIN_MS;
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
        c.check(drainMs >= 0 && drainMs <= Timeouts.MAX_MS, "drain_ms", drainMs + " (expected: >= 0 and <= " + Timeouts.MAX_MS + ")");
        c.throwIfAny();
    }

    /** An upstream without health settings (passive checks with their defaults). */
    public Upstream(String name, Balance balance, List<Target> targets,
                    Boolean tls, String sni, Boolean verify, String caPem) {
        this(name, balance, targets, tls, sni, verify, caPem, null, null, null, null);
    }

    public Upstream(String name, Balance balance, List<Target> targets) {
        this(name, balance, targets, false, null, true, null);
    }

    public Upstream withTargets(List<Target> newTargets) {
        return new Upstream(name, balance, newTargets, tls, sni, verify, caPem, health, onUnhealthy, panic, drainMs);
    }

    /**
     * @param newHealth   null for none (passive checks with their defaults)
     * @param newOnUnhealthy null for keep
     * @param newPanic    null for false
     * @param newDrainMs  null for the default
     */
    public Upstream withHealth(Health newHealth, OnUnhealthy newOnUnhealthy, Boolean newPanic, Long newDrainMs) {
        return new Upstream(name, balance, targets, tls, sni, verify, caPem, newHealth, newOnUnhealthy, newPanic, newDrainMs);
    }

    /** The passive check settings in force: {@code health.passive}, or nginx's defaults. */
    public Health.Passive passive() {
        return health == null ? Health.Passive.DEFAULTS : health.passive();
    }

    /** The active check settings, or null when targets are not probed. */
    public Health.Active active() {
        return health == null ? null : health.active();
    }

    /** Value filter for the codec: {@code keep} (the default) is left out of the JSON. */
    static final class KeepDefault {
        @Override
        public boolean equals(Object o) {
            return o == null || o == OnUnhealthy.KEEP;
        }

        @Override
        public int hashCode() {
            return 0;
        }
    }

    /** Value filter for the codec: false (the default) is left out of the JSON. */
    static final class FalseDefault {
        @Override
        public boolean equals(Object o) {
            return o == null || Boolean.FALSE.equals(o);
        }

        @Override
        public int hashCode() {
            return 0;
        }
    }

    /** Value filter for the codec: the default drain time is left out of the JSON. */
    static final class DrainDefault {
        @Override
        public boolean equals(Object o) {
            return o == null || o.equals(DEFAULT_DRAIN_MS);
        }

        @Override
        public int hashCode() {
            return 0;
        }
    }
}
