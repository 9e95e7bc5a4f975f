package io.switchyard.routing;

/**
 * Normalizes a request path so that the proxy routes on the path the upstream will serve, and sends
 * that same path upstream. Without it, {@code /public/../admin} or {@code /public/%2e%2e/admin} is
 * routed by a {@code /public} route and then resolved to {@code /admin} by the upstream, bypassing
 * path-based separation. What could be read two ways is refused with {@link BadPathException} (400).
 *
 * <p>Rules, each beside the peers' defaults:
 * <ol>
 * <li><b>Characters.</b> The path starts with '/' and holds only RFC 3986 {@code pchar} (unreserved,
 *     sub-delims, ':', '@', pct-encoded) and '/'. Anything else raw (space, control bytes, '\', '"', {@code '<'},
 *     {@code '>'}, '^', '`', '&#123;', '|', '&#125;', '#', '?', bytes from 0x7f up) is refused.
 *     nginx: 400 for control bytes and space (since 1.21.1); a raw '\' and the other unsafe characters are accepted and forwarded.
 *     Envoy: its HTTP/1 codec refuses control bytes and spaces in the request-target.
 *     HAProxy: 400 for characters outside its URI set unless {@code option accept-invalid-http-request}.</li>
 * <li><b>Percent-decoding.</b> {@code %XX} of an unreserved character (ALPHA, DIGIT, '-', '.', '_', '~') is
 *     decoded; every other valid escape is kept, hex in upper case; a malformed escape ({@code %}, {@code %4},
 *     {@code %zz}) is refused; an encoded '/' ({@code %2F}), '\' ({@code %5C}) or NUL ({@code %00}) is refused,
 *     because upstreams disagree on whether it separates segments.
 *     nginx: decodes every escape before matching locations, yet sends the raw URI upstream with a URI-less {@code proxy_pass}.
 *     Envoy: no decoding by default ({@code normalize_path} off); {@code path_with_escaped_slashes_action} keeps {@code %2F} by default.
 *     HAProxy: forwards the path as received; {@code http-request normalize-uri percent-decode-unreserved} is opt-in.</li>
 * <li><b>Dot segments</b> ({@code .} and {@code ..}, encoded ones included, since decoding comes first) are
 *     resolved as RFC 3986 §5.2.4 does; a {@code ..} above the root is refused; a dot segment with
 *     parameters ({@code .;x}, {@code ..;x}, which Java servlet containers read as a dot segment) is refused.
 *     A trailing {@code /.} or {@code /..} leaves a trailing '/'.
 *     nginx: resolves them for matching, 400 for {@code ..} above the root.
 *     Envoy: resolves them only with {@code normalize_path} (off by default).
 *     HAProxy: forwards them unless {@code http-request normalize-uri path-strip-dotdot} is configured.</li>
 * <li><b>Repeated slashes</b> are merged when {@code mergeSlashes} (a route's {@code merge_slashes}, default true).
 *     nginx: {@code merge_slashes on} by default.
 *     Envoy: {@code merge_slashes} false by default.
 *     HAProxy: kept unless {@code http-request normalize-uri path-merge-slashes}.</li>
 * </ol>
 *
 * <p>Stateless and thread-safe. The common case, a path that is already normal, costs one scan and
 * returns the very same String.
 */
public final class RequestPaths {
    /** Allowed raw, besides '%' (checked as an escape) and '/': RFC 3986 unreserved, sub-delims, ':' and '@'. */
    private static final boolean[] PCHAR = new boolean[128];
    /** Characters whose escape is decoded: RFC 3986 unreserved. */
    private static final boolean[] UNRESERVED = new boolean[128];
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    static {
        for (char c = 'a'; c <= 'z'; c++) UNRESERVED[c] = true;
        for (char c = 'A'; c <= 'Z'; c++) UNRESERVED[c] = true;
        for (char c = '0'; c <= '9'; c++) UNRESERVED[c] = true;
        for (char c : "-._~".toCharArray()) UNRESERVED[c] = true;
        System.arraycopy(UNRESERVED, 0, PCHAR, 0, 128);
        for (char c : "!$&'()*+,;=:@".toCharArray()) PCHAR[c] = true;
    }

    private RequestPaths() {
    }

