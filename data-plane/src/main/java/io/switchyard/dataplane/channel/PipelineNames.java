package io.switchyard.dataplane.channel;

/**
 * Names of the handlers in client and upstream pipelines, in one place: the initializers add them under these
 * names and the tunnel switch removes exactly the HTTP parts by them. Constants only.
 */
public final class PipelineNames {
    /**
     * Client side: {@code [ssl] timeout guard codec proxy} (the guard decodes requests, the codec encodes answers),
     * then {@code [ssl] timeout tunnel}.
     */
    public static final String SSL = "ssl";
    public static final String GUARD = "head-guard";
    public static final String TIMEOUT = "timeout";
    public static final String CODEC = "http-codec";
    public static final String PROXY = "proxy";
    /** Upstream side: {@code [upstream-ssl] upstream-timeout upstream-encoder upstream-codec upstream-handler}. */
    public static final String UPSTREAM_SSL = "upstream-ssl";
    public static final String UPSTREAM_TIMEOUT = "upstream-timeout";
    public static final String UPSTREAM_ENCODER = "upstream-encoder";
    public static final String UPSTREAM_CODEC = "upstream-codec";
    public static final String UPSTREAM_HANDLER = "upstream-handler";
    /** Either side of an established tunnel. */
    public static final String TUNNEL = "tunnel";

    private PipelineNames() {
    }
}
