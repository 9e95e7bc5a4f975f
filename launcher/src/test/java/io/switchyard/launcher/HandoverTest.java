package io.switchyard.launcher;

import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.AdminClient;
import io.switchyard.config.Config;
import io.switchyard.config.ConfigCodec;
import io.switchyard.config.Route;
import io.switchyard.config.Target;
import io.switchyard.config.Upstream;
import io.switchyard.testkit.WsClient;
import io.switchyard.launcher.support.ChildProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.switchyard.testkit.EchoUpstream.Replies.NAMED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 10's binary upgrade without a gap: a second process of the same node started with {@code --take-over} takes the
 * listening sockets from the running one, which stops accepting, drains and exits 0 on its own. Ten handovers in a row
 * under HTTP keep-alive load and a WebSocket handshake loop: no failed request, no failed handshake, no reset.
 */
class HandoverTest {
    @TempDir
    Path dir;
    private final List<Process> processes = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (Process p : processes) {
            if (p.isAlive()) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (AutoCloseable c : closeables) c.close();
    }

    private final class Child extends ChildProcess {
        Child(String... args) throws IOException {
            super(dir, args);
            processes.add(process);
        }
    }

    private Child start(Path config, String drainTunnels, String grace, boolean takeOver) throws IOException {
        List<String> args = new ArrayList<>(List.of("data-plane", "--config", config.toString(), "--listen", "127.0.0.1:0",
                "--status", "127.0.0.1:0", "--state-dir", dir.resolve("state").toString(), "--node-id", "n1",
                "--shutdown-grace", grace, "--drain-tunnels", drainTunnels));
        if (takeOver) args.add("--take-over");
        return new Child(args.toArray(String[]::new));
    }

    private static int port(String line) {
        Matcher m = Pattern.compile("listen [0-9.]+:(\\d+)").matcher(line);
        if (!m.find()) throw new AssertionError("no listen port in: " + line);
        return Integer.parseInt(m.group(1));
    }

    private Path config(EchoUpstream echo) throws IOException {
        Config c = new Config(null, List.of(new Upstream("app", null, List.of(new Target(echo.address())))),
                List.of(new Route("all", List.of(), "/", "app")), null);
        Path file = dir.resolve("config.json");
        Files.write(file, ConfigCodec.writeBytes(c));
        return file;
    }

    /** HTTP keep-alive requests in a loop over raw sockets; reconnects only when told Connection: close. */
    private static final class KeepAliveLoad implements AutoCloseable {
        final AtomicInteger ok = new AtomicInteger();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final AtomicBoolean running = new AtomicBoolean(true);
        final List<Thread> threads = new ArrayList<>();

        KeepAliveLoad(int port, int clients) {
            for (int i = 0; i < clients; i++) {
                Thread t = new Thread(() -> run(port), "keepalive-load");
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        private void run(int port) {
            Socket s = null;
            int n = 0;
            try {
                while (running.get()) {
                    if (s == null) {
                        s = new Socket();
                        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                        s.setSoTimeout(10000);
                    }
                    String path = "/k" + (n++);
                    s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    String[] head = readHead(s.getInputStream());
                    int length = Integer.parseInt(head[1]);
                    byte[] body = s.getInputStream().readNBytes(length);
                    String text = new String(body, StandardCharsets.UTF_8);
                    if (!head[0].startsWith("HTTP/1.1 200") || !text.equals("app " + path)) {
                        failures.add(head[0] + " " + text);
                    } else {
                        ok.incrementAndGet();
                    }
                    if ("close".equals(head[2])) {
                        s.close();
                        s = null;
                    }
                }
            } catch (IOException e) {
                if (running.get()) failures.add("keep-alive request failed: " + e);
            } finally {
                try {
                    if (s != null) s.close();
                } catch (IOException ignored) {
                    // done
                }
            }
        }

        /** status line, content-length, connection header (lower case or null). */
        private static String[] readHead(InputStream in) throws IOException {
            String status = line(in);
            if (status == null) throw new IOException("connection closed before a response");
            String length = "0";
            String connection = null;
            for (String l; (l = line(in)) != null && !l.isEmpty(); ) {
                String lower = l.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) length = l.substring(15).trim();
                if (lower.startsWith("connection:")) connection = lower.substring(11).trim();
            }
            return new String[]{status, length, connection};
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) t.join(15000);
        }
    }

    static String line(InputStream in) throws IOException {
        return io.switchyard.testkit.RawHttp.readLine(in);
    }

    /** WebSocket handshakes in a loop: each must get a verified 101, then closes. */
    private static final class HandshakeLoop implements AutoCloseable {
        final AtomicInteger ok = new AtomicInteger();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread thread;

        HandshakeLoop(int port) {
            thread = new Thread(() -> {
                while (running.get()) {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                        s.setSoTimeout(10000);
                        OutputStream out = s.getOutputStream();
                        out.write(("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                        String status = line(s.getInputStream());
                        if (status != null && status.startsWith("HTTP/1.1 101")) ok.incrementAndGet();
                        else failures.add("handshake answered " + status);
                    } catch (IOException e) {
                        if (running.get()) failures.add("handshake failed: " + e);
                    }
                }
            }, "handshake-loop");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(15000);
        }
    }