    /**
     * @param rawPath      the path of the request target as received, without the query (the caller splits at the first '?')
     * @param mergeSlashes whether runs of '/' become one
     * @return the normalized path; {@code rawPath} itself when it is already normal
     * @throws BadPathException when the path has no single meaning; its {@link BadPathException#reason()} says why
     */
    public static String normalize(String rawPath, boolean mergeSlashes) {
        if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/')
            throw new BadPathException("path must start with '/'");
        int len = rawPath.length();
        boolean work = false;
        for (int i = 0; i < len; i++) {
            char ch = rawPath.charAt(i);
            if (ch == '/') {
                if (i + 1 < len) {
                    char next = rawPath.charAt(i + 1);
                    if (next == '.' || (next == '/' && mergeSlashes)) work = true;
                }
            } else if (ch == '%') {
                work = true;
            } else if (ch >= 128 || !PCHAR[ch]) {
                throw new BadPathException(describe(ch) + " in path");
            }
        }
        return work ? slow(rawPath, mergeSlashes) : rawPath;
    }

    private static String describe(char ch) {
        if (ch < 0x20 || ch == 0x7f) return String.format("control byte 0x%02X", (int) ch);
        if (ch == ' ') return "space";
        if (ch >= 0x80) return "non-ASCII character";
        return "character '" + ch + "'";
    }

    private static String slow(String raw, boolean mergeSlashes) {
        String decoded = decode(raw);
        // Segments after the leading '/'; out holds the start offsets of the segments kept.
        StringBuilder out = new StringBuilder(decoded.length());
        int[] starts = new int[decoded.length() + 1];
        int depth = 0;
        int len = decoded.length();
        int i = 1;
        while (true) {
            int end = decoded.indexOf('/', i);
            boolean last = end < 0;
            if (last) end = len;
            int segLen = end - i;
            if (isDot(decoded, i, end)) {
                if (last) {
                    out.append('/');
                    break;
                }
            } else if (isDotDot(decoded, i, end)) {
                if (depth == 0) throw new BadPathException("'..' above the root in path");
                depth--;
                out.setLength(starts[depth]);
                if (last) {
                    out.append('/');
                    break;
                }
            } else if (segLen == 0 && !last && mergeSlashes) {
                // one of a run of '/': merged
            } else {
                if (isDottedWithParameters(decoded, i, end)) throw new BadPathException("dot segment with parameters in path");
                starts[depth++] = out.length();
                out.append('/').append(decoded, i, end);
                if (last) break;
            }
            i = end + 1;
        }
        if (out.length() == 0) out.append('/');
        String result = out.toString();
        return result.equals(raw) ? raw : result;
    }

    private static boolean isDot(String s, int from, int to) {
        return to - from == 1 && s.charAt(from) == '.';
    }

    private static boolean isDotDot(String s, int from, int to) {
        return to - from == 2 && s.charAt(from) == '.' && s.charAt(from + 1) == '.';
    }

    /** {@code .;x} or {@code ..;x} (';' raw or as {@code %3B}). */
    private static boolean isDottedWithParameters(String s, int from, int to) {
        int i = from;
        if (i < to && s.charAt(i) == '.') i++;
        else return false;
        if (i < to && s.charAt(i) == '.') i++;
        return i < to && (s.charAt(i) == ';' || s.startsWith("%3B", i));
    }

    /** Decodes unreserved escapes, upper-cases the others' hex, refuses malformed and dangerous ones. */
    private static String decode(String raw) {
        if (raw.indexOf('%') < 0) return raw;
        StringBuilder sb = new StringBuilder(raw.length());
        int len = raw.length();
        for (int i = 0; i < len; i++) {
            char ch = raw.charAt(i);
            if (ch != '%') {
                sb.append(ch);
                continue;
            }
            int hi = i + 1 < len ? hex(raw.charAt(i + 1)) : -1;
            int lo = i + 2 < len ? hex(raw.charAt(i + 2)) : -1;
            if (hi < 0 || lo < 0) throw new BadPathException("malformed percent-encoding in path");
            int v = (hi << 4) | lo;
            if (v == '/') throw new BadPathException("encoded '/' in path");
            if (v == '\\') throw new BadPathException("encoded '\\' in path");
            if (v == 0) throw new BadPathException("encoded NUL in path");
            if (v < 128 && UNRESERVED[v]) sb.append((char) v);
            else sb.append('%').append(HEX[hi]).append(HEX[lo]);
            i += 2;
        }
        return sb.toString();
    }

    private static int hex(char ch) {
        if (ch >= '0' && ch <= '9') return ch - '0';
        if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
        return -1;
    }
}
