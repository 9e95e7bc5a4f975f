package io.switchyard.dataplane.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.switchyard.dataplane.codec.HeadBytes;
import io.switchyard.dataplane.upstream.ResponseHead;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
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
    /** Request headers the proxy writes itself (framing, Host, forwarding, the request id): the client's are not copied. */
    private static final Set<String> SET_BY_PROXY = Set.of("host", "x-real-ip", "x-forwarded-for", "x-forwarded-proto",
            "x-forwarded-host", "x-forwarded-port", "forwarded", "x-request-id");

    private Hop() {
    }

    /**
     * Whether field {@code i} of a client's request stays behind, by its name only (ignoring case): hop-by-hop, one
     * the proxy sets itself, or one the client's {@code Connection} values name ({@code listed}: from
     * {@link RequestFields#listedBy}, null without a {@code Connection} field). Names with {@code _} stay behind as
     * well ({@link #hasUnderscore}, counted apart: nginx's {@code underscores_in_headers off}, as {@code X_Real_IP} is
     * the twin of {@code X-Real-IP} for every framework that maps both to one variable). Compared in the head's
     * bytes, against a table by name length: no copy.
     */
    static boolean dropsRequestField(RequestFields f, int i, boolean[] listed) {
        byte[] b = f.bytes();
        int from = f.start(i);
        int to = f.nameEnd(i);
        if (hasUnderscore(f, i)) return true;
        int len = to - from;
        if (len < REQUEST_DROPS.length) {
            for (AsciiString n : REQUEST_DROPS[len]) if (HeadBytes.equalsIgnoreCase(b, from, to, n)) return true;
        }
        return listed != null && listed[i];
    }

    static boolean hasUnderscore(RequestFields f, int i) {
        return HeadBytes.indexOf(f.bytes(), (byte) '_', f.start(i), f.nameEnd(i)) >= 0;
    }

    /** Removes a target's hop-by-hop response headers in place (framing among them: the caller sets it). */
    static void stripResponseHeaders(HttpHeaders h) {
        List<String> connection = h.contains(HttpHeaderNames.CONNECTION) ? h.getAll(HttpHeaderNames.CONNECTION) : null;
        List<CharSequence> drop = null;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            if (isAny(name, HOP_BY_HOP_NAMES) || (connection != null && listHas(connection, name))) {
                if (drop == null) drop = new ArrayList<>(4);
                drop.add(name);
            }
        }
        if (drop != null) for (CharSequence name : drop) h.remove(name);
    }

    /**
     * Whether field {@code i} of a target's response head stays behind: hop-by-hop (framing among them: the caller
     * sets it) or named by its {@code Connection} header. The byte-level twin of {@link #stripResponseHeaders}.
     */
    static boolean dropsResponseField(ResponseHead head, int i) {
        for (AsciiString n : HOP_BY_HOP_NAMES) if (head.nameIs(i, n)) return true;
        return head.connectionListed(i);
    }

    // Per header of every message: compared in place, ignoring case, instead of a lower-cased copy per name.
    private static final AsciiString[] HOP_BY_HOP_NAMES = HOP_BY_HOP.stream().map(AsciiString::cached).toArray(AsciiString[]::new);
    /** What a client's request field named so never crosses the hop as: index = name length. */
    private static final AsciiString[][] REQUEST_DROPS = byLength(HOP_BY_HOP_NAMES,
            SET_BY_PROXY.stream().map(AsciiString::cached).toArray(AsciiString[]::new));

    private static AsciiString[][] byLength(AsciiString[]... groups) {
        int longest = 0;
        for (AsciiString[] g : groups) for (AsciiString n : g) longest = Math.max(longest, n.length());
        List<List<AsciiString>> by = new ArrayList<>();
        for (int i = 0; i <= longest; i++) by.add(new ArrayList<>());
        for (AsciiString[] g : groups) for (AsciiString n : g) by.get(n.length()).add(n);
        return by.stream().map(l -> l.toArray(AsciiString[]::new)).toArray(AsciiString[][]::new);
    }

    private static boolean isAny(CharSequence name, AsciiString[] names) {
        for (AsciiString n : names) if (n.length() == name.length() && n.contentEqualsIgnoreCase(name)) return true;
        return false;
    }

    /**
     * Whether a comma-separated header carries {@code token} (any case); its values are walked in the map and scanned in
     * place (no list of values, no String per value, no split arrays).
     */
    static boolean hasToken(HttpHeaders h, AsciiString name, String token) {
        if (!h.contains(name)) return false; // most heads lack the field (Upgrade on every request): no iterator then
        for (Iterator<? extends CharSequence> it = h.valueCharSequenceIterator(name); it.hasNext(); ) {
            if (listHas(it.next(), token)) return true;
        }
        return false;
    }

    /**
     * Whether one of the comma-separated {@code values} carries {@code token} (any case, OWS trimmed): the
     * {@code Connection} header's list is checked in place, no lower-cased copies and no set per message.
     */
    static boolean listHas(List<String> values, CharSequence token) {
        for (String v : values) if (listHas(v, token)) return true;
        return false;
    }

    /** Whether the comma-separated value {@code v} carries {@code token} (any case, whitespace around items trimmed). */
    static boolean listHas(CharSequence v, CharSequence token) {
        int tlen = token.length();
        int len = v.length();
        int start = 0;
        while (start <= len) {
            int end = start;
            while (end < len && v.charAt(end) != ',') end++;
            int a = start;
            int b = end;
            while (a < b && Character.isWhitespace(v.charAt(a))) a++;
            while (b > a && Character.isWhitespace(v.charAt(b - 1))) b--;
            if (b - a == tlen && regionEqualsIgnoreCase(v, a, token, tlen)) return true;
            if (end == len) break;
            start = end + 1;
        }
        return false;
    }

    private static boolean regionEqualsIgnoreCase(CharSequence v, int at, CharSequence token, int len) {
        for (int i = 0; i < len; i++) {
            char x = v.charAt(at + i);
            char y = token.charAt(i);
            if (x != y && Character.toLowerCase(x) != Character.toLowerCase(y)) return false;
        }
        return true;
    }
}
