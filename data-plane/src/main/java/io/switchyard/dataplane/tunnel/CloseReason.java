package io.switchyard.dataplane.tunnel;

/** Why a tunnel ended; the wire names are the {@code reason} label on /metrics. */
public enum CloseReason {
    CLIENT_CLOSED("client_closed"),
    UPSTREAM_CLOSED("upstream_closed"),
    IDLE_TIMEOUT("idle_timeout"),
    DRAINED("drained"),
    SHUTDOWN("shutdown");

    private final String wire;

    CloseReason(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }
}
