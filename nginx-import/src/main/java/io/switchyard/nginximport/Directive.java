package io.switchyard.nginximport;

import java.nio.file.Path;
import java.util.List;

/**
 * One nginx directive as written: its name, its arguments (quotes removed, escapes resolved), the
 * directives of its block ({@code null} for a simple directive ending in {@code ;}), and where it
 * stands: the file, the line of its name, and {@code endLine} where its {@code ;} or <code>{</code> stands
 * (the line nginx names when it refuses the directive). Immutable.
 */
public record Directive(String name, List<String> args, List<Directive> block, Path file, int line, int endLine) {
    public Directive {
        args = List.copyOf(args);
        block = block == null ? null : List.copyOf(block);
    }

    /** Why nginx would refuse this directive, at the line nginx would name. */
    NginxSyntaxException refused(String message) {
        return new NginxSyntaxException(file, endLine, message);
    }

    public boolean isBlock() {
        return block != null;
    }

    public String arg(int i) {
        return i < args.size() ? args.get(i) : null;
    }

    /** The directive as an operator would recognise it: name and arguments, shortened when long. */
    public String text() {
        StringBuilder sb = new StringBuilder(name);
        for (String a : args) {
            sb.append(' ');
            boolean quote = a.isEmpty() || a.chars().anyMatch(c -> c == ' ' || c == ';' || c == '{' || c == '}' || c == '"');
            sb.append(quote ? "'" + a + "'" : a);
        }
        String s = sb.length() > 72 ? sb.substring(0, 69) + "..." : sb.toString();
        return isBlock() ? s + " {}" : s;
    }
}
