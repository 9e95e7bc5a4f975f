package io.switchyard.dataplane.upstream;

import io.switchyard.dataplane.channel.IoTimeoutHandler;
import io.netty.handler.codec.http.HttpObject;

/** What an upstream connection reports to the exchange using it. Called on the event loop. Internal. */
public interface UpstreamListener {
    /** A decoded response object; the callee owns (releases) it. */
    void onResponse(HttpObject msg);

    /** The end of one read from the upstream: time to flush what was relayed. */
    void onUpstreamReadComplete();

    /** The connection closed or failed; {@code cause} is null for an orderly close. */
    void onUpstreamClosed(Throwable cause);

    void onUpstreamTimeout(IoTimeoutHandler.IoTimeout which);
}
