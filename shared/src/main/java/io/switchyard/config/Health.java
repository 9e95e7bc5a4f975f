package io.switchyard.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.List;

/**
 * How a node decides whether the targets of one upstream are healthy. {@code active} (optional) probes each target on
 * a timer; {@code passive} counts failures of real traffic (a failed or timed-out connect, a refused or failed
 * WebSocket handshake). Passive checks run even when an upstream has no {@code health}, with {@link Passive#DEFAULTS}
 * (nginx's {@code max_fails=1 fail_timeout=10s}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Health(Active active, Passive passive) {
    public Health {
        if (passive == null) passive = Passive.DEFAULTS;
    }

    /** What a probe does: a TCP connect, an HTTP GET, or a WebSocket handshake closed with 1000. */
    public enum ProbeType {
        HTTP("http"), WEBSOCKET("websocket"), TCP("tcp");

        private final String wire;

        ProbeType(String wire) {
            this.wire = wire;
        }

        @JsonValue
        public String wire() {
            return wire;
        }

        @JsonCreator
        public static ProbeType fromWire(String s) {
            for (ProbeType t : values()) if (t.wire.equals(s)) return t;
            throw new ConfigException("", Checks.quote(s) + " (expected: one of http, websocket, tcp)");
        }
    }

    /**
     * Probes every {@code intervalMs} (jittered), each given {@code timeoutMs}; {@code unhealthyThreshold} failures in
     * a row make a target unhealthy, {@code healthyThreshold} successes in a row healthy again. An {@code http} probe
     * is a GET of {@code path} answered with one of {@code expectStatus}; a {@code websocket} probe a handshake on
     * {@code path} answered 101 with the right {@code Sec-WebSocket-Accept}, then closed with 1000.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Active(ProbeType type, String path, Long intervalMs, Long timeoutMs, Integer healthyThreshold,
                         Integer unhealthyThreshold, List<Integer> expectStatus) {
        public static final long DEFAULT_INTERVAL_MS = 2000;
        public static final long DEFAULT_TIMEOUT_MS = 1000;
        /** Probes closer together than this would be load, not checks. */
        public static final long MIN_INTERVAL_MS = 10;
        public static final int MAX_THRESHOLD = 100;

        public Active {
            if (type == null) type = ProbeType.HTTP;
            Checks c = new Checks();
            if (type == ProbeType.TCP) {
                c.check(path == null, "path", Checks.quote(path) + " (a tcp probe sends nothing; only with type http or websocket)");
            } else {
                if (path == null) path = "/";
                c.check(isProbePath(path), "path", Checks.quote(path) + " (expected: starts with /, no spaces or control characters)");
            }
            if (intervalMs == null) intervalMs = DEFAULT_INTERVAL_MS;
            c.check(intervalMs >= MIN_INTERVAL_MS && intervalMs <= Timeouts.MAX_MS, "interval_ms",
                    intervalMs + " (expected: >= " + MIN_INTERVAL_MS + " and <= " + Timeouts.MAX_MS + ")");
            if (timeoutMs == null) timeoutMs = DEFAULT_TIMEOUT_MS;
            c.check(timeoutMs > 0 && timeoutMs <= Timeouts.MAX_MS, "timeout_ms", timeoutMs + " (expected: > 0 and <= " + Timeouts.MAX_MS + ")");
            if (healthyThreshold == null) healthyThreshold = 2;
            c.check(healthyThreshold >= 1 && healthyThreshold <= MAX_THRESHOLD, "healthy_threshold",
                    healthyThreshold + " (expected: >= 1 and <= " + MAX_THRESHOLD + ")");
            if (unhealthyThreshold == null) unhealthyThreshold = 3;
            c.check(unhealthyThreshold >= 1 && unhealthyThreshold <= MAX_THRESHOLD, "unhealthy_threshold",
                    unhealthyThreshold + " (expected: >= 1 and <= " + MAX_THRESHOLD + ")");
            if (type == ProbeType.HTTP) {
                if (expectStatus == null || expectStatus.isEmpty()) expectStatus = List.of(200);
                for (int i = 0; i < expectStatus.size(); i++) {
                    Integer s = expectStatus.get(i);
                    c.check(s != null && s >= 200 && s <= 599, "expect_status[" + i + "]", s + " (expected: a status from 200 to 599)");
                }
                if (c.ok()) expectStatus = List.copyOf(expectStatus);
            } else {
                c.check(expectStatus == null, "expect_status", "(only with type http; a websocket probe expects 101, a tcp probe a connection)");
            }
            c.throwIfAny();
        }

        /** Whether an http probe's answer {@code status} counts as healthy. */
        public boolean expects(int status) {
            return expectStatus != null && expectStatus.contains(status);
        }

        private static boolean isProbePath(String p) {
            if (p.isEmpty() || p.charAt(0) != '/' || p.length() > 2048) return false;
            for (int i = 0; i < p.length(); i++) {
                char ch = p.charAt(i);
                if (ch <= 0x20 || ch >= 0x7f || ch == '#') return false;
            }
            return true;
        }
    }

    /**
     * {@code maxFails} failures of real traffic within {@code failTimeoutMs} take a target out of rotation for
     * {@code failTimeoutMs}, after which it is tried again; 0 turns passive checks off for the upstream.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Passive(Integer maxFails, Long failTimeoutMs) {
        public static final Passive DEFAULTS = new Passive(1, 10_000L);

        public Passive {
            if (maxFails == null) maxFails = 1;
            if (failTimeoutMs == null) failTimeoutMs = 10_000L;
            Checks c = new Checks();
            c.check(maxFails >= 0 && maxFails <= 1000, "max_fails", maxFails + " (expected: >= 0 and <= 1000; 0 turns passive checks off)");
            c.check(failTimeoutMs > 0 && failTimeoutMs <= Timeouts.MAX_MS, "fail_timeout_ms",
                    failTimeoutMs + " (expected: > 0 and <= " + Timeouts.MAX_MS + ")");
            c.throwIfAny();
        }
    }
}
