package io.switchyard.routing;

import io.switchyard.config.HostPort;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One target of one upstream as the data plane sees it: its parsed address, its weight in the current
 * table, and the number of connections (in-flight requests plus open tunnels) using it. The counter is
 * shared with the target of the same upstream and address in later tables, so {@code least_conn} keeps
 * counting tunnels opened before a swap. Thread-safe.
 */
public final class TargetState {
    private final String upstream;
    private final String address;
    private final HostPort hostPort;
    private final int weight;
    // Shared across tables (see compile): connections opened under an old table close under a new one.
    private final AtomicInteger active;

    TargetState(String upstream, String address, int weight, AtomicInteger active) {
        this.upstream = upstream;
        this.address = address;
        this.hostPort = HostPort.parse(address);
        this.weight = weight;
        this.active = active;
    }

    public String upstream() {
        return upstream;
    }

    public String address() {
        return address;
    }

    public HostPort hostPort() {
        return hostPort;
    }

    public int weight() {
        return weight;
    }

    public int active() {
        return active.get();
    }

    /** A connection (request or tunnel) started using this target. */
    public void opened() {
        active.incrementAndGet();
    }

    /** A connection counted by {@link #opened()} ended. */
    public void closed() {
        active.decrementAndGet();
    }

    AtomicInteger counter() {
        return active;
    }

    @Override
    public String toString() {
        return upstream + "/" + address;
    }
}
