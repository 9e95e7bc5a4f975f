package io.switchyard.config;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * nginx-style timeouts in milliseconds. {@code connectMs} bounds the TCP connect to a target;
 * {@code readMs}/{@code sendMs} are the longest gap between two successive reads / writes
 * (nginx's {@code proxy_read_timeout}/{@code proxy_send_timeout}), which on an established tunnel
 * are its idle limits. On a route, a null field inherits the global value.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Timeouts(Long connectMs, Long readMs, Long sendMs) {
    public static final long DEFAULT_CONNECT_MS = 5_000;
    public static final long DEFAULT_READ_MS = 60_000;
    public static final long DEFAULT_SEND_MS = 60_000;
    /** Upper bound that keeps timers sane: 7 days. */
    public static final long MAX_MS = 7L * 24 * 3600 * 1000;

    public static final Timeouts DEFAULTS = new Timeouts(DEFAULT_CONNECT_MS, DEFAULT_READ_MS, DEFAULT_SEND_MS);
    public static final Timeouts INHERIT = new Timeouts(null, null, null);

    public Timeouts {
        Checks c = new Checks();
        check(c, "connect_ms", connectMs);
        check(c, "read_ms", readMs);
        check(c, "send_ms", sendMs);
        c.throwIfAny();
    }

    private static void check(Checks c, String field, Long v) {
        if (v != null && (v <= 0 || v > MAX_MS)) c.check(false, field, v + " (expected: > 0 and <= " + MAX_MS + ")");
    }

    /** These timeouts with every null field taken from {@code base}. */
    public Timeouts over(Timeouts base) {
        if (base == null) return this;
        return new Timeouts(
                connectMs != null ? connectMs : base.connectMs,
                readMs != null ? readMs : base.readMs,
                sendMs != null ? sendMs : base.sendMs);
    }

    /** Global timeouts: every missing field set to its default. */
    public Timeouts withDefaults() {
        return over(DEFAULTS);
    }
}
