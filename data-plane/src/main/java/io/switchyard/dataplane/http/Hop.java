package io.switchyard.dataplane.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Hop-by-hop header handling (RFC 9110 7.6.1): these describe one connection, not the message, so a
 * proxy drops them, along with every header the {@code Connection} header names. Stateless.
 */
final class Hop {
    private static final Set<String> HOP_BY_HOP = Set.of(
            "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
            "proxy-authenticate", "proxy-authorization", "http2-settings");

    private Hop() {
    }

    /**
     * Copies the end-to-end headers of {@code from} into {@code to}. Transfer-Encoding is left to the
     * caller (message framing is re-decided per hop).
     */
    static void copyEndToEnd(HttpHeaders from, HttpHeaders to) {
        Set<String> named = connectionTokens(from);
        for (Map.Entry<String, String> e : from) {
            String n = e.getKey().toLowerCase(Locale.ROOT);
            if (HOP_BY_HOP.contains(n) || named.contains(n)) continue;
            to.add(e.getKey(), e.getValue());
        }
    }

    static Set<String> connectionTokens(HttpHeaders h) {
        List<String> values = h.getAll(HttpHeaderNames.CONNECTION);
        if (values.isEmpty()) return Set.of();
        Set<String> out = new HashSet<>();
        for (String v : values)
            for (String t : v.split(",")) {
                String s = t.trim().toLowerCase(Locale.ROOT);
                if (!s.isEmpty()) out.add(s);
            }
        return out;
    }

    /** Whether a comma-separated header carries {@code token} (any case); scans in place, no split arrays. */
    static boolean hasToken(HttpHeaders h, AsciiString name, String token) {
        for (String v : h.getAll(name)) {
            int start = 0;
            int len = v.length();
            while (start <= len) {
                int comma = v.indexOf(',', start);
                int end = comma < 0 ? len : comma;
                int a = start;
                int b = end;
                while (a < b && Character.isWhitespace(v.charAt(a))) a++;
                while (b > a && Character.isWhitespace(v.charAt(b - 1))) b--;
                if (b - a == token.length() && v.regionMatches(true, a, token, 0, token.length())) return true;
                if (comma < 0) break;
                start = comma + 1;
            }
        }
        return false;
    }
}
