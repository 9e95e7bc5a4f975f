package io.switchyard.routing;

/**
 * What one node knows of one target's health, shared by every table that has the same upstream and address (like
 * the connection counter), so a snapshot swap neither forgets a dead target nor revives it. Two sources: active probes
 * ({@link #probed}) and failures of real traffic ({@link #passiveFailure}). The request path reads two volatile fields
 * and allocates nothing; writers are rare (a failure, a probe result) and take this object's monitor.
 *
 * <p>Methods that change state return whether the target's health turned, so the caller logs each transition once.
 * Thread-safe.
 */
public final class TargetHealth {
    /** What a health transition was. */
    public enum Change {
        NONE, BECAME_UNHEALTHY, BECAME_HEALTHY
    }

    // False only while active probes say so (unhealthy_threshold failures in a row until healthy_threshold successes).
    private volatile boolean probedHealthy = true;
    // System.nanoTime() until which passive checks keep the target out; 0 when they do not.
    private volatile long passiveDownUntil;
    // System.nanoTime() of the last failure of either kind; 0 for never.
    private volatile long lastFailureNanos;
    private volatile String lastFailure;
    private volatile long lastCheckMillis;
    // Written under this; volatile so a success can see without the lock that there is nothing to reset.
    private volatile int passiveFails;
    // Guarded by this.
    private int probeSuccesses;
    private int probeFailures;
    private long passiveWindowStart;

    /** Whether new work may go here now, as far as health goes. */
    public boolean healthy() {
        if (!probedHealthy) return false;
        long until = passiveDownUntil;
        return until == 0 || System.nanoTime() - until >= 0;
    }

    /** System.nanoTime() of the last failure seen; 0 when none. */
    public long lastFailureNanos() {
        return lastFailureNanos;
    }

    /** Why the last failure was one (e.g. {@code "connect refused"}), or null. */
    public String lastFailure() {
        return lastFailure;
    }

    /** Wall-clock time of the last probe result; 0 before the first. */
    public long lastCheckMillis() {
        return lastCheckMillis;
    }

    /**
     * Real traffic failed here (a failed or timed-out connect, a refused handshake). {@code maxFails} of them within
     * {@code failTimeoutMs} take the target out for {@code failTimeoutMs} (nginx's {@code max_fails}/{@code fail_timeout});
     * {@code maxFails} 0 records the failure only.
     */
    public synchronized Change passiveFailure(String why, int maxFails, long failTimeoutMs) {
        long now = System.nanoTime();
        lastFailureNanos = now;
        lastFailure = why;
        if (maxFails <= 0) return Change.NONE;
        long window = failTimeoutMs * 1_000_000L;
        if (passiveFails == 0 || now - passiveWindowStart > window) {
            passiveWindowStart = now;
            passiveFails = 0;
        }
        if (++passiveFails < maxFails) return Change.NONE;
        passiveFails = 0;
        boolean wasHealthy = healthy();
        passiveDownUntil = (now + window) == 0 ? 1 : now + window;
        return wasHealthy ? Change.BECAME_UNHEALTHY : Change.NONE;
    }

    /**
     * Real traffic succeeded here (a connection made, a handshake accepted): the failure count starts again and a
     * passive hold ends early. Cheap when there is nothing to reset: two volatile reads, no lock.
     */
    public Change passiveSuccess() {
        if (passiveDownUntil == 0 && passiveFails == 0) return Change.NONE;
        synchronized (this) {
            passiveFails = 0;
            if (passiveDownUntil == 0) return Change.NONE;
            boolean wasHealthy = healthy();
            passiveDownUntil = 0;
            return !wasHealthy && probedHealthy ? Change.BECAME_HEALTHY : Change.NONE;
        }
    }

    /**
     * One active probe's result. {@code unhealthyThreshold} failures in a row make the target unhealthy,
     * {@code healthyThreshold} successes in a row healthy.
     *
     * @param why null for a success, else what failed
     */
    public synchronized Change probed(String why, int healthyThreshold, int unhealthyThreshold) {
        lastCheckMillis = System.currentTimeMillis();
        boolean was = healthy();
        if (why == null) {
            probeFailures = 0;
            if (++probeSuccesses >= healthyThreshold && !probedHealthy) {
                probedHealthy = true;
                // A probe that passes shows the target is back: a passive hold from before ends with it.
                passiveDownUntil = 0;
            }
        } else {
            lastFailureNanos = System.nanoTime();
            lastFailure = why;
            probeSuccesses = 0;
            if (++probeFailures >= unhealthyThreshold) probedHealthy = false;
        }
        boolean now = healthy();
        return was == now ? Change.NONE : now ? Change.BECAME_HEALTHY : Change.BECAME_UNHEALTHY;
    }

    /** Active probes stopped for this target (the upstream no longer has them): their verdict no longer counts. */
    public synchronized void probesStopped() {
        probedHealthy = true;
        probeSuccesses = 0;
        probeFailures = 0;
    }
}
