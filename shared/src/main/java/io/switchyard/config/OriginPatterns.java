package io.switchyard.config;

import io.switchyard.host.HostNames;

import java.util.AbstractList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;
import java.util.Set;

/**
 * An origin policy's {@code allow} strings as the operator wrote them, together with their parsed form: a
 * list of strings to the codec and to {@code equals}, so the document round-trips unchanged, while a request
 * only looks up (one parse of its {@code Origin}, at most two set probes). Hosts are read by
 * {@link HostNames}, the same vocabulary as routing and TLS. Immutable.
 */
final class OriginPatterns extends AbstractList<String> implements RandomAccess {
    static final OriginPatterns NONE = new OriginPatterns(List.of(), Set.of(), Set.of(), false);
    private static final String RULE = "(expected: an origin such as \"https://app.example.com\", \"http://localhost:8080\""
            + " or \"https://*.example.com\", or \"*\")";

    private final List<String> written;
    /** Canonical origins: {@code scheme://host} or {@code scheme://host:port} when the port is not the default. */
    private final Set<String> exact;
    /** Canonical origins of the domains under a {@code *.}: {@code https://*.example.com} is kept as {@code https://example.com}. */
    private final Set<String> wildcard;
    private final boolean any;

    private OriginPatterns(List<String> written, Set<String> exact, Set<String> wildcard, boolean any) {
        this.written = List.copyOf(written);
        this.exact = Set.copyOf(exact);
        this.wildcard = Set.copyOf(wildcard);
        this.any = any;
    }

    static OriginPatterns parse(List<String> in, boolean credentials, Checks c) {
        Set<String> exact = new HashSet<>();
        Set<String> wildcard = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean any = false;
        for (int i = 0; i < in.size(); i++) {
            String s = in.get(i);
            String field = "allow[" + i + "]";
            String key;
            if ("*".equals(s)) {
                if (credentials) {
                    c.check(false, field, "\"*\" (not with credentials: true; list the origins)");
                    continue;
                }
                any = true;
                key = "*";
            } else {
                Origin o = s == null ? null : Origin.parse(s, true);
                if (o == null) {
                    c.check(false, field, Checks.quote(s) + " " + RULE);
                    continue;
                }
                key = (o.wildcard ? "*." : "") + o.canonical;
                (o.wildcard ? wildcard : exact).add(o.canonical);
            }
            Integer prev = seen.putIfAbsent(key, i);
            if (prev != null) c.check(false, field, Checks.quote(s) + " (duplicate: also allow[" + prev + "])");
        }
        // Only built when every entry parsed: a null entry must not reach List.copyOf.
        return c.ok() ? new OriginPatterns(in, exact, wildcard, any) : NONE;
    }

    boolean any() {
        return any;
    }

    boolean matches(String origin) {
        Origin o = origin == null ? null : Origin.parse(origin, false);
        if (o == null) return false;
        if (any || exact.contains(o.canonical)) return true;
        if (wildcard.isEmpty()) return false;
        // One label: drop the first label of the host and look the rest up among the wildcards' domains.
        int dot = o.host.indexOf('.');
        if (dot <= 0 || o.host.startsWith("[")) return false;
        return wildcard.contains(o.scheme + "://" + o.host.substring(dot + 1) + o.portSuffix);
    }

    @Override
    public String get(int index) {
        return written.get(index);
    }

    @Override
    public int size() {
        return written.size();
    }

    /** {@code scheme://host[:port]} read strictly; {@code host} of a wildcard is the domain after {@code *.}. */
    private record Origin(String scheme, String host, String portSuffix, boolean wildcard, String canonical) {
        static Origin parse(String s, boolean pattern) {
            String scheme;
            int rest;
            if (s.regionMatches(true, 0, "https://", 0, 8)) {
                scheme = "https";
                rest = 8;
            } else if (s.regionMatches(true, 0, "http://", 0, 7)) {
                scheme = "http";
                rest = 7;
            } else {
                return null;
            }
            boolean wild = pattern && s.startsWith("*.", rest);
            if (wild) rest += 2;
            HostNames.Authority a = HostNames.parseAuthority(s.substring(rest));
            if (a == null || s.endsWith(".") || s.endsWith(":")) return null;
            // A wildcard stands over names only: "*.10.0.0.1" would never match what a browser sends.
            if (wild && (a.host().startsWith("[") || HostNames.parseIpLiteral(a.host()) != null)) return null;
            int defaultPort = scheme.equals("https") ? 443 : 80;
            String port = !a.hasPort() || a.port() == defaultPort ? "" : ":" + a.port();
            if (a.port() == 0) return null;
            return new Origin(scheme, a.host(), port, wild, scheme + "://" + a.host() + port);
        }
    }
}
