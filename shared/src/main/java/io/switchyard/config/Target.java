package io.switchyard.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * One backend server of an upstream: {@code host:port} (IPv6 as {@code [::1]:8080}), a weight, and the operator's
 * {@code state}: {@code active} (the default, left out of the JSON), {@code draining} (no new work; its tunnels are
 * closed with 1001, paced over the upstream's {@code drain_ms}) or {@code disabled} (no new work; tunnels left alone).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Target(String address, Integer weight,
                     @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = ActiveState.class) State state) {
    public static final int MAX_WEIGHT = 1000;

    /** What the operator wants of a target. */
    public enum State {
        ACTIVE("active"), DRAINING("draining"), DISABLED("disabled");

        private final String wire;

        State(String wire) {
            this.wire = wire;
        }

        @JsonValue
        public String wire() {
            return wire;
        }

        @JsonCreator
        public static State fromWire(String s) {
            for (State st : values()) if (st.wire.equals(s)) return st;
            throw new ConfigException("", Checks.quote(s) + " (expected: one of active, draining, disabled)");
        }
    }

    public Target {
        if (weight == null) weight = 1;
        if (state == null) state = State.ACTIVE;
        Checks c = new Checks();
        if (weight <= 0 || weight > MAX_WEIGHT) c.check(false, "weight", weight + " (expected: > 0 and <= " + MAX_WEIGHT + ")");
        try {
            HostPort.parse(address);
        } catch (IllegalArgumentException e) {
            c.check(false, "address", e.getMessage());
        }
        c.throwIfAny();
    }

    /** An {@code active} target. */
    public Target(String address, Integer weight) {
        this(address, weight, null);
    }

    public Target(String address) {
        this(address, 1, null);
    }

    public Target withState(State newState) {
        return new Target(address, weight, newState);
    }

    /** The parsed address; cheap, but callers on a hot path should keep the result. */
    public HostPort hostPort() {
        return HostPort.parse(address);
    }

    /** Value filter for the codec: {@code active} (the default) is left out of the JSON. */
    static final class ActiveState {
        @Override
        public boolean equals(Object o) {
            return o == null || o == State.ACTIVE;
        }

        @Override
        public int hashCode() {
            return 0;
        }
    }
}
