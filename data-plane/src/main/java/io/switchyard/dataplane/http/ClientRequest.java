package io.switchyard.dataplane.http;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;

/** A client's request head as {@link HeadGuardHandler} parsed it: its fields are {@link RequestFields}. Internal. */
final class ClientRequest extends DefaultHttpRequest {
    private final RequestFields fields;

    ClientRequest(HttpVersion version, HttpMethod method, String uri, RequestFields fields) {
        super(version, method, uri, fields);
        this.fields = fields;
    }

    @Override
    public RequestFields headers() {
        return fields;
    }
}
