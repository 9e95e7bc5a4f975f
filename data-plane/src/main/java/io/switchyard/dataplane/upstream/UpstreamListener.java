package io.switchyard.dataplane.upstream;

import io.switchyard.dataplane.channel.IoTimeoutHandler;

/** What an upstream connection reports to the exchange using it. Called on the event loop. Internal. */
public interface UpstreamListener {
    /**
     * What the decoder made of the response: a {@link ResponseHead}, body contents ({@code HttpContent}, the last a
     * {@code LastHttpContent}) or {@link UpstreamResponseDecoder.Malformed}; the callee owns (releases) it.
     */
    void onResponse(Object msg);

    /** The end of one read from the upstream: time to flush what was relayed. */
    void onUpstreamReadComplete();

    /** The connection closed or failed; {@code cause} is null for an orderly close. */
    void onUpstreamClosed(Throwable cause);

    void onUpstreamTimeout(IoTimeoutHandler.IoTimeout which);
}
