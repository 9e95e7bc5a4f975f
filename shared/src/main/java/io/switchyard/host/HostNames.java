package io.switchyard.host;

import java.util.Locale;

/**
 * The one host vocabulary of Switchyard: how a Host header, an absolute-form authority, an SNI name, a
 * route's host and an admin origin are read and compared. Routing, TLS and the admin API all call
 * these functions, so a name can never be matched one way by routing and another way by TLS.
 *
 * <p>Deliberately stricter than RFC 3986: a reverse proxy forwards the host it validated to servers
 * that each parse it their own way, so only DNS-ish names (letters, digits, '-', '_', '.'), dotted-quad
 * IPv4 and bracketed IPv6 literals are accepted; userinfo, percent-escapes and the other sub-delims a
 * reg-name may carry are refused. Nothing here ever asks DNS. Stateless and thread-safe.
 */
public final class HostNames {
    private HostNames() {
    }

    /**
     * A validated authority: {@code host} is lowercase, without the trailing dot of a fully qualified
     * name; an IPv6 literal keeps its brackets (so {@code host} is usable as is in a Host header or as a
     * lookup key, as {@link #normalize} returns it). {@code port} is -1 when absent.
     */
    public record Authority(String host, int port) {
        public Authority {
            if (host == null || host.isEmpty()) throw new IllegalArgumentException("host: " + host + " (expected: non-empty)");
            if (port < -1 || port > 65535) throw new IllegalArgumentException("port: " + port + " (expected: -1 for none, or 0..65535)");
        }

        /** Whether the authority named a port. */
        public boolean hasPort() {
            return port >= 0;
        }

        /** {@code host} or {@code host:port}; an IPv6 literal appears as {@code [..]}. Fit for a Host header. */
        @Override
        public String toString() {
            return port < 0 ? host : host + ':' + port;
        }
    }

    /**
     * Parses an authority as it appears in a Host header or an absolute-form request target
     * (RFC 9112 §3.2, RFC 3986 §3.2): a DNS-ish reg-name (labels of 1-63 letters, digits, '-' or '_',
     * not starting or ending with '-' as routes' host patterns, at most 253 characters, one trailing dot allowed and removed), a dotted-quad IPv4 address (no
     * leading zeros) or a bracketed IPv6 literal, then an optional {@code :port} of 1-5 digits
     * (0..65535; an empty port after ':' is allowed by RFC 3986 and means none).
     *
     * <p>Refused (null): userinfo ({@code @}), spaces, slashes, backslashes, control bytes, '%', an empty
     * string, a second ':' outside brackets, IPvFuture, IPv6 zone ids, a name whose last label is a number
     * (such as {@code 1.2.3} or {@code 0x7f.1}, which some resolvers read as an IPv4 address) and anything else.
     *
     * @return the authority with its host lowercased, or null when {@code s} is not one
     */
    public static Authority parseAuthority(String s) {
        if (s == null || s.isEmpty()) return null;
        String host;
        int portStart;
        if (s.charAt(0) == '[') {
            int close = s.indexOf(']');
            if (close < 0) return null;
            if (parseIpv6(s, 1, close) == null) return null;
            host = lowerAscii(s.substring(0, close + 1));
            if (close + 1 == s.length()) return new Authority(host, -1);
            if (s.charAt(close + 1) != ':') return null;
            portStart = close + 2;
        } else {
            int colon = s.indexOf(':');
            int end = colon < 0 ? s.length() : colon;
            host = hostName(s, 0, end);
            if (host == null) return null;
            if (colon < 0) return new Authority(host, -1);
            portStart = colon + 1;
        }
        int port = parsePort(s, portStart);
        if (port == -2) return null;
        return new Authority(host, port);
    }

    /**
     * The host of a host name or authority, for lookups (route hosts, SNI, admin origin checks):
     * lowercase, without port, without one trailing dot; an IPv6 literal in brackets keeps them, a bare
     * IPv6 address (several colons, no brackets) is kept whole. Tolerant: it does not validate (use
     * {@link #parseAuthority} for input from the network). Returns {@code hostOrAuthority} itself when it
     * is already normal, so a lookup with a normal name allocates nothing.
     *
     * @return the normalized host, or null for null, empty, or nothing left after removing port and dot
     */
    public static String normalize(String hostOrAuthority) {
        if (hostOrAuthority == null || hostOrAuthority.isEmpty()) return null;
        String h = hostOrAuthority;
        if (h.charAt(0) == '[') {
            int end = h.indexOf(']');
            if (end > 0 && end + 1 < h.length()) h = h.substring(0, end + 1);
        } else {
            int colon = h.indexOf(':');
            if (colon >= 0 && h.indexOf(':', colon + 1) < 0) h = h.substring(0, colon);
        }
        if (h.endsWith(".")) h = h.substring(0, h.length() - 1);
        if (h.isEmpty()) return null;
        return lowerAscii(h);
    }

    /**
     * The 4 or 16 bytes of an IP literal: dotted-quad IPv4 ({@code 10.0.0.1}, no leading zeros) or IPv6
     * ({@code ::1}, {@code ::ffff:10.0.0.1}, also in brackets). Parsed here, never through DNS, so a
     * hostile value costs no lookup.
     *
     * @return the address bytes, or null when {@code s} is not an IP literal
     */
    public static byte[] parseIpLiteral(String s) {
        if (s == null || s.isEmpty()) return null;
        if (s.charAt(0) == '[') {
            if (s.length() < 3 || s.charAt(s.length() - 1) != ']') return null;
            return parseIpv6(s, 1, s.length() - 1);
        }
        if (s.indexOf(':') >= 0) return parseIpv6(s, 0, s.length());
        return parseIpv4(s, 0, s.length());
    }

