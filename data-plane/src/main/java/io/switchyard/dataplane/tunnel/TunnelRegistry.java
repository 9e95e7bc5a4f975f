package io.switchyard.dataplane.tunnel;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The open tunnels of one data plane, for counting, drain and shutdown. Thread-safe. Internal. */
public final class TunnelRegistry {
    private final Set<Tunnel> open = ConcurrentHashMap.newKeySet();

    void add(Tunnel t) {
        open.add(t);
    }

    void remove(Tunnel t) {
        open.remove(t);
    }

    public int size() {
        return open.size();
    }

    /** A moment's copy; tunnels may close while the caller iterates it. */
    public List<Tunnel> snapshot() {
        return List.copyOf(open);
    }
}
