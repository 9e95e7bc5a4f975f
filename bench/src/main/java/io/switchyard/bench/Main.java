package io.switchyard.bench;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code java -jar bench/target/switchyard-bench.jar COMMAND ...}:
 * <pre>
 *   run    [runner options]             every scenario, raw results and report into docs/
 *   report [--results FILE] [--out DIR] regenerate docs/benchmarks.md and .png from raw results
 *   tune   [tuning options]             Switchyard alone under a list of JVM settings (bench/JVM-TUNING.md)
 * </pre>
 * The load itself is the C load generator (bench/c, built by bench/run.sh).
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) usage("missing command");
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "run" -> {
                Runner.Settings s = Runner.Settings.parse(rest);
                Path raw = new Runner(s).run();
                Report.write(raw, s.out);
                System.out.println("report: " + s.out.resolve("benchmarks.md"));
            }
            case "report" -> {
                String results = opt(rest, "--results", "docs/bench-results/latest.json");
                Report.write(Path.of(results), Path.of(opt(rest, "--out", "docs")));
            }
            case "tune" -> Tuning.main(rest);
            default -> usage("unknown command: " + args[0]);
        }
    }

    private static void usage(String why) {
        System.err.println("switchyard-bench: " + why + " (expected: run | report | tune)");
        System.exit(2);
    }

    static String opt(String[] a, String name, String def) {
        for (int i = 0; i < a.length - 1; i++) if (a[i].equals(name)) return a[i + 1];
        return def;
    }
}
