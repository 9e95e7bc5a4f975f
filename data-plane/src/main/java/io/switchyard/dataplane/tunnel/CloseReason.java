package io.switchyard.dataplane.tunnel;

/** Why a tunnel ended; the wire names are the {@code reason} label on /metrics. */
public enum CloseReason {
    CLIENT_CLOSED("client_closed"),
    UPSTREAM_CLOSED("upstream_closed"),
    IDLE_TIMEOUT("idle_timeout"),
    /** The tunnel's target left the table and its route says {@code on_target_removed: drain}. */
    DRAINED("drained"),
    SHUTDOWN("shutdown"),
    /** The operator set the tunnel's target {@code draining}. */
    TARGET_DRAINING("target_draining"),
    /** The tunnel's target turned unhealthy and its upstream says {@code on_unhealthy: drain}. */
    TARGET_UNHEALTHY("target_unhealthy"),
    /** An operator closed it through the admin API ({@code DELETE /api/v1/tunnels/{id}} or a set by route, target or node). */
    CLOSED_BY_OPERATOR("closed_by_operator");

    private final String wire;

    CloseReason(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }
}
