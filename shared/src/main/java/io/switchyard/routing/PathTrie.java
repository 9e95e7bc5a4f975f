package io.switchyard.routing;

import java.util.HashMap;
import java.util.Map;

/**
 * Segment-aware longest-prefix match: one node per path segment, so a lookup walks at most as many
 * nodes as the request path has segments, whatever the number of routes. {@code /wss} matches
 * {@code /wss}, {@code /wss/} and {@code /wss/x}, never {@code /wssx}. Built during compile, then read-only.
 */
final class PathTrie {
    private static final class Node {
        final Map<String, Node> children = new HashMap<>(4);
        CompiledRoute route;
    }

    private final Node root = new Node();

    /** @param prefix normalized by {@link io.switchyard.config.Route}: starts with '/', no trailing '/' except the root */
    void put(String prefix, CompiledRoute route) {
        Node n = root;
        if (!prefix.equals("/")) {
            int i = 1;
            while (i <= prefix.length()) {
                int end = prefix.indexOf('/', i);
                if (end < 0) end = prefix.length();
                String seg = prefix.substring(i, end);
                n = n.children.computeIfAbsent(seg, k -> new Node());
                i = end + 1;
            }
        }
        n.route = route;
    }

    /** @param path the raw request path, without query */
    CompiledRoute longest(String path) {
        Node n = root;
        CompiledRoute best = n.route;
        if (path == null || path.isEmpty() || path.charAt(0) != '/') return best;
        int i = 1;
        int len = path.length();
        while (i <= len && !n.children.isEmpty()) {
            int end = path.indexOf('/', i);
            if (end < 0) end = len;
            Node next = n.children.get(path.substring(i, end));
            if (next == null) break;
            n = next;
            if (n.route != null) best = n.route;
            i = end + 1;
        }
        return best;
    }
}
