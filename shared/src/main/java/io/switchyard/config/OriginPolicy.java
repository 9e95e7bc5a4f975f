package io.switchyard.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A route's origin policy: which web origins may call it from a browser. The proxy answers CORS
 * preflights itself, sets the CORS headers of actual requests (replacing any the upstream sent) and,
 * with {@code websocket: enforce}, refuses WebSocket handshakes from other origins with 403, which is
 * what stops cross-site WebSocket hijacking (browsers apply no CORS to WebSocket and send cookies).
 *
 * <p>{@code allow} holds exact origins ({@code https://app.example.com}, {@code http://localhost:8080}),
 * one-label wildcards over the host ({@code https://*.example.com} matches {@code https://a.example.com},
 * neither {@code https://example.com} nor {@code https://a.b.example.com}; the port must match too), or
 * {@code "*"} (any origin; not with {@code credentials}). Schemes are http and https; a default port
 * (80, 443) is the same as none. Absent fields take their defaults: no credentials, methods
 * {@link #DEFAULT_METHODS}, no request headers beyond the CORS-safelisted ones ({@code "*"} allows any),
 * nothing exposed, no {@code Access-Control-Max-Age}, {@code websocket: enforce}, {@code require_origin: false}.
 * Immutable; the patterns are parsed once, here.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OriginPolicy(List<String> allow, Boolean credentials, List<String> methods, List<String> headers,
                           List<String> expose, Long maxAgeS, WebSocketMode websocket, Boolean requireOrigin) {
    public static final List<String> DEFAULT_METHODS = List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE");
    /** Browsers cap the preflight cache at 2 h (Chromium) to 24 h (Firefox); more than a day is a typo. */
    public static final long MAX_AGE_S = 86_400;

    /** What happens to WebSocket handshakes: {@code enforce} refuses other origins with 403, {@code off} leaves them alone. */
    public enum WebSocketMode {
        ENFORCE("enforce"), OFF("off");

        private final String wire;

        WebSocketMode(String wire) {
            this.wire = wire;
        }

        @JsonValue
        public String wire() {
            return wire;
        }

        @JsonCreator
        public static WebSocketMode fromWire(String s) {
            for (WebSocketMode m : values()) if (m.wire.equals(s)) return m;
            throw new ConfigException("", Checks.quote(s) + " (expected: enforce or off)");
        }
    }

    public OriginPolicy {
        Checks c = new Checks();
        if (credentials == null) credentials = false;
        if (websocket == null) websocket = WebSocketMode.ENFORCE;
        if (requireOrigin == null) requireOrigin = false;
        if (allow == null) {
            c.check(false, "allow", "missing (expected: a list of origins such as \"https://app.example.com\")");
            allow = OriginPatterns.NONE;
        } else if (!(allow instanceof OriginPatterns)) {
            allow = OriginPatterns.parse(allow, credentials, c);
        } else if (credentials && ((OriginPatterns) allow).any()) {
            c.check(false, "allow", "\"*\" (not with credentials: true; list the origins)");
        }
        methods = methods == null ? DEFAULT_METHODS : tokens(methods, "methods", false, c);
        headers = headers == null ? List.of() : tokens(headers, "headers", true, c);
        expose = expose == null ? List.of() : tokens(expose, "expose", true, c);
        if (maxAgeS != null && (maxAgeS < 0 || maxAgeS > MAX_AGE_S))
            c.check(false, "max_age_s", maxAgeS + " (expected: >= 0 and <= " + MAX_AGE_S + ")");
        c.throwIfAny();
    }

    /** A policy allowing {@code origins} with every other field at its default. */
    public OriginPolicy(List<String> origins) {
        this(origins, null, null, null, null, null, null, null);
    }

    /** HTTP method or header names: RFC 9110 tokens, each once (header names case-insensitively); {@code "*"} where allowed. */
    private static List<String> tokens(List<String> in, String field, boolean caseInsensitive, Checks c) {
        List<String> out = new ArrayList<>(in.size());
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < in.size(); i++) {
            String s = in.get(i);
            if (s == null || !(isToken(s) || (caseInsensitive && s.equals("*")))) {
                c.check(false, field + "[" + i + "]", Checks.quote(s) + (field.equals("methods")
                        ? " (expected: a method name such as GET)" : " (expected: a header name such as Content-Type, or \"*\")"));
                continue;
            }
            if (!seen.add(caseInsensitive ? s.toLowerCase(Locale.ROOT) : s)) {
                c.check(false, field + "[" + i + "]", Checks.quote(s) + " (duplicate)");
                continue;
            }
            out.add(s);
        }
        return List.copyOf(out);
    }

    static boolean isToken(String s) {
        if (s.isEmpty() || s.length() > 128) return false;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            boolean ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(ch) >= 0;
            if (!ok) return false;
        }
        return true;
    }

    /**
     * Whether {@code origin} (an {@code Origin} header's value) is allowed. Parsed strictly: anything that is
     * not {@code http(s)://host[:port]}, such as the {@code null} that sandboxed pages and redirects send, is
     * never allowed, not even by {@code "*"}.
     */
    public boolean allows(String origin) {
        return ((OriginPatterns) allow).matches(origin);
    }

    /** Whether {@code allow} is {@code ["*"]}-like: any origin may call. */
    public boolean allowsAny() {
        return ((OriginPatterns) allow).any();
    }

    /** Whether {@code methods} names {@code method} (exactly: methods are case-sensitive). */
    public boolean allowsMethod(String method) {
        return methods.contains(method);
    }

    /** Whether request header {@code name} may be sent: listed (any case) or {@code "*"} listed. */
    public boolean allowsHeader(String name) {
        for (String h : headers) if (h.equals("*") || h.equalsIgnoreCase(name)) return true;
        return false;
    }

    public boolean enforcesWebSocket() {
        return websocket == WebSocketMode.ENFORCE;
    }
}
