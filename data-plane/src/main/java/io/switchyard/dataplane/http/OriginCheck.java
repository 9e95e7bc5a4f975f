package io.switchyard.dataplane.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.switchyard.config.OriginPolicy;
import io.switchyard.dataplane.status.Metrics;
import io.switchyard.host.HostNames;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A route's {@link OriginPolicy} applied to one exchange: before any upstream is chosen, CORS preflights are
 * answered here and WebSocket handshakes from other origins refused with 403 (so neither ever reaches the
 * upstream); on the way back, the upstream's CORS headers are replaced by the policy's, so there is one
 * source of truth. Actual requests from other origins are forwarded without CORS headers (the browser then
 * keeps the answer from the page), since the page's own same-origin requests may carry an Origin too.
 *
 * <p>A handshake whose Origin names the very host it was sent to (scheme aside, ports compared as the
 * browser would) is same-origin and always allowed: a page may talk to its own server. Stateless.
 */
final class OriginCheck {
    private static final String ACCESS_CONTROL = "access-control-";
    private static final String VARY_PREFLIGHT = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

    private OriginCheck() {
    }

    /**
     * Whether the exchange goes on to the upstream. When not, it was answered here: a preflight with 204 and
     * the {@code Access-Control-Allow-*} headers, or a refusal with 403 (counted and logged).
     */
    static boolean admit(Exchange e, String route, OriginPolicy p, RequestTarget target, boolean ws, boolean tls,
                         Metrics metrics) {
        HttpRequest req = e.req;
        String origin = req.headers().get(HttpHeaderNames.ORIGIN);
        if (ws) {
            if (!p.enforcesWebSocket()) return true;
            if (origin == null) {
                if (!p.requireOrigin()) return true; // a non-browser client: browsers always send Origin
                return refuse(e, route, "websocket", null, "this route's WebSocket handshakes need an Origin", metrics);
            }
            if (p.allows(origin) || sameOrigin(origin, target, tls)) return true;
            return refuse(e, route, "websocket", origin, "origin " + loggable(origin) + " may not open WebSockets on route " + route,
                    metrics);
        }
        String requested = req.headers().get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
        if (origin == null || requested == null || !req.method().equals(HttpMethod.OPTIONS)) return true;
        // A CORS preflight: the proxy's to answer, never the upstream's.
        if (!p.allows(origin))
            return refuse(e, route, "preflight", origin, "origin " + loggable(origin) + " is not allowed on route " + route, metrics);
        if (!p.allowsMethod(requested) && !safelisted(requested))
            return refuse(e, route, "preflight", origin, "method " + loggable(requested) + " is not allowed on route " + route,
                    metrics);
        List<String> asked = headerList(req.headers().get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS));
        for (String h : asked) {
            if (!p.allowsHeader(h))
                return refuse(e, route, "preflight", origin, "request header " + loggable(h) + " is not allowed on route " + route,
                        metrics);
        }
        HttpHeaders out = new DefaultHttpHeaders();
        allowOrigin(p, origin, out);
        if (!p.methods().isEmpty()) out.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, String.join(", ", p.methods()));
        if (!asked.isEmpty()) {
            // "*" means any header; echoing the asked ones also works with credentials, where browsers take "*" literally.
            boolean any = p.headers().contains("*");
            out.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, String.join(", ", any ? asked : p.headers()));
        }
        if (p.maxAgeS() != null) out.set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, p.maxAgeS());
        out.set(HttpHeaderNames.VARY, VARY_PREFLIGHT);
        e.localEmpty(HttpResponseStatus.NO_CONTENT, out);
        return false;
    }

    /**
     * The response head relayed from the upstream: its CORS headers removed, the policy's set when the request's
     * Origin is allowed, and {@code Vary: Origin} whenever the answer depends on the Origin.
     */
    static void decorate(OriginPolicy p, String origin, HttpHeaders out) {
        List<String> upstreamCors = null;
        for (String name : out.names()) {
            if (name.regionMatches(true, 0, ACCESS_CONTROL, 0, ACCESS_CONTROL.length())) {
                if (upstreamCors == null) upstreamCors = new ArrayList<>(4);
                upstreamCors.add(name);
            }
        }
        if (upstreamCors != null) for (String name : upstreamCors) out.remove(name);
        boolean constant = p.allowsAny() && !p.credentials();
        if (!constant) addVaryOrigin(out);
        if (origin == null || !p.allows(origin)) return;
        allowOrigin(p, origin, out);
        if (!p.expose().isEmpty()) out.set(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, String.join(", ", p.expose()));
    }

    private static void allowOrigin(OriginPolicy p, String origin, HttpHeaders out) {
        // With credentials, browsers refuse "*": name the origin itself.
        out.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, p.allowsAny() && !p.credentials() ? "*" : origin);
        if (p.credentials()) out.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
    }

    private static void addVaryOrigin(HttpHeaders out) {
        for (String v : out.getAll(HttpHeaderNames.VARY)) {
            for (String part : v.split(",")) {
                String t = part.trim();
                if (t.equals("*") || t.equalsIgnoreCase("Origin")) return;
            }
        }
        out.add(HttpHeaderNames.VARY, "Origin");
    }

    private static boolean refuse(Exchange e, String route, String kind, String origin, String why, Metrics metrics) {
        metrics.originRefused(route, kind);
        // Into the exchange's access-log entry (written off the event loop).
        e.note("origin refused: kind=" + kind + " origin=" + (origin == null ? "-" : loggable(origin)));
        e.local(HttpResponseStatus.FORBIDDEN, why, false, null);
        return false;
    }

    /** GET, HEAD and POST pass a browser's CORS check whatever Access-Control-Allow-Methods says. */
    private static boolean safelisted(String method) {
        return method.equals("GET") || method.equals("HEAD") || method.equals("POST");
    }

    private static List<String> headerList(String v) {
        if (v == null || v.isBlank()) return List.of();
        List<String> out = new ArrayList<>();
        for (String part : v.split(",")) {
            String t = part.trim();
            if (!t.isEmpty()) out.add(t.toLowerCase(Locale.ROOT));
        }
        return out;
    }

    /** Whether {@code origin} is {@code http(s)://} the host the request was sent to, with the same port. */
    private static boolean sameOrigin(String origin, RequestTarget target, boolean tls) {
        if (target == null || target.authority() == null) return false;
        int defaultPort;
        String rest;
        if (origin.startsWith("https://")) {
            defaultPort = 443;
            rest = origin.substring(8);
        } else if (origin.startsWith("http://")) {
            defaultPort = 80;
            rest = origin.substring(7);
        } else {
            return false;
        }
        HostNames.Authority o = HostNames.parseAuthority(rest);
        if (o == null) return false;
        HostNames.Authority h = target.authority();
        int originPort = o.hasPort() ? o.port() : defaultPort;
        int hostPort = h.hasPort() ? h.port() : (tls ? 443 : 80);
        return o.host().equals(h.host()) && originPort == hostPort;
    }

    /** A header value fit for a log line or an answer: bounded, printable. */
    private static String loggable(String v) {
        return ProxyHandler.loggable(v);
    }
}
