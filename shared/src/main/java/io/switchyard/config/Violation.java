package io.switchyard.config;

/**
 * One reason a configuration was rejected: the field (a JSON path such as
 * {@code upstreams[0].targets[1].weight}) and a one-line message that includes the bad value.
 */
public record Violation(String field, String message) {
    public Violation {
        if (field == null) field = "";
        if (message == null) message = "invalid";
    }

    /** This violation with {@code prefix} put in front of its field path. */
    public Violation under(String prefix) {
        if (prefix == null || prefix.isEmpty()) return this;
        if (field.isEmpty()) return new Violation(prefix, message);
        return new Violation(field.startsWith("[") ? prefix + field : prefix + "." + field, message);
    }

    @Override
    public String toString() {
        return field.isEmpty() ? message : field + ": " + message;
    }
}
