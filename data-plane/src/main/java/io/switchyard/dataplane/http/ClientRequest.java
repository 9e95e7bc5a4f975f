package io.switchyard.dataplane.http;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;

/**
 * A client's request head as {@link HeadGuardHandler} parsed it: its fields ({@link RequestFields}) and the framing and
 * persistence that parse settled on, so that nothing downstream reads them from the fields a second time. Internal.
 */
final class ClientRequest extends DefaultHttpRequest {
    private final RequestFields fields;
    private final long contentLength;
    private final boolean chunked;
    private final boolean keepAlive;

    /**
     * @param contentLength the one {@code Content-Length}, or -1 without one
     * @param chunked       {@code Transfer-Encoding: chunked} (never beside a {@code Content-Length})
     * @param keepAlive     whether the client keeps the connection after this exchange: no {@code close} token in
     *                      {@code Connection}, and HTTP/1.1 or a {@code keep-alive} token (RFC 9112 9.3)
     */
    ClientRequest(HttpVersion version, HttpMethod method, String uri, RequestFields fields, long contentLength,
                  boolean chunked, boolean keepAlive) {
        super(version, method, uri, fields);
        this.fields = fields;
        this.contentLength = contentLength;
        this.chunked = chunked;
        this.keepAlive = keepAlive;
    }

    @Override
    public RequestFields headers() {
        return fields;
    }

    long contentLength() {
        return contentLength;
    }

    boolean chunked() {
        return chunked;
    }

    /** Whether a body follows the head: chunked, or a Content-Length above 0. */
    boolean hasBody() {
        return chunked || contentLength > 0;
    }

    boolean keepAlive() {
        return keepAlive;
    }
}
