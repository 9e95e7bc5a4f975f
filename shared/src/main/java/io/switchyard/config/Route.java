package io.switchyard.config;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Sends requests and WebSocket handshakes whose host matches {@code hosts} (any host when empty;
 * {@code *.example.com} matches exactly one label) and whose path starts, segment-aware, with
 * {@code pathPrefix} to {@code upstream}.
 *
 * <p>{@code mergeSlashes} (default true, nginx's default) makes runs of '/' in request paths one
 * before routing and forwarding; a route whose upstream gives {@code //} a meaning turns it off. Left
 * out of the JSON when true, so documents written before it existed print as before.
 *
 * <p>{@code origin} (optional; null for none) is the route's {@link OriginPolicy}: CORS answered by the proxy
 * and the {@code Origin} of WebSocket handshakes checked. Left out of the JSON when null.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Route(String name, List<String> hosts, String pathPrefix, String upstream,
                    Boolean stripPrefix, Boolean preserveHost, Timeouts timeouts,
                    OnTargetRemoved onTargetRemoved, Boolean httpsOnly,
                    @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = MergeSlashesDefault.class) Boolean mergeSlashes,
                    OriginPolicy origin) {
    public Route {
        Checks c = new Checks();
        // Messages are built only on failure: this constructor runs for every route of every pushed snapshot.
        if (!Checks.isName(name)) c.check(false, "name", Checks.quote(name) + " " + Checks.NAME_RULE);
        List<String> normalized = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        if (hosts != null) {
            for (int i = 0; i < hosts.size(); i++) {
                String h = hosts.get(i);
                if (!isHostPattern(h)) {
                    c.check(false, "hosts[" + i + "]", Checks.quote(h) + " (expected: a host name or *.domain)");
                    continue;
                }
                String lower = h.toLowerCase(Locale.ROOT);
                if (!seen.add(lower)) c.check(false, "hosts[" + i + "]", Checks.quote(h) + " (duplicate host)");
                normalized.add(lower);
            }
        }
        hosts = List.copyOf(normalized);
        if (pathPrefix == null) pathPrefix = "/";
        if (!pathPrefix.startsWith("/"))
            c.check(false, "path_prefix", Checks.quote(pathPrefix) + " (expected: starts with /)");
        else if (!isCleanPath(pathPrefix))
            c.check(false, "path_prefix", Checks.quote(pathPrefix) + " (expected: a path without query, fragment, spaces or empty segments)");
        // "/wss/" and "/wss" mean the same segment-aware prefix; keep one spelling.
        if (pathPrefix.length() > 1 && pathPrefix.endsWith("/")) pathPrefix = pathPrefix.substring(0, pathPrefix.length() - 1);
        if (!Checks.isName(upstream)) c.check(false, "upstream", Checks.quote(upstream) + " " + Checks.NAME_RULE);
        if (stripPrefix == null) stripPrefix = false;
        if (preserveHost == null) preserveHost = false;
        if (httpsOnly == null) httpsOnly = false;
        if (mergeSlashes == null) mergeSlashes = true;
        if (timeouts == null) timeouts = Timeouts.INHERIT;
        if (onTargetRemoved == null) onTargetRemoved = OnTargetRemoved.KEEP;
        c.throwIfAny();
        // Many routes name one upstream: one string for them all, not one per route (a 100,000-route table).
        upstream = upstream.intern();
    }

    /** A route without an origin policy. */
    public Route(String name, List<String> hosts, String pathPrefix, String upstream,
                 Boolean stripPrefix, Boolean preserveHost, Timeouts timeouts,
                 OnTargetRemoved onTargetRemoved, Boolean httpsOnly, Boolean mergeSlashes) {
        this(name, hosts, pathPrefix, upstream, stripPrefix, preserveHost, timeouts, onTargetRemoved, httpsOnly, mergeSlashes, null);
    }

    /** A route with {@code merge_slashes} at its default (true). */
    public Route(String name, List<String> hosts, String pathPrefix, String upstream,
                 Boolean stripPrefix, Boolean preserveHost, Timeouts timeouts,
                 OnTargetRemoved onTargetRemoved, Boolean httpsOnly) {
        this(name, hosts, pathPrefix, upstream, stripPrefix, preserveHost, timeouts, onTargetRemoved, httpsOnly, null, null);
    }

    public Route(String name, List<String> hosts, String pathPrefix, String upstream) {
        this(name, hosts, pathPrefix, upstream, false, false, null, null, false, null, null);
    }

    /** Value filter for the codec: true (the default) is left out of the JSON. */
    static final class MergeSlashesDefault {
        @Override
        public boolean equals(Object o) {
            return o == null || Boolean.TRUE.equals(o);
        }

        @Override
        public int hashCode() {
            return 0;
        }
    }

    /** A DNS name (labels of letters, digits, '_', inner '-'), optionally {@code *.} in front. */
    static boolean isHostPattern(String h) {
        if (h == null || h.isEmpty() || h.length() > 253) return false;
        int start = h.startsWith("*.") ? 2 : 0;
        if (start == h.length()) return false;
        int labelStart = start;
        for (int i = start; i <= h.length(); i++) {
            char ch = i == h.length() ? '.' : h.charAt(i);
            if (ch == '.') {
                int len = i - labelStart;
                if (len == 0 || len > 63 || h.charAt(labelStart) == '-' || h.charAt(i - 1) == '-') return false;
                labelStart = i + 1;
            } else if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-')) {
                return false;
            }
        }
        return true;
    }

    private static boolean isCleanPath(String p) {
        for (int i = 0; i < p.length(); i++) {
            char ch = p.charAt(i);
            if (ch <= 0x20 || ch == 0x7f || ch == '?' || ch == '#') return false;
            if (ch == '/' && i + 1 < p.length() && p.charAt(i + 1) == '/') return false;
        }
        return true;
    }

    public Route withUpstream(String newUpstream) {
        return new Route(name, hosts, pathPrefix, newUpstream, stripPrefix, preserveHost, timeouts, onTargetRemoved, httpsOnly, mergeSlashes, origin);
    }

    public Route withMergeSlashes(Boolean merge) {
        return new Route(name, hosts, pathPrefix, upstream, stripPrefix, preserveHost, timeouts, onTargetRemoved, httpsOnly, merge, origin);
    }

    /** @param policy null for none */
    public Route withOrigin(OriginPolicy policy) {
        return new Route(name, hosts, pathPrefix, upstream, stripPrefix, preserveHost, timeouts, onTargetRemoved, httpsOnly, mergeSlashes, policy);
    }
}