    @Test
    void tenHandoversUnderLoadFailNothingAndEveryProcessExitsZero() throws Exception {
        EchoUpstream echo = EchoUpstream.builder("app").replies(NAMED).start();
        closeables.add(echo);
        Path config = config(echo);
        Child current = start(config, "close", "2s", false);
        int port = port(current.awaitLine("switchyard data-plane ready"));
        KeepAliveLoad load = new KeepAliveLoad(port, 4);
        HandshakeLoop handshakes = new HandshakeLoop(port);
        List<Child> old = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                int before = load.ok.get() + handshakes.ok.get();
                Child next = start(config, "close", "2s", true);
                String ready = next.awaitLine("switchyard data-plane ready");
                assertThat(port(ready)).as("the same listening socket; old:\n" + current.output() + "\nnew:\n" + next.output()).isEqualTo(port);
                assertThat(current.process.waitFor(30, TimeUnit.SECONDS)).as("the old process exits by itself:\n" + current.output()).isTrue();
                assertThat(current.process.exitValue()).as(current.output()).isZero();
                old.add(current);
                current = next;
                // Traffic flows through the new process before the next handover.
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                        .until(() -> load.ok.get() + handshakes.ok.get() >= before + 20);
            }
        } finally {
            load.close();
            handshakes.close();
        }
        assertThat(load.failures).as("failed keep-alive requests").isEmpty();
        assertThat(handshakes.failures).as("failed handshakes").isEmpty();
        assertThat(load.ok.get()).isGreaterThan(100);
        assertThat(handshakes.ok.get()).isGreaterThan(20);
        current.process.destroy(); // SIGTERM keeps its meaning
        assertThat(current.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(current.process.exitValue()).isZero();
    }

    @Test
    void tunnelsOnTheOldProcessGet1001AfterTheGraceOrStayOpenWithDrainTunnelsWait() throws Exception {
        EchoUpstream echo = EchoUpstream.builder("app").replies(NAMED).start();
        closeables.add(echo);
        Path config = config(echo);
        // close: the old process's tunnel gets 1001 once its 1 s grace is over.
        Child first = start(config, "close", "1s", false);
        int port = port(first.awaitLine("switchyard data-plane ready"));
        WsClient t1 = WsClient.connect("ws://127.0.0.1:" + port + "/ws");
        Child second = start(config, "wait", "20s", true);
        second.awaitLine("switchyard data-plane ready");
        assertThat(t1.closed.get(15, TimeUnit.SECONDS)).isEqualTo(1001);
        assertThat(first.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(first.process.exitValue()).isZero();

        // wait: the tunnel on the old process keeps flowing after the handover, until it ends by itself.
        WsClient t2 = WsClient.connect("ws://127.0.0.1:" + port + "/ws");
        Child third = start(config, "close", "2s", true);
        third.awaitLine("switchyard data-plane ready");
        second.awaitLine("handover: a successor takes");
        await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(10))
                .until(second.process::isAlive); // still draining its open tunnel
        t2.sendText("still here");
        assertThat(t2.nextText()).isEqualTo("app|still here");
        assertThat(t2.closed).isNotDone();
        t2.ws.sendClose(1000, "done").join();
        assertThat(second.process.waitFor(20, TimeUnit.SECONDS)).as("exits once its tunnel ended:\n" + second.output()).isTrue();
        assertThat(second.process.exitValue()).isZero();
        third.process.destroy();
        assertThat(third.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }


    @Test
    void allInOneTakesOverItsListenersAndHandsItsDatabaseAndAdminPortToTheSuccessor() throws Exception {
        EchoUpstream echo = EchoUpstream.builder("app").replies(NAMED).start();
        closeables.add(echo);
        int admin;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            admin = s.getLocalPort(); // free now; the all-in-one binds it (a fixed --admin is what --take-over needs)
        }
        String[] flags = {"all-in-one", "--admin", "127.0.0.1:" + admin, "--listen", "127.0.0.1:0", "--status", "127.0.0.1:0",
                "--db", dir.resolve("switchyard.db").toString(), "--state-dir", dir.resolve("state").toString(),
                "--shutdown-grace", "1s"};
        Child first = new Child(flags);
        String ready = first.awaitLine("switchyard all-in-one ready");
        int port = port(ready);
        AdminClient api = AdminClient.at("http://127.0.0.1:" + admin);
        api.write("POST", "/api/v1/upstreams", "{\"name\":\"app\",\"targets\":[{\"address\":\"" + echo.address() + "\"}]}");
        long v = api.write("POST", "/api/v1/routes", "{\"name\":\"all\",\"upstream\":\"app\"}");
        api.awaitConvergence(v);
        KeepAliveLoad load = new KeepAliveLoad(port, 2);
        try {
            String[] again = java.util.Arrays.copyOf(flags, flags.length + 1);
            again[flags.length] = "--take-over";
            Child second = new Child(again);
            assertThat(port(second.awaitLine("switchyard all-in-one ready"))).isEqualTo(port);
            assertThat(first.process.waitFor(30, TimeUnit.SECONDS)).as(first.output()).isTrue();
            assertThat(first.process.exitValue()).isZero();
            // The successor's control plane has the database and the admin port; a write reaches its node.
            long v2 = api.write("POST", "/api/v1/routes", "{\"name\":\"more\",\"path_prefix\":\"/more\",\"upstream\":\"app\"}");
            // Its node dialled before that control plane started and retries with backoff: wait for it to show up in sync.
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                    assertThat(api.call("GET", "/api/v1/fleet/nodes?min_version=" + v2 + "&wait_ms=2000", null).body())
                            .contains("all-in-one").contains("in_sync"));
            int before = load.ok.get();
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> load.ok.get() >= before + 20);
            load.close(); // before SIGTERM: a stopped process refuses new connections, as it should
            second.process.destroy();
            assertThat(second.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(second.process.exitValue()).isZero();
        } finally {
            load.close();
        }
        assertThat(load.failures).as("failed keep-alive requests").isEmpty();
    }
}
