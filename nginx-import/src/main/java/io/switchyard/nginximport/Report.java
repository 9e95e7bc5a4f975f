package io.switchyard.nginximport;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What became of each directive of an nginx configuration, in reading order. Each line says where
 * the directive stands, the directive, and what it became in the document (or why it did not carry).
 * Not thread-safe; one translation fills one report.
 */
public final class Report {
    /** How a directive fared. */
    public enum Outcome {
        /** Carried into the document. */
        CARRIED,
        /** What Switchyard does on every route anyway. */
        BUILT_IN,
        /** Nothing to carry, or a flag to use: worth knowing, nothing lost. */
        NOTE,
        /** Not carried: the document cannot say it. Makes the import partial (exit 3). */
        NOT_CARRIED
    }

    /** One line of the report. {@code file} is null for lines about the configuration as a whole. */
    public record Line(Path file, int line, String directive, Outcome outcome, String message) {
        @Override
        public String toString() {
            String where = file == null ? "(all)" : file + ":" + line;
            String what = switch (outcome) {
                case BUILT_IN -> "built in: " + message;
                case NOT_CARRIED -> "not carried: " + message;
                default -> message;
            };
            return where + " " + directive + " \u2192 " + what;
        }
    }

    private final List<Line> lines = new ArrayList<>();

    void add(Directive d, Outcome outcome, String message) {
        lines.add(new Line(d.file(), d.line(), d.text(), outcome, message));
    }

    void carried(Directive d, String message) {
        add(d, Outcome.CARRIED, message);
    }

    void builtIn(Directive d, String message) {
        add(d, Outcome.BUILT_IN, message);
    }

    void note(Directive d, String message) {
        add(d, Outcome.NOTE, message);
    }

    void notCarried(Directive d, String message) {
        add(d, Outcome.NOT_CARRIED, message);
    }

    void addLine(Line l) {
        lines.add(l);
    }

    void general(String subject, Outcome outcome, String message) {
        lines.add(new Line(null, 0, subject, outcome, message));
    }

    public List<Line> lines() {
        return List.copyOf(lines);
    }

    /** True when every directive carried (or needed nothing): exit 0. */
    public boolean complete() {
        return lines.stream().noneMatch(l -> l.outcome() == Outcome.NOT_CARRIED);
    }

    public long count(Outcome o) {
        return lines.stream().filter(l -> l.outcome() == o).count();
    }

    /** The last line: how many directives fared how. */
    public String summary() {
        return "import: " + count(Outcome.CARRIED) + " carried, " + count(Outcome.BUILT_IN) + " built in, "
                + count(Outcome.NOTE) + " noted, " + count(Outcome.NOT_CARRIED) + " not carried";
    }
}
