package io.switchyard.nginximport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;

/**
 * Reads an nginx configuration the way nginx's own reader does: words separated by blanks, single
 * or double quotes (with {@code \"}, {@code \'}, {@code \\}, {@code \t}, {@code \r}, {@code \n}
 * escapes), {@code #} comments, {@code ;} ending a directive, {@code { }} blocks, {@code ${var}}
 * inside a word. {@code include} is expanded where it stands: a relative path is resolved against
 * the directory of the main file (nginx's configuration prefix), a path with {@code * ? [} is a glob
 * whose matches are read in name order, a glob matching nothing is no error. Every directive keeps
 * its file and line. Anything nginx would refuse to read throws {@link NginxSyntaxException}.
 * Not thread-safe; one instance reads one configuration.
 */
public final class NginxParser {
    /** Directives that must have a block; any other known directive must end with ';'. */
    private static final Set<String> BLOCKS = Set.of("http", "location", "upstream", "map", "events",
            "types", "if", "limit_except", "stream", "mail", "geo", "split_clients", "match");
    private static final Set<String> SIMPLE = Set.of("include", "listen", "server_name", "proxy_pass",
            "proxy_set_header", "proxy_read_timeout", "proxy_send_timeout", "proxy_connect_timeout",
            "ssl_certificate", "ssl_certificate_key", "ip_hash", "least_conn", "hash", "proxy_http_version",
            "access_log", "error_log", "worker_processes", "pid", "user", "root", "return", "rewrite");
    private static final int MAX_INCLUDE_DEPTH = 32;

    private final Path prefix;
    private final Path shownPrefix;
    private final Deque<Path> including = new ArrayDeque<>();

    private NginxParser(Path prefix, Path shownPrefix) {
        this.prefix = prefix;
        this.shownPrefix = shownPrefix;
    }

    /** Reads {@code main} and everything it includes. */
    public static List<Directive> parse(Path main) {
        Path abs = main.toAbsolutePath().normalize();
        return new NginxParser(abs.getParent(), main.getParent()).file(abs, main, null);
    }

    /** Reads text as if it were the file {@code name} (includes resolve against {@code name}'s directory). */
    public static List<Directive> parse(String text, Path name) {
        Path abs = name.toAbsolutePath().normalize();
        NginxParser p = new NginxParser(abs.getParent(), name.getParent());
        p.including.push(abs);
        return new Reader(p, text, name).readAll();
    }

    /** Reads one file; {@code inc} is the include that names it (null for the main file), blamed when it cannot be read. */
    private List<Directive> file(Path abs, Path shown, Directive inc) {
        String text;
        try {
            text = Files.readString(abs, StandardCharsets.UTF_8);
        } catch (IOException e) {
            String why = "cannot read " + shown + " (" + (e instanceof NoSuchFileException ? "no such file" : e.getMessage()) + ")";
            throw inc == null ? new NginxSyntaxException(shown, 0, why) : inc.refused(why);
        }
        including.push(abs);
        try {
            return new Reader(this, text, shown).readAll();
        } finally {
            including.pop();
        }
    }

    /** The directives an {@code include} stands for, in order. */
    private List<Directive> include(Directive inc) {
        if (inc.args().size() != 1)
            throw inc.refused("invalid number of arguments in \"include\" directive");
        if (including.size() > MAX_INCLUDE_DEPTH)
            throw inc.refused("include nested deeper than " + MAX_INCLUDE_DEPTH + " files (a cycle?)");
        String pattern = inc.arg(0);
        Path target = prefix.resolve(pattern).normalize();
        List<Path> files;
        if (pattern.chars().anyMatch(c -> c == '*' || c == '?' || c == '[')) {
            files = glob(target, inc);
        } else {
            if (!Files.isRegularFile(target))
                throw inc.refused("include \"" + pattern + "\": no such file (" + target + ")");
            files = List.of(target);
        }
        List<Directive> out = new ArrayList<>();
        for (Path f : files) {
            if (including.contains(f))
                throw inc.refused("include \"" + pattern + "\" includes " + f + " again (a cycle)");
            out.addAll(file(f, shown(f), inc));
        }
        return out;
    }

    /** How a file is named in messages: beside the main file as the user named it, when inside its directory. */
    private Path shown(Path f) {
        if (!f.startsWith(prefix)) return f;
        Path rel = prefix.relativize(f);
        return shownPrefix == null ? rel : shownPrefix.resolve(rel);
    }

