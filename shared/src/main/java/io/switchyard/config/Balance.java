package io.switchyard.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How an upstream spreads new connections over its targets. */
public enum Balance {
    /** Smooth weighted round robin, as nginx does it. */
    ROUND_ROBIN("round_robin"),
    /** Fewest active connections (weighted); the default, since tunnels are long-lived. */
    LEAST_CONN("least_conn"),
    /** Hash of the client address: a client keeps its target while the target set is unchanged. */
    IP_HASH("ip_hash");

    public static final Balance DEFAULT = LEAST_CONN;

    private final String wire;

    Balance(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wire() {
        return wire;
    }

    @JsonCreator
    public static Balance fromWire(String s) {
        for (Balance b : values()) if (b.wire.equals(s)) return b;
        throw new ConfigException("", quote(s) + " (expected: one of round_robin, least_conn, ip_hash)");
    }

    private static String quote(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }
}
