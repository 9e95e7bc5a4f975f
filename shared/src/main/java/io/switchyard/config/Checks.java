package io.switchyard.config;

import java.util.ArrayList;
import java.util.List;

/** Collects violations during one record's validation, then throws them together. */
final class Checks {
    private final List<Violation> violations = new ArrayList<>();

    Checks check(boolean ok, String field, String message) {
        if (!ok) violations.add(new Violation(field, message));
        return this;
    }

    Checks add(Violation v) {
        violations.add(v);
        return this;
    }

    Checks addAll(ConfigException e, String prefix) {
        for (Violation v : e.violations()) violations.add(v.under(prefix));
        return this;
    }

    boolean ok() {
        return violations.isEmpty();
    }

    void throwIfAny() {
        if (!violations.isEmpty()) throw new ConfigException(violations);
    }

    static String quote(Object value) {
        return value == null ? "null" : "\"" + value + "\"";
    }

    static boolean isName(String s) {
        return s != null && s.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    }

    static final String NAME_RULE = "(expected: 1-128 of letters, digits, '.', '_', '-', starting with a letter or digit)";
}