    /** A reg-name or IPv4 address in {@code s[from, to)}, lowercased without trailing dot; null when invalid. */
    private static String hostName(String s, int from, int to) {
        if (to - from == 0) return null;
        int end = to;
        if (s.charAt(end - 1) == '.') end--;
        int len = end - from;
        if (len == 0 || len > 253) return null;
        boolean onlyDigitsAndDots = true;
        int labelStart = from;
        for (int i = from; i <= end; i++) {
            char ch = i == end ? '.' : s.charAt(i);
            if (ch == '.') {
                int labelLen = i - labelStart;
                if (labelLen == 0 || labelLen > 63 || s.charAt(labelStart) == '-' || s.charAt(i - 1) == '-') return null;
                labelStart = i + 1;
            } else if (ch >= '0' && ch <= '9') {
                // fine
            } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_') {
                onlyDigitsAndDots = false;
            } else {
                return null;
            }
        }
        if (onlyDigitsAndDots) {
            // Digits and dots only: an IPv4 address or nothing (never a name that some resolver reads as one).
            if (end != to) return null;
            return parseIpv4(s, from, to) == null ? null : s.substring(from, to);
        }
        if (endsInNumber(s, from, end)) return null;
        String name = end == to && from == 0 && end == s.length() ? s : s.substring(from, end);
        return lowerAscii(name);
    }

    /** Whether the last label is decimal or 0x-hex: WHATWG URL parsers and inet_aton read such names as IPv4. */
    private static boolean endsInNumber(String s, int from, int end) {
        int start = s.lastIndexOf('.', end - 1) + 1;
        if (start < from) start = from;
        boolean hex = end - start >= 2 && s.charAt(start) == '0' && (s.charAt(start + 1) == 'x' || s.charAt(start + 1) == 'X');
        for (int i = hex ? start + 2 : start; i < end; i++) {
            char ch = s.charAt(i);
            boolean digit = ch >= '0' && ch <= '9';
            boolean hexLetter = (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
            if (!digit && !(hex && hexLetter)) return false;
        }
        return true;
    }

    /** Port digits from {@code start} to the end: -1 when empty, -2 when invalid. */
    private static int parsePort(String s, int start) {
        int n = s.length() - start;
        if (n == 0) return -1;
        if (n > 5) return -2;
        int port = 0;
        for (int i = start; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < '0' || ch > '9') return -2;
            port = port * 10 + (ch - '0');
        }
        return port > 65535 ? -2 : port;
    }

    /** Dotted-quad IPv4 in {@code s[from, to)}: four decimal octets 0..255 without leading zeros. */
    static byte[] parseIpv4(String s, int from, int to) {
        byte[] out = new byte[4];
        int part = 0;
        int i = from;
        while (true) {
            int start = i;
            int v = 0;
            while (i < to && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                v = v * 10 + (s.charAt(i) - '0');
                i++;
                if (i - start > 3) return null;
            }
            int digits = i - start;
            if (digits == 0 || v > 255 || (digits > 1 && s.charAt(start) == '0')) return null;
            out[part++] = (byte) v;
            if (part == 4) return i == to ? out : null;
            if (i >= to || s.charAt(i) != '.') return null;
            i++;
        }
    }

    /** IPv6 text (RFC 4291 §2.2, with an optional dotted-quad tail) in {@code s[from, to)}; no zone id. */
    static byte[] parseIpv6(String s, int from, int to) {
        if (to - from < 2 || to - from > 45) return null;
        byte[] out = new byte[16];
        int groups = 0;          // 16-bit groups written
        int gap = -1;            // group index where "::" stands
        int i = from;
        if (s.charAt(i) == ':') {
            if (s.charAt(i + 1) != ':') return null;
            gap = 0;
            i += 2;
            if (i == to) return out;
        }
        while (i < to) {
            if (groups == 8) return null;
            int start = i;
            int v = 0;
            while (i < to && i - start < 5) {
                int d = Character.digit(s.charAt(i), 16);
                if (d < 0 || s.charAt(i) > 'f') break;
                v = (v << 4) | d;
                i++;
            }
            int digits = i - start;
            if (i < to && s.charAt(i) == '.') {
                // An IPv4 tail takes the last two groups.
                if (groups > 6) return null;
                byte[] v4 = parseIpv4(s, start, to);
                if (v4 == null) return null;
                System.arraycopy(v4, 0, out, groups * 2, 4);
                groups += 2;
                i = to;
                break;
            }
            if (digits == 0 || digits > 4) return null;
            out[groups * 2] = (byte) (v >>> 8);
            out[groups * 2 + 1] = (byte) v;
            groups++;
            if (i == to) break;
            if (s.charAt(i) != ':') return null;
            i++;
            if (i < to && s.charAt(i) == ':') {
                if (gap >= 0) return null;
                gap = groups;
                i++;
                if (i == to) break;
            } else if (i == to) {
                return null; // a single trailing ':'
            }
        }
        if (gap < 0) return groups == 8 ? out : null;
        if (groups == 8) return null; // "::" must stand for at least one group
        int tail = groups - gap;
        System.arraycopy(out, gap * 2, out, 16 - tail * 2, tail * 2);
        java.util.Arrays.fill(out, gap * 2, 16 - tail * 2, (byte) 0);
        return out;
    }

    /** Lowercases ASCII letters; returns {@code s} itself when it has none in upper case. */
    private static String lowerAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch >= 'A' && ch <= 'Z') return s.toLowerCase(Locale.ROOT);
        }
        return s;
    }
}
