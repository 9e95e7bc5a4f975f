package io.switchyard.host;

import java.util.HashMap;
import java.util.Map;

/**
 * Values by host name: exact names, one-label wildcards ({@code *.example.com} matches
 * {@code a.example.com}, neither {@code example.com} nor {@code a.b.example.com}) and a fallback.
 * One class for virtual hosts and SNI alike, so routing and TLS can never disagree about which
 * pattern a name falls under; every name goes through {@link HostNames#normalize}.
 *
 * <p>Immutable and thread-safe once built: compiled once per snapshot, then only read on the request
 * path, where a lookup is at most two hash probes. The individual lookups ({@link #exact},
 * {@link #wildcard}, {@link #fallback}) exist for callers that fall through when a value does not
 * serve (routing tries the exact host's routes, then the wildcard's, then the any-host routes).
 *
 * @param <V> the value kept per pattern (a path trie, a TLS context, ...)
 */
public final class HostMapping<V> {
    private static final HostMapping<?> EMPTY = new HostMapping<>(new HashMap<>(), new HashMap<>(), null);

    private final Map<String, V> exact;
    /** Keyed by the domain after {@code *.}. */
    private final Map<String, V> wildcard;
    private final V fallback;

    private HostMapping(Map<String, V> exact, Map<String, V> wildcard, V fallback) {
        this.exact = exact;
        this.wildcard = wildcard;
        this.fallback = fallback;
    }

    public static <V> Builder<V> builder() {
        return new Builder<>();
    }

    /** A mapping with no patterns and no fallback: every lookup answers null. */
    @SuppressWarnings("unchecked")
    public static <V> HostMapping<V> empty() {
        return (HostMapping<V>) EMPTY;
    }

    /** @param normalizedHost a host as {@link HostNames#normalize} returns it; null answers null */
    public V exact(String normalizedHost) {
        return normalizedHost == null ? null : exact.get(normalizedHost);
    }

    /** The value of the {@code *.domain} pattern covering exactly one more label than the domain; null when none. */
    public V wildcard(String normalizedHost) {
        if (normalizedHost == null || wildcard.isEmpty()) return null;
        int dot = normalizedHost.indexOf('.');
        if (dot <= 0 || dot == normalizedHost.length() - 1) return null;
        return wildcard.get(normalizedHost.substring(dot + 1));
    }

    /** The value for names no pattern matches; null when none was set. */
    public V fallback() {
        return fallback;
    }

    /**
     * The first non-null of {@link #exact}, {@link #wildcard} and {@link #fallback} for {@code host}.
     *
     * @param host any spelling a client may send (case, {@code :port}, trailing dot); normalized here
     */
    public V get(String host) {
        String h = HostNames.normalize(host);
        V v = exact(h);
        if (v != null) return v;
        v = wildcard(h);
        return v != null ? v : fallback;
    }

    /** Whether no pattern and no fallback were set. */
    public boolean isEmpty() {
        return exact.isEmpty() && wildcard.isEmpty() && fallback == null;
    }

    @Override
    public String toString() {
        return "HostMapping{exact=" + exact.keySet() + ", wildcard=" + wildcard.keySet().stream().map(d -> "*." + d).toList()
                + ", fallback=" + (fallback != null) + '}';
    }

    /** Collects patterns; not thread-safe (one builder per compile). */
    public static final class Builder<V> {
        private final Map<String, V> exact = new HashMap<>();
        private final Map<String, V> wildcard = new HashMap<>();
        private V fallback;

        private Builder() {
        }

        /**
         * @param pattern an exact name or {@code *.domain}; normalized (case, trailing dot) here
         * @throws IllegalArgumentException for a null/empty pattern, a '*' anywhere but a leading {@code *.},
         *                                  a null value or a pattern added twice
         */
        public Builder<V> add(String pattern, V value) {
            if (value == null) throw new IllegalArgumentException("value: null (expected: non-null for pattern " + pattern + ")");
            if (pattern == null) throw new IllegalArgumentException("pattern: null (expected: a host name or *.domain)");
            boolean wild = pattern.startsWith("*.");
            String name = HostNames.normalize(wild ? pattern.substring(2) : pattern);
            if (name == null || name.indexOf('*') >= 0 || name.startsWith(".") || (name.indexOf(':') < 0 && pattern.indexOf(':') >= 0))
                throw new IllegalArgumentException("pattern: " + pattern + " (expected: a host name or *.domain)");
            V prev = (wild ? wildcard : exact).putIfAbsent(name, value);
            if (prev != null) throw new IllegalArgumentException("pattern: " + pattern + " (expected: each pattern once)");
            return this;
        }

        /** The value for names no pattern matches; a later call replaces an earlier one. */
        public Builder<V> fallback(V value) {
            this.fallback = value;
            return this;
        }

        public HostMapping<V> build() {
            // HashMaps whatever their size (Map.copyOf picks a class by size): a lookup then calls one map class in every
            // mapping, and code compiled for one configuration is not thrown away when another has one host more or less.
            return new HostMapping<>(new HashMap<>(exact), new HashMap<>(wildcard), fallback);
        }
    }
}
