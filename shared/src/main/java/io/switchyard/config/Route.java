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
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Route(String name, List<String> hosts, String pathPrefix, String upstream,
                    Boolean stripPrefix, Boolean preserveHost, Timeouts timeouts,
                    OnTargetRemoved onTargetRemoved, Boolean httpsOnly) {
    public Route {
        Checks c = new Checks();
        c.check(Checks.isName(name), "name", Checks.quote(name) + " " + Checks.NAME_RULE);
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
                c.check(seen.add(lower), "hosts[" + i + "]", Checks.quote(h) + " (duplicate host)");
                normalized.add(lower);
            }
        }
        hosts = List.copyOf(normalized);
        if (pathPrefix == null) pathPrefix = "/";
        c.check(pathPrefix.startsWith("/"), "path_prefix", Checks.quote(pathPrefix) + " (expected: starts with /)");
        c.check(pathPrefix.indexOf('?') < 0 && pathPrefix.indexOf('#') < 0 && !pathPrefix.contains("//")
                        && pathPrefix.chars().noneMatch(ch -> ch <= 0x20 || ch == 0x7f),
                "path_prefix", Checks.quote(pathPrefix) + " (expected: a path without query, fragment, spaces or empty segments)");
        // "/wss/" and "/wss" mean the same segment-aware prefix; keep one spelling.
        if (pathPrefix.length() > 1 && pathPrefix.endsWith("/")) pathPrefix = pathPrefix.substring(0, pathPrefix.length() - 1);
        c.check(Checks.isName(upstream), "upstream", Checks.quote(upstream) + " " + Checks.NAME_RULE);
        if (stripPrefix == null) stripPrefix = false;
        if (preserveHost == null) preserveHost = false;
        if (httpsOnly == null) httpsOnly = false;
        if (timeouts == null) timeouts = Timeouts.INHERIT;
        if (onTargetRemoved == null) onTargetRemoved = OnTargetRemoved.KEEP;
        c.throwIfAny();
    }

    public Route(String name, List<String> hosts, String pathPrefix, String upstream) {
        this(name, hosts, pathPrefix, upstream, false, false, null, null, false);
    }

    static boolean isHostPattern(String h) {
        if (h == null || h.isEmpty() || h.length() > 253) return false;
        String rest = h.startsWith("*.") ? h.substring(2) : h;
        if (rest.isEmpty()) return false;
        for (String label : rest.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || !label.matches("[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?")) return false;
        }
        return true;
    }

    public Route withUpstream(String newUpstream) {
        return new Route(name, hosts, pathPrefix, newUpstream, stripPrefix, preserveHost, timeouts, onTargetRemoved, httpsOnly);
    }
}
