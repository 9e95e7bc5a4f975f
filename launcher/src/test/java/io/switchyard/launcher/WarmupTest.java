package io.switchyard.launcher;

import io.switchyard.config.ConfigCodec;
import io.switchyard.config.Config;
import io.switchyard.config.Route;
import io.switchyard.config.Target;
import io.switchyard.config.Upstream;
import io.switchyard.testkit.EchoUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class WarmupTest {
    @TempDir
    Path dir;
    private EchoUpstream echo;
    private Process process;

    @Test
    void loopStartsWriteAndLeaveNoThreadBehind() throws Exception {
        assertThat(Warmup.loopStarts(5)).isEqualTo(5L * Warmup.LOOP_WRITE);
        // Each loop and the sink it wrote to are shut down and their threads gone (they die right after termination).
        await().atMost(10, TimeUnit.SECONDS).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("switchyard-warmup")));
    }

    @AfterEach
    void stop() throws Exception {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (echo != null) echo.close();
        System.clearProperty(Warmup.PROPERTY);
    }

    @Test
    void aWarmUpProxiesRequestsHandshakesAndMessagesThroughALoopbackDataPlaneWhileApplyingSnapshotsThenClosesIt() throws Exception {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        List<Path> before;
        try (var s = Files.list(tmp)) {
            before = s.filter(p -> p.getFileName().toString().startsWith("switchyard-warmup")).toList();
        }
        Warmup.Result r = Warmup.run(Duration.ofMillis(1500));

        // Every kind of traffic ran without a failure (a wrong answer, a chunked body misread, a tunnel closed early).
        assertThat(r.stoppedBy()).isNull();
        assertThat(r.requests()).isPositive();
        assertThat(r.handshakes()).isPositive();
        assertThat(r.messages()).isPositive();
        // Clients also left mid-exchange (reset or closed with a request or message in flight), and the warm-up went on.
        assertThat(r.aborts()).isPositive();
        // Some tunnels and keep-alive connections left just before an answer the upstream then sent toward them (the
        // proxy meets both in one turn).
        assertThat(r.answersAfterClose()).isPositive();
        assertThat(r.requestsAnsweredAfterClose()).isPositive();
        // Some requests the proxy answered itself (no route, a CORS preflight allowed or refused: each status checked),
        // and the upstream closed some keep-alive connections after an answer, with the warm-up going on.
        assertThat(r.localAnswers()).isPositive();
        assertThat(r.upstreamCloses()).isPositive();
        assertThat(r.snapshots()).isPositive();
        // Its status listener answered the pages a monitor asks for (each answer checked: 2xx, or 503 from /ready).
        assertThat(r.scrapes()).isPositive();
        // It opened and closed listeners during the traffic, as a node's start opens its own.
        assertThat(r.listens()).isPositive();
        // The hand-over offer it made, as a node does, is gone with its directory (the Unix listeners' sockets too).
        try (var s = Files.list(tmp)) {
            assertThat(s.filter(p -> p.getFileName().toString().startsWith("switchyard-warmup")).toList())
                    .containsExactlyInAnyOrderElementsOf(before);
        }
        assertThat(r.port()).isPositive();
        assertThatThrownBy(() -> new Socket().connect(new InetSocketAddress("127.0.0.1", r.port()), 1000))
                .isInstanceOf(ConnectException.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("switchyard-warmup")));
    }

    @Test
    void withTheAccessLogOnTheWarmUpsDataPlaneWritesItsLinesInThatFormatSoTheirPathIsCompiledToo(@TempDir Path logDir) throws Exception {
        Path log = logDir.resolve("warmup-access.log");
        Warmup.Result r = Warmup.run(Duration.ofMillis(1500), "json", log.toString());

        assertThat(r.stoppedBy()).isNull();
        List<String> lines = Files.readAllLines(log);
        // One line per request and per tunnel the warm-up proxied (the log is written before its data plane closes).
        assertThat(lines).hasSizeGreaterThanOrEqualTo((int) r.requests());
        assertThat(lines).allSatisfy(l -> assertThat(l).startsWith("{\"time\":\"").endsWith("}"));
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("\"type\":\"tunnel\""));
    }

    @Test
    void noWarmUpRunsWhenThePropertyIsAbsentZeroOrNotADuration() {
        assertThat(Warmup.fromProperty()).isNull();
        System.setProperty(Warmup.PROPERTY, "0");
        assertThat(Warmup.fromProperty()).isNull();
        System.setProperty(Warmup.PROPERTY, "soon");
        assertThat(Warmup.fromProperty()).isNull();
    }

    @Test
    void aDataPlaneStartedWithAWarmUpWarmsUpBeforeItListensSendsNoWarmUpTrafficToConfiguredUpstreamsAndLoadsNeitherTlsWithoutTlsNorDataBinding() throws Exception {
        echo = new EchoUpstream("app");
        Path file = dir.resolve("config.json");
        Files.write(file, ConfigCodec.writeBytes(new Config(null, List.of(new Upstream("app", null, List.of(new Target(echo.address())))),
                List.of(new Route("all", List.of(), "/", "app")), null)));
        int port = freePort();
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx256m",
                "-D" + Warmup.PROPERTY + "=1s",
                "-Xlog:class+load=info:file=" + dir.resolve("classes.txt"), "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "data-plane", "--config", file.toString(), "--listen", "127.0.0.1:" + port, "--status", "127.0.0.1:0",
                "--state-dir", dir.resolve("state").toString(), "--node-id", "warm", "--access-log", "off"));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) lines.add(l);
            } catch (IOException ignored) {
                // process gone
            }
        }, "warmup-test-output");
        reader.setDaemon(true);
        reader.start();

        await().atMost(Duration.ofSeconds(60)).until(() -> anyContains(lines, "switchyard data-plane ready"));

        int done = indexOf(lines, "start-up warm-up done");
        assertThat(done).as("output:\n%s", String.join("\n", lines)).isNotNegative();
        assertThat(done).isLessThan(indexOf(lines, "switchyard data-plane ready"));
        assertThat(lines.get(done)).doesNotContain(" 0 HTTP requests");
        assertThat(echo.requests.get()).isZero();
        HttpResponse<String> res = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(echo.requests.get()).isEqualTo(1);
        // No certificate, no TLS listener, no upstream over TLS: the TLS provider (a native library and a few hundred
        // classes, about 7 MB of the process) is never loaded, not by the warm-up and not by the status page.
        List<String> classes = Files.readAllLines(dir.resolve("classes.txt"));
        assertThat(classes).as("classes loaded").anySatisfy(l -> assertThat(l).contains(" io.switchyard.dataplane.DataPlane "));
        assertThat(classes).noneSatisfy(l -> assertThat(l).containsAnyOf(" io.netty.handler.ssl.OpenSsl ", " io.netty.internal.tcnative."));
        // The node read its configuration, wrote its state file and answered the warm-up's status pages with the
        // contract's streaming codec: Jackson's data binding (about 500 classes, 5 to 6 MB of class metadata) is not
        // loaded in a data-plane node.
        assertThat(classes).anySatisfy(l -> assertThat(l).contains(" io.switchyard.config.JsonBinding "));
        assertThat(classes).noneSatisfy(l -> assertThat(l).contains(" com.fasterxml.jackson.databind."));
    }

    private static boolean anyContains(List<String> lines, String s) {
        return indexOf(lines, s) >= 0;
    }

    private static int indexOf(List<String> lines, String s) {
        synchronized (lines) {
            for (int i = 0; i < lines.size(); i++) if (lines.get(i).contains(s)) return i;
        }
        return -1;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
