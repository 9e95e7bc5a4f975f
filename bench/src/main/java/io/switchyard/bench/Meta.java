package io.switchyard.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What the report must say about the run: machine, versions, flags, settings. */
final class Meta {
    private Meta() {
    }

    static Map<String, Object> collect(Runner.Settings s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("started", Instant.now().toString());
        m.put("cpu", cpuModel());
        m.put("cores", Runtime.getRuntime().availableProcessors() + " visible to the load generator; "
                + Procs.output("nproc", "--all") + " online");
        m.put("memory", firstLineOf("/proc/meminfo"));
        m.put("kernel", Procs.output("uname", "-sr"));
        m.put("java", Procs.output("java", "-version").replace('\n', ' '));
        m.put("nginx", Procs.output("nginx", "-v"));
        m.put("haproxy", Runner.firstLine(Procs.output("haproxy", "-v")));
        m.put("caddy", Procs.output("caddy", "version"));
        m.put("gcc", Runner.firstLine(Procs.output("gcc", "--version")));
        m.put("switchyard_commit", Procs.output("git", "-C", s.repo.toString(), "log", "-1", "--format=%h %s"));
        m.put("switchyard_jvm_flags", String.join(" ", s.switchyardJvm));
        m.put("proxy_cpus", s.proxyCpus);
        m.put("load_cpus", s.loadCpus + " (C load generator and C echo upstream)");
        m.put("rounds", s.rounds);
        m.put("warmup_s", s.warmupS);
        m.put("duration_s", s.durationS);
        m.put("cold_s", s.coldS);
        m.put("prime_s", s.primeS);
        m.put("connections", Runner.CONNECTIONS);
        m.put("routes", Runner.ROUTES);
        m.put("direct_rounds", s.directRounds);
        m.put("big_routes", s.bigRoutes);
        m.put("short_prime_s", s.shortPrimeS);
        m.put("big_targets", s.bigTargets);
        m.put("p99_rate", s.p99Rate);
        m.put("p99_rate_16k", s.p99Rate16k);
        m.put("p99_cell_s", s.rateWarmupS + " warm-up + " + s.rateDurationS + " measured");
        m.put("swap_every_ms", s.swapEveryMs);
        m.put("handshake_concurrency", s.handshakeConcurrency);
        m.put("idle_tunnels", s.idle);
        m.put("targets", s.targets);
        m.put("scenarios", s.scenarios);
        m.put("tcp_tw_reuse", Procs.output("sysctl", "-n", "net.ipv4.tcp_tw_reuse"));
        m.put("open_files_limit", Procs.output("sh", "-c", "ulimit -n"));
        return m;
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String firstLineOf(String file) {
        try {
            return Files.readAllLines(Path.of(file)).get(0).replaceAll("\\s+", " ");
        } catch (IOException | IndexOutOfBoundsException e) {
            return "unknown";
        }
    }

    /** Whether {@code jar}'s data-plane command knows {@code flag} (its --help lists it). */
    static boolean switchyardHasFlag(Path jar, String flag) {
        return FLAGS.computeIfAbsent(jar + " " + flag, k -> askHelp(jar, flag));
    }

    private static final java.util.concurrent.ConcurrentHashMap<String, Boolean> FLAGS = new java.util.concurrent.ConcurrentHashMap<>();

    private static boolean askHelp(Path jar, String flag) {
        try {
            Process p = new ProcessBuilder("java", "-jar", jar.toString(), "data-plane", "--help").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor(60, TimeUnit.SECONDS);
            return out.contains(flag);
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Null when {@code jar} runs a data plane; otherwise why not (missing jar, CLI not there yet). */
    static String switchyardUnavailable(Path jar) {
        if (!Files.isRegularFile(jar)) return jar + " does not exist (build it with mvn -q -DskipTests package)";
        try {
            Process p = new ProcessBuilder("java", "-jar", jar.toString(), "data-plane", "--help")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "data-plane --help did not return";
            }
            if (p.exitValue() != 0 || !out.contains("--listen")) {
                return "data-plane --help exited " + p.exitValue() + ": " + Runner.firstLine(out);
            }
            return null;
        } catch (IOException | InterruptedException e) {
            return e.toString();
        }
    }

}
