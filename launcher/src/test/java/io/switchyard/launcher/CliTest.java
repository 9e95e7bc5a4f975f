package io.switchyard.launcher;

import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.AdminClient;
import io.switchyard.launcher.support.ChildProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.switchyard.testkit.EchoUpstream.Replies.NAMED;
import static org.assertj.core.api.Assertions.assertThat;

/** The CLI as a user meets it: a real child JVM per command, real ports, SIGTERM at the end. */
class CliTest {
    @TempDir
    Path dir;
    final List<Process> processes = new ArrayList<>();
    final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void killLeftovers() {
        processes.forEach(Process::destroyForcibly);
    }

    /** A child JVM running the CLI, stopped after the test. */
    final class Child extends ChildProcess {
        Child(String... args) throws Exception {
            super(dir, args);
            processes.add(process);
        }
    }

    static int port(String line, String label) {
        Matcher m = Pattern.compile(label + " (?:http://)?/?[0-9.]+:(\\d+)").matcher(line);
        if (!m.find()) throw new AssertionError("no " + label + " port in: " + line);
        return Integer.parseInt(m.group(1));
    }

    HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void badFlagPrintsOneLineAndExitsTwo() throws Exception {
        Child c = new Child("data-plane", "--listen", "nowhere");
        assertThat(c.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(c.process.exitValue()).isEqualTo(2);
        assertThat(c.output().strip().lines()).hasSize(1);
        assertThat(c.output()).contains("--listen").contains("nowhere");
    }

    @Test
    void invalidConfigFileNamesTheFieldAndExitsOne() throws Exception {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, "{\"upstreams\":[{\"name\":\"u\",\"targets\":[{\"address\":\"h:1\",\"weight\":0}]}]}");
        Child c = new Child("data-plane", "--config", f.toString(), "--listen", "127.0.0.1:0", "--status", "127.0.0.1:0");
        assertThat(c.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(c.process.exitValue()).isEqualTo(1);
        assertThat(c.output()).contains("upstreams[0].targets[0].weight");
    }

    @Test
    void portInUseIsAClearErrorAndExitOne() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Path f = dir.resolve("c.json");
            Files.writeString(f, "{}");
            Child c = new Child("data-plane", "--config", f.toString(), "--listen", "127.0.0.1:" + taken.getLocalPort(), "--status", "127.0.0.1:0");
            assertThat(c.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(c.process.exitValue()).isEqualTo(1);
            assertThat(c.output()).contains(String.valueOf(taken.getLocalPort()));
        }
    }

    @Test
    void dataPlaneServesAConfigFileAndExitsZeroOnSigterm() throws Exception {
        try (EchoUpstream echo = EchoUpstream.builder("app").replies(NAMED).start()) {
            Path f = dir.resolve("switchyard.json");
            Files.writeString(f, "{\"upstreams\":[{\"name\":\"app\",\"targets\":[{\"address\":\"" + echo.address() + "\"}]}],"
                    + "\"routes\":[{\"name\":\"app\",\"path_prefix\":\"/\",\"upstream\":\"app\"}]}");
            Child c = new Child("data-plane", "--config", f.toString(), "--listen", "127.0.0.1:0", "--status", "127.0.0.1:0",
                    "--state-dir", dir.resolve("state").toString(), "--shutdown-grace", "1s");
            String ready = c.awaitLine("switchyard data-plane ready");
            HttpResponse<String> r = get(port(ready, "listen"), "/hello");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("app /hello");
            HttpResponse<String> status = get(port(ready, "status"), "/status");
            assertThat(status.body()).contains("\"applied_version\":0");
            assertThat(c.sigtermAndWait()).isEqualTo(0);
        }
    }

    @Test
    void allInOneTakesAChangeThroughTheApiAndServesIt() throws Exception {
        try (EchoUpstream echo = EchoUpstream.builder("chat").replies(NAMED).start()) {
            Child c = new Child("all-in-one", "--admin", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--status", "127.0.0.1:0",
                    "--db", dir.resolve("switchyard.db").toString(), "--state-dir", dir.resolve("state").toString(), "--shutdown-grace", "1s");
            String ready = c.awaitLine("switchyard all-in-one ready");
            AdminClient admin = AdminClient.at("http://127.0.0.1:" + port(ready, "admin"));
            admin.write("POST", "/api/v1/upstreams", "{\"name\":\"chat\",\"targets\":[{\"address\":\"" + echo.address() + "\"}]}");
            long v = admin.write("POST", "/api/v1/routes", "{\"name\":\"chat\",\"path_prefix\":\"/wss\",\"upstream\":\"chat\"}");
            assertThat(admin.awaitConvergence(v)).contains("all-in-one").contains("in_sync");
            HttpResponse<String> r = get(port(ready, "listen"), "/wss/x");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("chat /wss/x");
            assertThat(c.sigtermAndWait()).isEqualTo(0);
            assertThat(Files.exists(dir.resolve("state").resolve("snapshot.json"))).isTrue();
        }
    }
}
