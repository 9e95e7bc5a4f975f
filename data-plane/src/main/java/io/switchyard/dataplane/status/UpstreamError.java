package io.switchyard.dataplane.status;

import io.switchyard.dataplane.channel.IoTimeoutHandler;

/** How talking to a target failed; the wire names are the {@code kind} label of {@code switchyard_upstream_errors_total}. */
public enum UpstreamError {
    CONNECT_FAILED("connect_failed"),
    CONNECT_TIMEOUT("connect_timeout"),
    READ_TIMEOUT("read_timeout"),
    SEND_TIMEOUT("send_timeout"),
    RESET("reset"),
    BAD_HANDSHAKE("bad_handshake"),
    BAD_RESPONSE("bad_response");

    private final String wire;

    UpstreamError(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    /** The error a channel's expired limit means. */
    public static UpstreamError of(IoTimeoutHandler.IoTimeout which) {
        return which == IoTimeoutHandler.IoTimeout.READ ? READ_TIMEOUT : SEND_TIMEOUT;
    }
}
