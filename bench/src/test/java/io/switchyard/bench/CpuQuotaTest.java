package io.switchyard.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The proxies' CPU quota: the real cgroup v1 cpu controller where this machine has one, the fallback where not. */
class CpuQuotaTest {
    @Test
    void aMachineWithoutTheCgroupV1CpuControllerGetsTheReasonInsteadOfAQuota(@TempDir Path notACgroup) {
        CpuQuota.Setup s = CpuQuota.create(notACgroup, "bench", 0.4, 2500);

        assertThat(s.quota()).isNull();
        assertThat(s.unavailable()).contains("no cgroup v1 cpu controller").contains(notACgroup.toString());
    }

    @Test
    void aQuotaOfNothingOrOfMoreThanOneCoreIsRefusedWithItsReason() {
        assertThat(CpuQuota.create(CpuQuota.ROOT, "bench", 0, 2500).unavailable()).contains("--proxy-quota 0");
        assertThat(CpuQuota.create(CpuQuota.ROOT, "bench", 1.5, 2500).unavailable()).contains("above one core");
        assertThat(CpuQuota.create(CpuQuota.ROOT, "bench", 0.4, 500).unavailable()).contains("1000..1000000");
    }

    @Test
    void aProcessStartedThroughTheQuotaRunsInsideItsGroupWithTheAskedShareOfACore() throws Exception {
        assumeTrue(Files.isWritable(CpuQuota.ROOT.resolve("cgroup.procs")), "needs a writable cgroup v1 cpu controller (root)");
        String name = "switchyard-bench-test-" + ProcessHandle.current().pid();
        CpuQuota.Setup s = CpuQuota.create(CpuQuota.ROOT, name, 0.4, 2500);
        assertThat(s.unavailable()).isNull();
        CpuQuota q = s.quota();
        try {
            assertThat(Files.readString(CpuQuota.ROOT.resolve(name).resolve("cpu.cfs_quota_us")).trim()).isEqualTo("1000");
            assertThat(Files.readString(CpuQuota.ROOT.resolve(name).resolve("cpu.cfs_period_us")).trim()).isEqualTo("2500");
            assertThat(q.describe()).isEqualTo("40% of one core per proxy (cgroup v1 cpu.cfs_quota_us=1000 per cpu.cfs_period_us=2500)");
            // A child of the started process (as nginx's workers are) is in the group too.
            Process p = new ProcessBuilder(q.wrap(List.of("sh", "-c", "cat /proc/self/cgroup"))).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(out).containsPattern("cpu[a-z,]*:/" + name);
            // Busy for 0.3 s of CPU inside a 40% quota: the kernel throttles it.
            Process busy = new ProcessBuilder(q.wrap(List.of("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done")))
                    .redirectErrorStream(true).start();
            assertThat(busy.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(q.throttled()[0]).isPositive();
            assertThat(q.throttled()[1]).isPositive();
        } finally {
            q.remove();
        }
        assertThat(CpuQuota.ROOT.resolve(name)).doesNotExist();
    }
}
