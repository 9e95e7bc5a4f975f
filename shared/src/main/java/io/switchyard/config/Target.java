package io.switchyard.config;

/**
 * One backend server of an upstream: {@code host:port} (IPv6 as {@code [::1]:8080}) and a weight.
 */
public record Target(String address, Integer weight) {
    public static final int MAX_WEIGHT = 1000;

    public Target {
        if (weight == null) weight = 1;
        Checks c = new Checks();
        if (weight <= 0 || weight > MAX_WEIGHT) c.check(false, "weight", weight + " (expected: > 0 and <= " + MAX_WEIGHT + ")");
        try {
            HostPort.parse(address);
        } catch (IllegalArgumentException e) {
            c.check(false, "address", e.getMessage());
        }
        c.throwIfAny();
    }

    public Target(String address) {
        this(address, 1);
    }

    /** The parsed address; cheap, but callers on a hot path should keep the result. */
    public HostPort hostPort() {
        return HostPort.parse(address);
    }
}
