package io.switchyard.bench;

import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What /proc says about a process tree. */
class ProcsTest {
    @Test
    void theCpuOfAProcessTreeKeepsWhatItsChildrenUsedAfterTheyExited() throws Exception {
        // A parent that runs a busy child to its end, then waits on stdin: the child is gone but its CPU was spent for the tree.
        Process p = new ProcessBuilder("sh", "-c", "sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'; echo done; read x")
                .redirectErrorStream(true).start();
        try {
            String line = new String(p.getInputStream().readNBytes(5), StandardCharsets.US_ASCII);
            assertThat(line).isEqualTo("done\n");
            assertThat(p.descendants().count()).isZero();
            assertThat(Procs.cpuTree(p.pid())).isGreaterThan(0.1);
        } finally {
            try (OutputStream in = p.getOutputStream()) {
                in.write('\n');
            }
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
    }
}
