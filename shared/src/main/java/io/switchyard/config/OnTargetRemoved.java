package io.switchyard.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * What happens to a route's open tunnels when a later snapshot removes the target they were opened
 * with. {@code keep} (the default) leaves them alone; {@code drain} closes each with a WebSocket
 * close 1001, spread evenly over {@code grace_ms} so clients do not reconnect all at once.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OnTargetRemoved(Action action, Long graceMs) {
    public static final long DEFAULT_GRACE_MS = 30_000;
    public static final OnTargetRemoved KEEP = new OnTargetRemoved(Action.KEEP, null);

    public enum Action {
        KEEP("keep"), DRAIN("drain");

        private final String wire;

        Action(String wire) {
            this.wire = wire;
        }

        @JsonValue
        public String wire() {
            return wire;
        }

        @JsonCreator
        public static Action fromWire(String s) {
            for (Action a : values()) if (a.wire.equals(s)) return a;
            throw new ConfigException("", (s == null ? "null" : "\"" + s + "\"") + " (expected: keep or drain)");
        }
    }

    public OnTargetRemoved {
        if (action == null) action = Action.KEEP;
        if (action == Action.DRAIN && graceMs == null) graceMs = DEFAULT_GRACE_MS;
        Checks c = new Checks();
        c.check(graceMs == null || (graceMs >= 0 && graceMs <= Timeouts.MAX_MS), "grace_ms",
                graceMs + " (expected: >= 0 and <= " + Timeouts.MAX_MS + ")");
        c.check(action == Action.DRAIN || graceMs == null, "grace_ms", graceMs + " (only with action \"drain\")");
        c.throwIfAny();
    }

    public boolean drains() {
        return action == Action.DRAIN;
    }
}
