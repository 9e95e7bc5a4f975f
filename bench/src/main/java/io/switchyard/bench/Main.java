package io.switchyard.bench;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code java -jar bench/target/switchyard-bench.jar COMMAND ...}:
 * <pre>
 *   echo   --port P [--host H] [--threads N]        the echo upstream (prints "READY port")
 *   load   --url ws://h:p/path [--connections 64] [--size 1024] [--rate 0] [--warmup-ms 1000]
 *          [--duration-ms 5000] [--threads 1] [--handshakes]   one cell, JSON on stdout
 *   run    [runner options]                          every scenario, report into docs/
 *   report --results FILE [--out DIR]                regenerate docs/benchmarks.md and .png
 * </pre>
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) usage("missing command");
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "echo" -> echo(rest);
            case "load" -> load(rest);
            case "run" -> new Runner(Runner.Settings.parse(rest)).run();
            case "report" -> {
                String results = opt(rest, "--results", "docs/bench-results/latest.json");
                Report.write(Path.of(results), Path.of(opt(rest, "--out", "docs")));
            }
            default -> usage("unknown command: " + args[0]);
        }
    }

    private static void usage(String why) {
        System.err.println("switchyard-bench: " + why + " (expected: echo | load | run | report)");
        System.exit(2);
    }

    static String opt(String[] a, String name, String def) {
        for (int i = 0; i < a.length - 1; i++) if (a[i].equals(name)) return a[i + 1];
        return def;
    }

    private static void echo(String[] a) throws Exception {
        EchoServer s = EchoServer.start(opt(a, "--host", "127.0.0.1"), Integer.parseInt(opt(a, "--port", "0")),
                Integer.parseInt(opt(a, "--threads", "1")));
        Runtime.getRuntime().addShutdownHook(new Thread(s::close));
        System.out.println("READY " + s.port());
        System.out.flush();
        Thread.currentThread().join();
    }

    private static void load(String[] a) throws Exception {
        LoadGen.Options o = new LoadGen.Options(opt(a, "--url", "ws://127.0.0.1:8080/"),
                Integer.parseInt(opt(a, "--connections", "64")), Integer.parseInt(opt(a, "--size", "1024")),
                Double.parseDouble(opt(a, "--rate", "0")), Long.parseLong(opt(a, "--warmup-ms", "1000")),
                Long.parseLong(opt(a, "--duration-ms", "5000")), Integer.parseInt(opt(a, "--threads", "1")));
        boolean hs = Arrays.asList(a).contains("--handshakes");
        LoadGen.Result r = hs ? LoadGen.handshakes(o) : LoadGen.echo(o);
        System.out.println(Runner.JSON.writeValueAsString(r));
    }
}
