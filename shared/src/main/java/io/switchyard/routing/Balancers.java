package io.switchyard.routing;

import io.switchyard.config.Balance;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** The balancing algorithms. Package-private: tables build them, the data plane sees {@link Balancer}. */
final class Balancers {
    private Balancers() {
    }

    static Balancer of(Balance balance, List<TargetState> targets) {
        return of(balance, targets, false);
    }

    /**
     * Every algorithm skips targets that are not {@link TargetState#available() available} (draining, disabled or
     * unhealthy). When none is left: null (the caller answers 503), or with {@code panic} the least recently failed
     * {@code active} target (Envoy's panic mode: a guess beats a certain 503).
     */
    static Balancer of(Balance balance, List<TargetState> targets, boolean panic) {
        return switch (balance) {
            case ROUND_ROBIN -> new SmoothWeightedRoundRobin(targets, panic);
            case LEAST_CONN -> new LeastConn(targets, panic);
            case IP_HASH -> new IpHash(targets, panic);
        };
    }

    /** The {@code active} target not yet tried whose last failure is oldest (never failed counts oldest); null when none. */
    static TargetState leastRecentlyFailed(List<TargetState> targets, Collection<TargetState> tried) {
        TargetState best = null;
        long bestAt = 0;
        for (int i = 0; i < targets.size(); i++) {
            TargetState t = targets.get(i);
            if (t.state() != io.switchyard.config.Target.State.ACTIVE) continue;
            if (!tried.isEmpty() && tried.contains(t)) continue;
            long at = t.health().lastFailureNanos();
            if (best == null || (bestAt != 0 && (at == 0 || at - bestAt < 0))) {
                best = t;
                bestAt = at;
            }
        }
        return best;
    }

    /**
     * nginx's smooth weighted round robin: each pick adds every weight to its current value, takes the
     * largest, and subtracts the total from it. Weights 5,1,1 give a,a,b,a,c,a,a instead of a burst of five.
     */
    static final class SmoothWeightedRoundRobin implements Balancer {
        private final List<TargetState> targets;
        // Guarded by this: the current weights are one unit of mutable state; picks are rare next to bytes
        // relayed and the section is a few array operations, so a monitor costs less than a lock-free scheme.
        private final int[] current;

        private final boolean panic;

        SmoothWeightedRoundRobin(List<TargetState> targets, boolean panic) {
            this.targets = List.copyOf(targets);
            this.panic = panic;
            this.current = new int[targets.size()];
        }

        @Override
        public synchronized TargetState pick(byte[] clientIp, Collection<TargetState> tried) {
            int best = -1;
            int total = 0;
            for (int i = 0; i < targets.size(); i++) {
                TargetState t = targets.get(i);
                if (!t.available() || (!tried.isEmpty() && tried.contains(t))) continue;
                current[i] += t.weight();
                total += t.weight();
                if (best < 0 || current[i] > current[best]) best = i;
            }
            if (best < 0) return panic ? leastRecentlyFailed(targets, tried) : null;
            current[best] -= total;
            return targets.get(best);
        }

        @Override
        public List<TargetState> targets() {
            return targets;
        }
    }

    /**
     * Fewest active connections relative to weight (active/weight, compared by cross-multiplying); ties
     * go round robin so that a burst of new tunnels on an idle upstream still spreads.
     */
    static final class LeastConn implements Balancer {
        private final List<TargetState> targets;
        private final AtomicInteger tieBreak = new AtomicInteger();

        private final boolean panic;

        LeastConn(List<TargetState> targets, boolean panic) {
            this.targets = List.copyOf(targets);
            this.panic = panic;
        }

        @Override
        public TargetState pick(byte[] clientIp, Collection<TargetState> tried) {
            int n = targets.size();
            if (n == 0) return null;
            int start = Math.floorMod(tieBreak.getAndIncrement(), n);
            TargetState best = null;
            for (int k = 0; k < n; k++) {
                TargetState t = targets.get((start + k) % n);
                if (!t.available() || (!tried.isEmpty() && tried.contains(t))) continue;
                if (best == null || (long) t.active() * best.weight() < (long) best.active() * t.weight()) best = t;
            }
            return best != null || !panic ? best : leastRecentlyFailed(targets, tried);
        }

        @Override
        public List<TargetState> targets() {
            return targets;
        }
    }

    /**
     * Weighted rendezvous (highest random weight) hashing of the client address: a client keeps its
     * target while that target exists, and removing one target moves only the clients that were on it.
     */
    static final class IpHash implements Balancer {
        private final List<TargetState> targets;
        private final long[] seeds;

        private final boolean panic;

        IpHash(List<TargetState> targets, boolean panic) {
            this.targets = List.copyOf(targets);
            this.panic = panic;
            this.seeds = new long[targets.size()];
            for (int i = 0; i < seeds.length; i++) seeds[i] = fnv(targets.get(i).address().getBytes(java.nio.charset.StandardCharsets.UTF_8), 0xcbf29ce484222325L);
        }

        @Override
        public TargetState pick(byte[] clientIp, Collection<TargetState> tried) {
            byte[] ip = clientIp == null ? new byte[0] : clientIp;
            TargetState best = null;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < targets.size(); i++) {
                TargetState t = targets.get(i);
                if (!t.available() || (!tried.isEmpty() && tried.contains(t))) continue;
                long h = mix(fnv(ip, seeds[i]));
                // Uniform in (0,1); score = -w / ln(u) is the standard weighted rendezvous form.
                double u = ((h >>> 11) + 1) / (double) ((1L << 53) + 1);
                double score = -t.weight() / Math.log(u);
                if (score > bestScore) {
                    bestScore = score;
                    best = t;
                }
            }
            return best != null || !panic ? best : leastRecentlyFailed(targets, tried);
        }

        @Override
        public List<TargetState> targets() {
            return targets;
        }

        private static long fnv(byte[] data, long seed) {
            long h = seed;
            for (byte b : data) {
                h ^= (b & 0xff);
                h *= 0x100000001b3L;
            }
            return h;
        }

        private static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
            z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
            return z ^ (z >>> 31);
        }
    }
}
