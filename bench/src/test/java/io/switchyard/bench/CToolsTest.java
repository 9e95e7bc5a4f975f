package io.switchyard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The C echo upstream against the JDK's own WebSocket and HTTP clients, and the C load generator
 * against the echo upstream and against a server that answers the upgrade wrongly, and the changer
 * against an admin API stand-in and a process that counts its SIGHUPs. The tools are compiled here
 * with gcc -O2 exactly as run.sh does.
 */
class CToolsTest {
    @TempDir
    static Path bin;
    static CTools tools;
    static CTools.Upstream echo;

    @BeforeAll
    static void build() throws Exception {
        for (String t : new String[] {"loadgen", "echo", "changer"}) {
            Process p = new ProcessBuilder("gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", bin.resolve(t).toString(),
                    Path.of("c", t + ".c").toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as("gcc %s: %s", t, out).isZero();
        }
        tools = new CTools(bin, null);
        assertThat(tools.unavailable()).isNull();
        echo = tools.startEcho(bin.resolve("echo.log"));
    }

    @AfterAll
    static void stop() {
        if (echo != null) Procs.stop(echo.process(), 2000);
    }

    @Test
    void theEchoUpstreamSendsAJdkWebSocketClientItsMessagesBackUnchanged() throws Exception {
        CompletableFuture<String> text = new CompletableFuture<>();
        CompletableFuture<ByteBuffer> binary = new CompletableFuture<>();
        java.io.ByteArrayOutputStream parts = new java.io.ByteArrayOutputStream();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + echo.port() + "/r9/ws"), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                        text.complete(data.toString());
                        w.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
                        // The JDK client may hand a large message over in parts.
                        byte[] chunk = new byte[data.remaining()];
                        data.get(chunk);
                        parts.writeBytes(chunk);
                        if (last) binary.complete(ByteBuffer.wrap(parts.toByteArray()));
                        w.request(1);
                        return null;
                    }
                }).get(5, TimeUnit.SECONDS);
        ws.sendText("héllo, upstream", true).get(5, TimeUnit.SECONDS);
        assertThat(text.get(5, TimeUnit.SECONDS)).isEqualTo("héllo, upstream");
        byte[] big = new byte[70_000];
        for (int i = 0; i < big.length; i++) big[i] = (byte) (i * 31);
        ws.sendBinary(ByteBuffer.wrap(big), true).get(5, TimeUnit.SECONDS);
        ByteBuffer back = binary.get(5, TimeUnit.SECONDS);
        byte[] got = new byte[back.remaining()];
        back.get(got);
        assertThat(got).isEqualTo(big);
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
    }

    @Test
    void theEchoUpstreamAnswersHttpRequestsOnOneKeptAliveConnection() throws Exception {
        HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + echo.port() + "/r9/hello"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("ok\n");
        }
        // Two pipelined requests on one raw socket get two answers, in order.
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), echo.port())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(all.split("HTTP/1.1 200 OK", -1)).hasSize(3);
            assertThat(all).endsWith("Connection: close\r\n\r\nok\n");
        }
    }

    @Test
    void echoModeCountsOnlyVerifiedRoundTripsInsideTheMeasuredWindow() throws Exception {
        JsonNode r = tools.run("echo", echo.port(), "/ws", 8, 1024, 0.3, 1.0);
        assertThat(r.path("errors").asLong()).as(r.toString()).isZero();
        assertThat(r.path("conns_open").asInt()).isEqualTo(8);
        long ops = r.path("ops").asLong();
        assertThat(ops).isPositive();
        assertThat(r.path("per_second").asDouble()).isCloseTo(ops / 1.0, org.assertj.core.data.Offset.offset(1.0));
        long timeline = 0;
        for (JsonNode n : r.path("timeline")) timeline += n.asLong();
        // The timeline counts warm-up too: more than the window, never less.
        assertThat(timeline).isGreaterThan(ops);
        assertThat(r.path("p50_us").asDouble()).isPositive().isLessThanOrEqualTo(r.path("p99_us").asDouble());
        assertThat(r.path("p99_us").asDouble()).isLessThanOrEqualTo(r.path("max_us").asDouble());
    }

    @Test
    void httpAndHandshakeModesRunWithoutErrorsAgainstTheEchoUpstream() throws Exception {
        JsonNode http = tools.run("http", echo.port(), "/hello", 4, 0, 0, 0.5);
        assertThat(http.path("errors").asLong()).as(http.toString()).isZero();
        assertThat(http.path("ops").asLong()).isPositive();
        JsonNode hs = tools.run("handshake", echo.port(), "/ws", 4, 0, 0, 0.5);
        assertThat(hs.path("errors").asLong()).as(hs.toString()).isZero();
        assertThat(hs.path("ops").asLong()).isPositive();
        assertThat(hs.path("slow_closes").asLong()).as("the upstream closes after the close frame").isZero();
    }

    @Test
    void idleModeHoldsTheTunnelsItOpened() throws Exception {
        try (CTools.Idle idle = tools.idle(echo.port(), "/ws", 200, 60)) {
            assertThat(idle.open()).isEqualTo(200);
            assertThat(idle.process.isAlive()).isTrue();
        }
    }

    @Test
    void aWrongSecWebSocketAcceptIsCountedAsAnError() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                while (!ss.isClosed()) {
                    try (Socket s = ss.accept()) {
                        InputStream in = s.getInputStream();
                        byte[] buf = new byte[4096];
                        int n = 0;
                        while (n < 4 || !new String(buf, 0, n, StandardCharsets.US_ASCII).contains("\r\n\r\n")) {
                            int r = in.read(buf, n, buf.length - n);
                            if (r < 0) break;
                            n += r;
                        }
                        OutputStream out = s.getOutputStream();
                        out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                + "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            JsonNode r = tools.run("echo", ss.getLocalPort(), "/ws", 1, 32, 0, 0.5);
            assertThat(r.path("errors").asLong()).isPositive();
            assertThat(r.path("first_error").asText()).contains("wrong Sec-WebSocket-Accept");
            assertThat(r.path("ops").asLong()).isZero();
        }
    }

    /** A keep-alive server that closes every connection after three answers without saying so (a retiring worker). */
    @Test
    void httpModeSendsARequestAgainWhenTheServerClosedItsKeptAliveConnectionBetweenAnswers() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                while (!ss.isClosed()) {
                    try (Socket s = ss.accept()) {
                        InputStream in = s.getInputStream();
                        OutputStream out = s.getOutputStream();
                        for (int answered = 0; answered < 3; answered++) {
                            StringBuilder head = new StringBuilder();
                            while (head.indexOf("\r\n\r\n") < 0) {
                                int b = in.read();
                                if (b < 0) break;
                                head.append((char) b);
                            }
                            if (head.indexOf("\r\n\r\n") < 0) break;
                            out.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n".getBytes(StandardCharsets.US_ASCII));
                            out.flush();
                        }
                    } catch (Exception e) {
                        if (ss.isClosed()) return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            JsonNode r = tools.run("http", ss.getLocalPort(), "/hello", 1, 0, 0, 0.5);
            assertThat(r.path("errors").asLong()).as(r.toString()).isZero();
            assertThat(r.path("ops").asLong()).as(r.toString()).isGreaterThan(6);
            assertThat(r.path("stale_retries").asLong()).as(r.toString()).isPositive();
            assertThat(r.path("conns_open").asInt()).isEqualTo(1);
        }
    }

    @Test
    void aServerThatClosesBeforeItsFirstAnswerIsAnErrorNotARetry() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                while (!ss.isClosed()) {
                    try (Socket s = ss.accept()) {
                        s.getInputStream().read();
                    } catch (Exception e) {
                        if (ss.isClosed()) return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            JsonNode r = tools.run("http", ss.getLocalPort(), "/hello", 1, 0, 0, 0.5);
            assertThat(r.path("errors").asLong()).isPositive();
            assertThat(r.path("stale_retries").asLong()).isZero();
            assertThat(r.path("ops").asLong()).isZero();
        }
    }

    @Test
    void atAFixedRateTheConnectionsTogetherSendThatManyMessagesPerSecondAndNoMore() throws Exception {
        JsonNode r = tools.run("echo", echo.port(), "/ws", 8, 32, 0.2, 1.0, 2000);
        assertThat(r.path("errors").asLong()).as(r.toString()).isZero();
        assertThat(r.path("rate").asDouble()).isEqualTo(2000.0);
        // A closed loop against this upstream does tens of thousands per second; the schedule holds it to 2,000.
        assertThat(r.path("per_second").asDouble()).as(r.toString()).isBetween(1900.0, 2050.0);
        JsonNode http = tools.run("http", echo.port(), "/hello", 8, 0, 0.2, 1.0, 1000);
        assertThat(http.path("errors").asLong()).as(http.toString()).isZero();
        assertThat(http.path("per_second").asDouble()).as(http.toString()).isBetween(950.0, 1025.0);
    }

    @Test
    void theChangerPutsOneRouteVersionEveryIntervalOverOneConnectionAndReportsTheLast() throws Exception {
        List<String> bodies = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        java.util.Set<Object> connections = java.util.concurrent.ConcurrentHashMap.newKeySet();
        com.sun.net.httpserver.HttpServer admin = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        admin.createContext("/api/v1/routes/swap", ex -> {
            connections.add(ex.getRemoteAddress().getPort());
            bodies.add(ex.getRequestMethod() + " " + new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.getResponseHeaders().add("X-Config-Version", Integer.toString(100 + bodies.size()));
            byte[] ok = "{}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, ok.length);
            ex.getResponseBody().write(ok);
            ex.close();
        });
        admin.start();
        try {
            Path log = bin.resolve("changer-put.log");
            Process p = tools.startChanger(null, List.of("--mode", "put", "--port", Integer.toString(admin.getAddress().getPort()),
                    "--every-ms", "50", "--duration", "0.5", "--start", "7"), log);
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            com.fasterxml.jackson.databind.JsonNode r = CTools.changerResult(log);
            assertThat(r).isNotNull();
            assertThat(r.path("errors").asLong()).isZero();
            assertThat(r.path("changes").asLong()).isBetween(9L, 10L);
            assertThat(r.path("last").asLong()).isEqualTo(7 + r.path("changes").asLong() - 1);
            assertThat(r.path("last_version").asLong()).isEqualTo(100 + r.path("changes").asLong());
            assertThat(bodies.get(0)).isEqualTo("PUT {\"name\":\"swap\",\"path_prefix\":\"/swap/7\",\"upstream\":\"echo\"}");
            assertThat(connections).hasSize(1);
        } finally {
            admin.stop(0);
        }
    }

    @Test
    void theChangerRewritesTheNginxFileFromItsTemplateAndSignalsTheMasterEachTime() throws Exception {
        Path template = bin.resolve("nginx.tmpl"), conf = bin.resolve("nginx.conf"), hups = bin.resolve("hups");
        Files.writeString(template, "location /swap/@@N@@/ { proxy_pass http://echo; } # @@N@@\n");
        Process master = new ProcessBuilder("sh", "-c", "trap 'echo hup >> " + hups + "' HUP; echo ready; while :; do sleep 0.02; done")
                .redirectErrorStream(true).start();
        try {
            assertThat(new java.io.BufferedReader(new java.io.InputStreamReader(master.getInputStream())).readLine()).isEqualTo("ready");
            Path log = bin.resolve("changer-nginx.log");
            Process p = tools.startChanger(null, List.of("--mode", "nginx", "--template", template.toString(), "--conf", conf.toString(),
                    "--pid", Long.toString(master.pid()), "--every-ms", "100", "--duration", "0.35", "--start", "3"), log);
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            com.fasterxml.jackson.databind.JsonNode r = CTools.changerResult(log);
            assertThat(r.path("errors").asLong()).isZero();
            assertThat(r.path("changes").asLong()).isEqualTo(4);
            assertThat(Files.readString(conf)).isEqualTo("location /swap/6/ { proxy_pass http://echo; } # 6\n");
            // The shell runs its trap between two sleeps: wait until the signals are all counted.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(Files.exists(hups) ? Files.readAllLines(hups) : List.of()).hasSize(4));
        } finally {
            master.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
