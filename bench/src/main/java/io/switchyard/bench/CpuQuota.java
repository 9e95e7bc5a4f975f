package io.switchyard.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The same CPU quota for every proxy: a cgroup v1 {@code cpu} group ({@code cpu.cfs_quota_us} per
 * {@code cpu.cfs_period_us}) that each proxy process tree is started in. On this 2-core machine one
 * core of C load cannot run twice as fast as an unthrottled proxy on the other core (per round trip
 * the load does the same kernel work a minimal proxy does), so the proxy-bound rule could never hold;
 * with every proxy held to the same fraction of its core, the load core outruns the fastest of them
 * at least twice over and the comparison between proxies stays a comparison of equal budgets.
 * A short period keeps throttling fine-grained: a throttled proxy waits at most period - quota.
 */
final class CpuQuota {
    static final Path ROOT = Path.of("/sys/fs/cgroup/cpu");

    private final Path group;
    final double fraction;
    final long periodUs;
    final long quotaUs;

    private CpuQuota(Path group, double fraction, long periodUs, long quotaUs) {
        this.group = group;
        this.fraction = fraction;
        this.periodUs = periodUs;
        this.quotaUs = quotaUs;
    }

    /** Result of {@link #create}: the quota, or why there is none. */
    record Setup(CpuQuota quota, String unavailable) {
    }

    /**
     * Creates (or reuses) the group {@code name} under the cgroup v1 cpu hierarchy with
     * {@code fraction} of one core per {@code periodUs}. Never throws: a machine without cgroup v1
     * cpu control, or without the right to write it, gets the reason instead.
     */
    static Setup create(Path root, String name, double fraction, long periodUs) {
        if (fraction <= 0) return new Setup(null, "no CPU quota asked (--proxy-quota 0)");
        if (fraction > 1) return new Setup(null, "a quota above one core (" + fraction + ") throttles nothing on one pinned core");
        if (periodUs < 1000 || periodUs > 1_000_000) return new Setup(null, "cpu.cfs_period_us must be 1000..1000000, not " + periodUs);
        if (!Files.isRegularFile(root.resolve("cpu.cfs_quota_us"))) {
            return new Setup(null, "no cgroup v1 cpu controller at " + root + " (cpu.cfs_quota_us missing)");
        }
        Path g = root.resolve(name);
        long quotaUs = Math.max(1000, Math.round(fraction * periodUs));
        try {
            if (!Files.isDirectory(g)) Files.createDirectory(g);
            // Lower the quota first: a period shorter than the current quota would be rejected otherwise.
            write(g.resolve("cpu.cfs_quota_us"), "-1");
            write(g.resolve("cpu.cfs_period_us"), Long.toString(periodUs));
            write(g.resolve("cpu.cfs_quota_us"), Long.toString(quotaUs));
            long readPeriod = Long.parseLong(Files.readString(g.resolve("cpu.cfs_period_us")).trim());
            long readQuota = Long.parseLong(Files.readString(g.resolve("cpu.cfs_quota_us")).trim());
            if (readPeriod != periodUs || readQuota != quotaUs) {
                return new Setup(null, "the kernel kept cpu.cfs_period_us=" + readPeriod + " cpu.cfs_quota_us=" + readQuota);
            }
        } catch (IOException | RuntimeException e) {
            return new Setup(null, "cannot set up " + g + ": " + e.getMessage());
        }
        return new Setup(new CpuQuota(g, quotaUs / (double) periodUs, periodUs, quotaUs), null);
    }

    private static void write(Path f, String v) throws IOException {
        Files.writeString(f, v);
    }

    /**
     * The command, started inside the group: a shell puts itself into {@code cgroup.procs} and
     * then execs it, so the proxy and every process it forks (nginx's workers) are in the group
     * from their first instruction.
     */
    List<String> wrap(List<String> cmd) {
        List<String> out = new ArrayList<>(List.of("sh", "-c", "echo $$ > \"$0\" && exec \"$@\"",
                group.resolve("cgroup.procs").toString()));
        out.addAll(cmd);
        return out;
    }

    /** Lifts the quota (the group's processes may use their whole core) until {@link #restore}. */
    void lift() throws IOException {
        write(group.resolve("cpu.cfs_quota_us"), "-1");
    }

    void restore() throws IOException {
        write(group.resolve("cpu.cfs_quota_us"), Long.toString(quotaUs));
    }

    /** {@code nr_throttled} and {@code throttled_time} (ns) of the group so far. */
    long[] throttled() {
        long n = 0, ns = 0;
        try {
            for (String line : Files.readAllLines(group.resolve("cpu.stat"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length != 2) continue;
                if (f[0].equals("nr_throttled")) n = Long.parseLong(f[1]);
                if (f[0].equals("throttled_time")) ns = Long.parseLong(f[1]);
            }
        } catch (IOException | NumberFormatException e) {
            return new long[] {0, 0};
        }
        return new long[] {n, ns};
    }

    /** Removes the group (only works once no process is left in it; a leftover group is harmless). */
    void remove() {
        try {
            Files.deleteIfExists(group);
        } catch (IOException e) {
            // A process still in it (being killed): the next run reuses the group.
        }
    }

    String describe() {
        return String.format(Locale.ROOT, "%.0f%% of one core per proxy (cgroup v1 cpu.cfs_quota_us=%d per cpu.cfs_period_us=%d)",
                fraction * 100, quotaUs, periodUs);
    }
}
