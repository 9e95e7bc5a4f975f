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

    /** Letters, digits, '.', '_', '-', 1-128 long, starting with a letter or digit. A loop, not a regex: it runs per entity on every push. */
    static boolean isName(String s) {
        if (s == null || s.isEmpty() || s.length() > 128) return false;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            boolean alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
            if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-'))) return false;
        }
        return true;
    }

    static final String NAME_RULE = "(expected: 1-128 of letters, digits, '.', '_', '-', starting with a letter or digit)";
}
