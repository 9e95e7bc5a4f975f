package io.switchyard.dataplane.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which headers cross a hop (RFC 9110 7.6.1). Hop-by-hop ones describe one connection, not the message, so a
 * proxy drops them, along with every header the {@code Connection} header names. Message framing
 * ({@code Content-Length}, {@code Transfer-Encoding}) and {@code Host} are never copied: the proxy writes them
 * from its own parse, so no {@code Connection} token can remove them and no client spelling reaches the target.
 * Neither are the forwarding headers the proxy sets itself. Stateless.
 */
final class Hop {
    private static final Set<String> HOP_BY_HOP = Set.of(
            "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
            "proxy-authenticate", "proxy-authorization", "http2-settings", "content-length");
    /** Request headers the proxy writes itself (framing, Host, forwarding): the client's are not copied. */
    private static final Set<String> SET_BY_PROXY = Set.of("host", "x-real-ip", "x-forwarded-for", "x-forwarded-proto",
            "x-forwarded-host", "x-forwarded-port", "forwarded");

    private Hop() {
    }

    /**
     * Copies a client's end-to-end request headers into {@code to}, leaving out hop-by-hop ones, those the
     * proxy sets, and names with {@code _} (nginx's {@code underscores_in_headers off}: {@code X_Real_IP} is the
     * twin of {@code X-Real-IP} for every framework that maps both to one variable).
     *
     * @return how many headers were left out for an underscore
     */
    static int copyRequestHeaders(HttpHeaders from, HttpHeaders to) {
        Set<String> named = connectionTokens(from);
        int underscores = 0;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = from.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            CharSequence name = e.getKey();
            if (indexOf(name, '_') >= 0) {
                underscores++;
                continue;
            }
            if (isAny(name, HOP_BY_HOP_NAMES) || isAny(name, SET_BY_PROXY_NAMES)
                    || (!named.isEmpty() && named.contains(name.toString().toLowerCase(Locale.ROOT)))) continue;
            to.add(name, e.getValue());
        }
        return underscores;
    }

    /** Copies a target's end-to-end response headers; framing is set by the caller. */
    static void copyResponseHeaders(HttpHeaders from, HttpHeaders to) {
        Set<String> named = connectionTokens(from);
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = from.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            CharSequence name = e.getKey();
            if (isAny(name, HOP_BY_HOP_NAMES)
                    || (!named.isEmpty() && named.contains(name.toString().toLowerCase(Locale.ROOT)))) continue;
            to.add(name, e.getValue());
        }
    }

    // Per header of every message: compared in place, ignoring case, instead of a lower-cased copy per name.
    private static final AsciiString[] HOP_BY_HOP_NAMES = HOP_BY_HOP.stream().map(AsciiString::cached).toArray(AsciiString[]::new);
    private static final AsciiString[] SET_BY_PROXY_NAMES = SET_BY_PROXY.stream().map(AsciiString::cached).toArray(AsciiString[]::new);

    private static boolean isAny(CharSequence name, AsciiString[] names) {
        for (AsciiString n : names) if (n.length() == name.length() && n.contentEqualsIgnoreCase(name)) return true;
        return false;
    }

    private static int indexOf(CharSequence s, char c) {
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) == c) return i;
        return -1;
    }

    static Set<String> connectionTokens(HttpHeaders h) {
        if (!h.contains(HttpHeaderNames.CONNECTION)) return Set.of(); // the common case: no list built per message
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
