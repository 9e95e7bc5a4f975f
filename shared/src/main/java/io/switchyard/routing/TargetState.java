package io.switchyard.routing;

import io.switchyard.config.Health;
import io.switchyard.config.HostPort;
import io.switchyard.config.Target;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One target of one upstream as the data plane sees it: its parsed address, its weight in the current
 * table, and the number of connections (in-flight requests plus open tunnels) using it. The counter is
 * shared with the target of the same upstream and address in later tables, so {@code least_conn} keeps
 * counting tunnels opened before a swap. Its {@link TargetHealth} is shared the same way. Balancers pick it only
 * while it is {@link #available()}: {@code active} in the table and healthy. Thread-safe.
 */
public final class TargetState {
    private final String upstream;
    private final String address;
    private final HostPort hostPort;
    private final int weight;
    // Shared across tables (see compile): connections opened under an old table close under a new one.
    private final AtomicInteger active;
    private final Target.State state;
    private final TargetHealth health;
    private final Health.Passive passive;

    TargetState(String upstream, String address, int weight, AtomicInteger active) {
        this(upstream, address, weight, active, Target.State.ACTIVE, new TargetHealth(), Health.Passive.DEFAULTS);
    }

    TargetState(String upstream, String address, int weight, AtomicInteger active, Target.State state,
                TargetHealth health, Health.Passive passive) {
        this.upstream = upstream;
        this.address = address;
        this.hostPort = HostPort.parse(address);
        this.weight = weight;
        this.active = active;
        this.state = state;
        this.health = health;
        this.passive = passive;
    }

    /** The operator's state for this target in this table. */
    public Target.State state() {
        return state;
    }

    /** This target's health, shared with the same upstream and address in other tables. */
    public TargetHealth health() {
        return health;
    }

    /** Whether new work may go here: {@code active} and healthy. Allocation-free. */
    public boolean available() {
        return state == Target.State.ACTIVE && health.healthy();
    }

    /** Real traffic failed here; counted as its upstream's passive settings say. */
    public TargetHealth.Change failed(String why) {
        return health.passiveFailure(why, passive.maxFails(), passive.failTimeoutMs());
    }

    /** Real traffic succeeded here. */
    public TargetHealth.Change succeeded() {
        return health.passiveSuccess();
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
