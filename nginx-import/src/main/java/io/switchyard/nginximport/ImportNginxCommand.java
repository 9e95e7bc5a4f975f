package io.switchyard.nginximport;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code import-nginx FILE [--out DOC.json] [--apply URL] [--allow-partial]}: reads an nginx
 * configuration, prints what became of every directive on stderr, and writes the declarative
 * document (to {@code --out}, else stdout) and/or sends it to a control plane. Exit 0 when everything
 * carried, 3 when something did not (no document unless {@code --allow-partial}), 1 on a file nginx
 * would refuse or a failed {@code --apply}, 2 on bad flags.
 */
@Command(name = "import-nginx", mixinStandardHelpOptions = true,
        description = {"Translate an nginx configuration into a Switchyard declarative document.",
                "Prints what became of every directive on stderr: file:line directive -> what it became.",
                "Exit: 0 everything carried; 3 something did not (no document unless --allow-partial); "
                        + "1 the configuration cannot be read or --apply failed; 2 bad flags."})
public final class ImportNginxCommand implements Callable<Integer> {
    /** Exit status when something did not carry. */
    public static final int PARTIAL = 3;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "the nginx configuration (e.g. /etc/nginx/nginx.conf)")
    Path file;

    @Option(names = "--out", paramLabel = "DOC.json", description = "write the document here (default: stdout, unless --apply)")
    Path out;

    @Option(names = "--apply", paramLabel = "URL",
            description = "PUT the document to this control plane's /api/v1/config (token from SWITCHYARD_ADMIN_TOKEN) and print the new version")
    String apply;

    @Option(names = "--allow-partial", description = "write (and apply) the document even when some directives did not carry")
    boolean allowPartial;

    /** The environment the admin token is read from; tests replace it. */
    Map<String, String> env = System.getenv();
    PrintStream stdout = System.out;
    PrintStream stderr = System.err;

    /** Runs the command alone (as the launcher does as a subcommand): returns the exit status. */
    public static int run(PrintStream stdout, PrintStream stderr, Map<String, String> env, String... args) {
        ImportNginxCommand c = new ImportNginxCommand();
        c.env = env;
        c.stdout = stdout;
        c.stderr = stderr;
        CommandLine cl = new CommandLine(c);
        cl.setOut(new java.io.PrintWriter(stdout, true));
        cl.setErr(new java.io.PrintWriter(stderr, true));
        cl.setParameterExceptionHandler((ex, a) -> {
            stderr.println("import-nginx: " + ex.getMessage() + " (see --help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            stderr.println("import-nginx: " + ex.getMessage());
            return 1;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() {
        URI applyUri = null;
        if (apply != null) {
            try {
                URI u = URI.create(apply);
                if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) throw new IllegalArgumentException();
                String base = apply.endsWith("/") ? apply.substring(0, apply.length() - 1) : apply;
                applyUri = URI.create(base + "/api/v1/config");
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--apply: \"" + apply + "\" (expected: the control plane's URL, e.g. http://127.0.0.1:9090)");
            }
        }
        NginxImport.Result result;
        try {
            result = NginxImport.translate(file);
        } catch (NginxSyntaxException e) {
            stderr.println(e.file() + (e.line() > 0 ? ":" + e.line() : "") + ": " + e.getMessage());
            return 1;
        }
        for (Report.Line l : result.report().lines()) stderr.println(l);
        stderr.println(result.report().summary());
        boolean complete = result.report().complete();
        if (!complete && !allowPartial) {
            stderr.println("import-nginx: some directives did not carry (\"not carried\" above); no document written (--allow-partial writes it anyway)");
            return PARTIAL;
        }
        String json = result.json();
        if (out != null) {
            try {
                Files.writeString(out, json + "\n", StandardCharsets.UTF_8);
            } catch (IOException e) {
                stderr.println("import-nginx: cannot write " + out + " (" + e.getMessage() + ")");
                return 1;
            }
            stderr.println("import-nginx: document written to " + out);
        } else if (applyUri == null) {
            stdout.println(json);
        }
        if (applyUri != null) {
            Integer failed = put(applyUri, json);
            if (failed != null) return failed;
        }
        return complete ? 0 : PARTIAL;
    }

    /** PUTs the document; prints the new version. Returns null on success, else the exit status. */
    private Integer put(URI uri, String json) {
        HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
        String token = env.get("SWITCHYARD_ADMIN_TOKEN");
        if (token != null && !token.isBlank()) rb.header("Authorization", "Bearer " + token.strip());
        HttpResponse<String> res;
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            res = client.send(rb.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            stderr.println("import-nginx: cannot reach " + uri + " (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")");
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stderr.println("import-nginx: interrupted while sending to " + uri);
            return 1;
        }
        if (res.statusCode() / 100 != 2) {
            String body = res.body() == null ? "" : res.body().replaceAll("\\s+", " ").strip();
            stderr.println("import-nginx: PUT " + uri + " answered " + res.statusCode() + (body.isEmpty() ? "" : ": " + body));
            return 1;
        }
        String version = res.headers().firstValue("X-Config-Version").orElse("?");
        stdout.println("applied: version " + version);
        return null;
    }
}
