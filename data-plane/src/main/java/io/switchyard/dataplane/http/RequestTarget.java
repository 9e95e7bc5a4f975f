package io.switchyard.dataplane.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.switchyard.host.HostNames;
import io.switchyard.routing.BadPathException;
import io.switchyard.routing.RequestPaths;

import java.util.List;

/**
 * What a request asks for, read once and checked: the authority (absolute-form's, else the {@code Host}
 * header's, validated and normalized), the path routing and the upstream will both see (percent-decoded where
 * that is unambiguous, dot segments resolved, slashes merged; see {@link RequestPaths}) and the raw query. The
 * upstream always gets origin-form built from these, never the client's spelling. Immutable.
 *
 * @param authority null when the request named none (HTTP/1.0 without Host, or an empty Host)
 * @param rawPath   the path as sent (for a route that keeps repeated slashes)
 * @param path      the normalized path, slashes merged
 * @param query     the query without its '?', or null
 */
record RequestTarget(HostNames.Authority authority, String rawPath, String path, String query) {

    /** Why a request is refused before routing: status, one-line reason. */
    record Refusal(HttpResponseStatus status, String reason) {
    }

    /** The host name routing uses, or null. */
    String host() {
        return authority == null ? null : authority.host();
    }

    /** Origin-form for the upstream from {@code path} (a route's choice of merging) and the query. */
    String originForm(String upstreamPath) {
        return query == null ? upstreamPath : upstreamPath + "?" + query;
    }

    /** The path again without merging slashes, for a route with {@code merge_slashes: false}. */
    String unmergedPath() {
        return RequestPaths.normalize(rawPath, false);
    }

    /**
     * Reads {@code req}'s target and host; returns a {@link RequestTarget} or a {@link Refusal}. CONNECT and
     * asterisk-form are never forwarded (a reverse proxy has no tunnel to offer and no server-wide options).
     */
    static Object parse(HttpRequest req) {
        String uri = req.uri();
        HttpMethod method = req.method();
        if (HttpMethod.CONNECT.equals(method))
            return new Refusal(HttpResponseStatus.METHOD_NOT_ALLOWED, "CONNECT is not served here");
        if (uri.equals("*"))
            return new Refusal(HttpResponseStatus.BAD_REQUEST, "asterisk-form is not forwarded");
        List<String> hosts = req.headers().getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1) return new Refusal(HttpResponseStatus.BAD_REQUEST, "more than one Host header");
        HostNames.Authority authority = null;
        String pathAndQuery;
        if (uri.startsWith("/")) {
            pathAndQuery = uri;
            if (hosts.isEmpty()) {
                if (req.protocolVersion().equals(HttpVersion.HTTP_1_1))
                    return new Refusal(HttpResponseStatus.BAD_REQUEST, "missing Host header");
            } else if (!hosts.get(0).isEmpty()) {
                authority = HostNames.parseAuthority(hosts.get(0));
                if (authority == null) return new Refusal(HttpResponseStatus.BAD_REQUEST, "invalid Host header");
            }
        } else {
            // absolute-form (RFC 9112 3.2.2): its authority replaces Host, and is checked like it.
            int schemeEnd = uri.indexOf("://");
            String scheme = schemeEnd < 0 ? "" : uri.substring(0, schemeEnd);
            if (!scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https"))
                return new Refusal(HttpResponseStatus.BAD_REQUEST, "request target " + clip(uri) + " (expected: /path or http://host/path)");
            int start = schemeEnd + 3;
            int end = start;
            while (end < uri.length() && uri.charAt(end) != '/' && uri.charAt(end) != '?' && uri.charAt(end) != '#') end++;
            authority = HostNames.parseAuthority(uri.substring(start, end));
            if (authority == null) return new Refusal(HttpResponseStatus.BAD_REQUEST, "invalid authority in request target");
            String rest = uri.substring(end);
            pathAndQuery = rest.isEmpty() ? "/" : rest.charAt(0) == '?' ? "/" + rest : rest;
        }
        if (pathAndQuery.indexOf('#') >= 0) return new Refusal(HttpResponseStatus.BAD_REQUEST, "fragment in request target");
        int q = pathAndQuery.indexOf('?');
        String rawPath = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
        String query = q < 0 ? null : pathAndQuery.substring(q + 1);
        String path;
        try {
            path = RequestPaths.normalize(rawPath, true);
        } catch (BadPathException e) {
            return new Refusal(HttpResponseStatus.BAD_REQUEST, e.reason());
        }
        return new RequestTarget(authority, rawPath, path, query);
    }

    private static String clip(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }
}
