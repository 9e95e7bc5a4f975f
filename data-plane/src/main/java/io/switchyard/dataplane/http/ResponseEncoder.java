package io.switchyard.dataplane.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;

import java.util.ArrayDeque;

/**
 * Encodes the answers on a client connection. The {@link HeadGuardHandler} decodes the requests, so it tells this
 * encoder each request's method as it passes one on ({@link #requestDecoded}); the encoder takes them in order, one per
 * response head, and knows a response to {@code HEAD} has no body whatever its framing headers say (and a 2xx to
 * {@code CONNECT} no Transfer-Encoding), as the server codec of the HTTP library does. Event-loop confined. Internal.
 */
public final class ResponseEncoder extends HttpResponseEncoder {
    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);
    private HttpMethod method;

    /** A request with {@code m} was passed on; its response is the next one not yet matched. */
    void requestDecoded(HttpMethod m) {
        methods.add(m);
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpResponse msg) {
        method = methods.poll();
        return HttpMethod.HEAD.equals(method) || super.isContentAlwaysEmpty(msg);
    }

    @Override
    protected void sanitizeHeadersBeforeEncode(HttpResponse msg, boolean isAlwaysEmpty) {
        if (!isAlwaysEmpty && HttpMethod.CONNECT.equals(method) && msg.status().codeClass() == HttpStatusClass.SUCCESS) {
            msg.headers().remove(HttpHeaderNames.TRANSFER_ENCODING); // RFC 9112 6.1
            return;
        }
        super.sanitizeHeadersBeforeEncode(msg, isAlwaysEmpty);
    }
}
