package io.switchyard.routing;

/**
 * Segment-aware longest-prefix match over one flat open-addressing table keyed by whole prefixes ({@code /a},
 * {@code /a/b}). A lookup hashes the request path once, left to right, and probes the table at each segment boundary
 * with the hash of the path up to there (the same value as the prefix's own {@link String#hashCode()}), comparing
 * the path's region with the key in place: no substring and no allocation per request, and at most as many probes as
 * the deepest prefix has segments, whatever the number of routes. {@code /wss} matches {@code /wss}, {@code /wss/}
 * and {@code /wss/x}, never {@code /wssx}.
 *
 * <p>A route costs two array slots here; its key is the route's own {@code path_prefix} string (no copy, no node per
 * segment), which keeps a table of 100,000 routes small in the heap.
 *
 * <p>Built during compile, then read-only (safe to share once published).
 */
final class PrefixTable {
    private static final int MIN_CAPACITY = 8;

    /** The route of prefix {@code /}, matched by every path starting with '/'. */
    private CompiledRoute root;
    private String[] keys = new String[MIN_CAPACITY];
    private CompiledRoute[] routes = new CompiledRoute[MIN_CAPACITY];
    private int size;
    /** The most segments any key has: a lookup stops probing past it. */
    private int maxDepth;

    /** @param prefix normalized by {@link io.switchyard.config.Route}: starts with '/', no trailing '/' except the root */
    void put(String prefix, CompiledRoute route) {
        if (prefix.equals("/")) {
            root = route;
            return;
        }
        if ((size + 1) * 2 > keys.length) grow();
        if (insert(keys, routes, prefix, route)) size++;
        int depth = 0;
        for (int i = 0; i < prefix.length(); i++) if (prefix.charAt(i) == '/') depth++;
        if (depth > maxDepth) maxDepth = depth;
    }

    /** @return whether {@code prefix} was new (false: its route was replaced) */
    private static boolean insert(String[] keys, CompiledRoute[] routes, String prefix, CompiledRoute route) {
        int mask = keys.length - 1;
        int i = spread(prefix.hashCode()) & mask;
        while (keys[i] != null) {
            if (keys[i].equals(prefix)) {
                routes[i] = route;
                return false;
            }
            i = (i + 1) & mask;
        }
        keys[i] = prefix;
        routes[i] = route;
        return true;
    }

    private void grow() {
        String[] k = new String[keys.length * 2];
        CompiledRoute[] r = new CompiledRoute[keys.length * 2];
        for (int i = 0; i < keys.length; i++) if (keys[i] != null) insert(k, r, keys[i], routes[i]);
        keys = k;
        routes = r;
    }

    /** @param path the raw request path, without query */
    CompiledRoute longest(String path) {
        CompiledRoute best = root;
        if (path == null || path.isEmpty() || path.charAt(0) != '/' || size == 0) return best;
        String[] k = keys;
        int mask = k.length - 1;
        int len = path.length();
        int h = '/';
        int depth = 0;
        for (int end = 1; end <= len; end++) {
            char ch = end < len ? path.charAt(end) : '/';
            if (ch == '/') {
                // path[0, end) is a candidate prefix (it never ends with '/': an empty segment matches no key)
                if (++depth > maxDepth) break;
                int i = spread(h) & mask;
                String key;
                while ((key = k[i]) != null) {
                    if (key.length() == end && key.hashCode() == h && path.startsWith(key)) {
                        best = routes[i];
                        break;
                    }
                    i = (i + 1) & mask;
                }
            }
            h = 31 * h + ch;
        }
        return best;
    }

    /** Mixes the high bits down, as {@link java.util.HashMap} does: prefixes that differ at the end spread well. */
    private static int spread(int h) {
        return h ^ (h >>> 16);
    }
}
