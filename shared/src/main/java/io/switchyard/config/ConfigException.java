package io.switchyard.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Thrown when a configuration (or a part of one) fails validation. Carries every violation found
 * at the level where validation happened, each naming its field, so an API can answer with all of
 * them at once and a CLI can print a one-line message.
 */
public final class ConfigException extends IllegalArgumentException {
    private final List<Violation> violations;

    public ConfigException(List<Violation> violations) {
        super(violations.stream().map(Violation::toString).collect(Collectors.joining("; ")));
        if (violations.isEmpty()) throw new IllegalArgumentException("violations: empty (expected: at least one)");
        this.violations = List.copyOf(violations);
    }

    public ConfigException(String field, String message) {
        this(List.of(new Violation(field, message)));
    }

    public List<Violation> violations() {
        return violations;
    }

    /** The same violations with every field path put under {@code prefix} (e.g. {@code routes[2]}). */
    public ConfigException under(String prefix) {
        return new ConfigException(violations.stream().map(v -> v.under(prefix)).toList());
    }
}
