package io.switchyard.launcher;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code dist/switchyard.jar}: {@code all-in-one}, {@code control-plane}, {@code data-plane}.
 * Bad flags print one line and exit 2; a failure to start (port in use, unreadable file) prints one
 * line and exits 1.
 */
@Command(name = "switchyard", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "WebSocket-aware reverse proxy with a control plane and a data plane.",
        subcommands = {AllInOneCommand.class, ControlPlaneCommand.class, DataPlaneCommand.class,
                io.switchyard.nginximport.ImportNginxCommand.class})
public final class Main implements Runnable {
    public static void main(String[] args) {
        // Netty's default leak detector samples buffers and records stack traces in production (seen in the data
        // plane's profiles); a deployed process runs without it unless told otherwise. Tests run it paranoid.
        if (System.getProperty("io.netty.leakDetection.level") == null) System.setProperty("io.netty.leakDetection.level", "disabled");
        System.exit(run(args));
    }

    /** Runs the CLI; returns the exit code (long-running commands return only after shutdown). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((ex, a) -> {
            System.err.println("switchyard: " + ex.getMessage() + " (see --help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            System.err.println("switchyard: " + oneLine(ex));
            return 1;
        });
        return cl.execute(args);
    }

    static String oneLine(Throwable ex) {
        Throwable t = ex;
        while (t.getCause() != null && (t.getMessage() == null || t instanceof java.util.concurrent.CompletionException
                || t instanceof java.lang.reflect.InvocationTargetException)) t = t.getCause();
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
        throw new CommandLine.ParameterException(new CommandLine(this), "a command is required: all-in-one, control-plane or data-plane");
    }

    /** Software version from the jar manifest. */
    public static String softwareVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"switchyard " + softwareVersion()};
        }
    }
}