    /** Expands a glob component by component (a wildcard may stand in any directory name), sorted like glob(3). */
    private static List<Path> glob(Path pattern, Directive inc) {
        Path root = pattern.getRoot();
        List<Path> current = List.of(root);
        for (Path part : pattern) {
            String p = part.toString();
            List<Path> next = new ArrayList<>();
            boolean wild = p.chars().anyMatch(c -> c == '*' || c == '?' || c == '[');
            for (Path dir : current) {
                if (!wild) {
                    Path c = dir.resolve(p);
                    if (Files.exists(c)) next.add(c);
                    continue;
                }
                if (!Files.isDirectory(dir)) continue;
                PathMatcher m;
                try {
                    m = FileSystems.getDefault().getPathMatcher("glob:" + p);
                } catch (IllegalArgumentException e) {
                    throw inc.refused("include \"" + inc.arg(0) + "\": bad pattern (" + e.getMessage() + ")");
                }
                List<Path> matched = new ArrayList<>();
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                    for (Path c : ds) {
                        String n = c.getFileName().toString();
                        if (n.startsWith(".") && !p.startsWith(".")) continue;
                        if (m.matches(c.getFileName())) matched.add(c);
                    }
                } catch (IOException e) {
                    throw inc.refused("include \"" + inc.arg(0) + "\": cannot list " + dir);
                }
                matched.sort(null);
                next.addAll(matched);
            }
            current = next;
        }
        return current.stream().filter(Files::isRegularFile).toList();
    }

    /** Tokenizer and block reader over one file's text. */
    private static final class Reader {
        private final NginxParser parser;
        private final String s;
        private final Path file;
        private int pos;
        private int line = 1;

        Reader(NginxParser parser, String text, Path file) {
            this.parser = parser;
            this.s = text;
            this.file = file;
        }

        List<Directive> readAll() {
            List<Directive> out = new ArrayList<>();
            Character end = block(out, 0);
            if (end != null) throw error("unexpected \"}\"");
            return out;
        }

        /** Reads directives into {@code out} until '}' (returned) or the end of the file (null). */
        private Character block(List<Directive> out, int openLine) {
            List<String> words = new ArrayList<>();
            int firstLine = 0;
            while (true) {
                int c = skipBlanksAndComments();
                if (c < 0) {
                    if (!words.isEmpty()) throw error("unexpected end of file, expecting \";\" or \"}\"");
                    if (openLine > 0) throw error("unexpected end of file, expecting \"}\"");
                    return null;
                }
                char ch = (char) c;
                if (ch == ';' || ch == '{') {
                    pos++;
                    if (words.isEmpty()) throw error("unexpected \"" + ch + "\"");
                    String name = words.get(0);
                    List<String> args = words.subList(1, words.size());
                    if (ch == '{') {
                        if (SIMPLE.contains(name)) throw error("directive \"" + name + "\" is not terminated by \";\"");
                        int endLine = line;
                        List<Directive> children = new ArrayList<>();
                        Character end = block(children, firstLine);
                        if (end == null) throw error("unexpected end of file, expecting \"}\"");
                        out.add(new Directive(name, args, children, file, firstLine, endLine));
                    } else {
                        if (BLOCKS.contains(name)) throw error("directive \"" + name + "\" has no opening \"{\"");
                        Directive d = new Directive(name, args, null, file, firstLine, line);
                        if (name.equals("include")) out.addAll(parser.include(d));
                        else out.add(d);
                    }
                    words = new ArrayList<>();
                    continue;
                }
                if (ch == '}') {
                    pos++;
                    if (!words.isEmpty()) throw error("unexpected \"}\"");
                    if (openLine == 0) throw error("unexpected \"}\"");
                    return '}';
                }
                if (words.isEmpty()) firstLine = line;
                words.add(ch == '"' || ch == '\'' ? quoted(ch) : word());
            }
        }

        /** Skips blanks and comments; returns the next character without consuming it, or -1 at the end. */
        private int skipBlanksAndComments() {
            while (pos < s.length()) {
                char ch = s.charAt(pos);
                if (ch == '\n') {
                    line++;
                    pos++;
                } else if (ch == ' ' || ch == '\t' || ch == '\r') {
                    pos++;
                } else if (ch == '#') {
                    while (pos < s.length() && s.charAt(pos) != '\n') pos++;
                } else {
                    return ch;
                }
            }
            return -1;
        }

        private String quoted(char q) {
            int startLine = line;
            pos++;
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (pos >= s.length())
                    throw error("unexpected end of file, expecting \";\" or \"}\" (the quote opened at line " + startLine + " is never closed)");
                char ch = s.charAt(pos++);
                if (ch == '\n') line++;
                if (ch == '\\' && pos < s.length()) {
                    char n = s.charAt(pos++);
                    if (n == '\n') line++;
                    sb.append(unescape(n));
                    continue;
                }
                if (ch == q) break;
                sb.append(ch);
            }
            // nginx wants a blank, ';' or '{' right after a closing quote.
            if (pos < s.length()) {
                char n = s.charAt(pos);
                if (!(n == ' ' || n == '\t' || n == '\r' || n == '\n' || n == ';' || n == '{' || n == ')'))
                    throw error("unexpected \"" + n + "\"");
            }
            return sb.toString();
        }

        private String word() {
            StringBuilder sb = new StringBuilder();
            boolean variable = false;
            while (pos < s.length()) {
                char ch = s.charAt(pos);
                if (ch == '{' && variable) {
                    // ${name}: the brace belongs to the variable, not to a block.
                    sb.append(ch);
                    pos++;
                    variable = false;
                    continue;
                }
                variable = false;
                if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == ';' || ch == '{') break;
                pos++;
                if (ch == '\\' && pos < s.length()) {
                    char n = s.charAt(pos++);
                    if (n == '\n') line++;
                    sb.append(unescape(n));
                    continue;
                }
                if (ch == '$') variable = true;
                sb.append(ch);
            }
            return sb.toString();
        }

        private static String unescape(char n) {
            return switch (n) {
                case '"', '\'', '\\' -> String.valueOf(n);
                case 't' -> "\t";
                case 'r' -> "\r";
                case 'n' -> "\n";
                default -> "\\" + n;
            };
        }

        private NginxSyntaxException error(String message) {
            return new NginxSyntaxException(file, line, message);
        }
    }
}
