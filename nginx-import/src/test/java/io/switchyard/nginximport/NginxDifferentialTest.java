package io.switchyard.nginximport;

import io.switchyard.config.Snapshot;
import io.switchyard.dataplane.DataPlane;
import io.switchyard.dataplane.DataPlaneSettings;
import io.switchyard.testkit.EchoUpstream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

/**
 * Runs nginx itself with a configuration and an in-process data plane with that configuration's
 * import, sends both the same HTTP requests and WebSocket handshakes, and compares, request by
 * request, which upstream target served it and the path, Host, X-Real-IP, X-Forwarded-For and
 * Upgrade the target saw. Differences by design are checked to be exactly those: Switchyard always
 * sends X-Real-IP and X-Forwarded-For and always passes a WebSocket upgrade; where nginx sends an
 * upstream group's name as Host, Switchyard sends the target's address (both said in the report).
 */
class NginxDifferentialTest {
    private static final String CLIENT = "127.0.0.1";
    static Path nginx;

    @TempDir
    Path prefix;

    @BeforeAll
    static void findNginx() {
        for (String p : List.of("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx", "/usr/bin/nginx")) {
            if (Files.isExecutable(Path.of(p))) {
                nginx = Path.of(p);
                return;
            }
        }
        fail("nginx is not installed: this test runs nginx itself (Debian: apt-get install nginx; .ci/run installs it)");
    }

    /** One request: WebSocket handshake or GET, its Host, path and extra headers, and the target nginx should pick. */
    record Req(boolean ws, String host, String path, Map<String, String> headers, String expect) {
        static Req get(String host, String path, String expect) {
            return new Req(false, host, path, Map.of(), expect);
        }

        static Req ws(String host, String path, String expect) {
            return new Req(true, host, path, Map.of(), expect);
        }

        Req with(String header, String value) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.put(header, value);
            return new Req(ws, host, path, h, expect);
        }

        @Override
        public String toString() {
            return (ws ? "WS  " : "GET ") + host + path + (headers.isEmpty() ? "" : " " + headers);
        }
    }

    /**
     * A configuration file, the addresses in it that stand for backends (each replaced by a recording
     * upstream of the given name), whether it listens with TLS, and the requests to send.
     * {@code hostIsGroupName}: nginx sends this upstream group's name as Host. {@code sticky}: ip_hash,
     * whose choice of target differs by design; each proxy must keep every client on one target.
     */
    record Scenario(String name, String resource, Map<String, String> backends, Map<String, String> edits, boolean tls,
                    String hostIsGroupName, boolean sticky, List<Req> requests) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Scenario> scenarios() {
        return Stream.of(
                new Scenario("field guide 1: HTTPS and WSS on one port", "field-guide/1-one-port.conf",
                        Map.of("127.0.0.1:8888", "wss-backend", "127.0.0.1:8080", "web-app"), Map.of(), true, null, false, List.of(
                        Req.ws("example.com", "/wss", "wss-backend"),
                        Req.ws("example.com", "/wss/room?id=7", "wss-backend"),
                        Req.get("example.com", "/", "web-app"),
                        Req.get("example.com", "/index.html?x=1", "web-app"),
                        Req.get("other.example.net", "/wss/poll", "wss-backend"),
                        Req.ws("example.com", "/", "web-app"))),
                new Scenario("field guide 2: upgrade only when asked", "field-guide/2-upgrade-map.conf",
                        Map.of("127.0.0.1:9001", "chat"), Map.of(), false, null, false, List.of(
                        Req.ws("chat.example.com", "/", "chat"),
                        Req.get("chat.example.com", "/history", "chat"),
                        Req.get("unknown.example", "/", "chat"),
                        Req.ws("chat.example.com", "/room/1", "chat"))),
                new Scenario("field guide 3: two WebSocket servers, round robin", "field-guide/3-balance.conf",
                        Map.of("localhost:8010", "echo-8010", "localhost:8011", "echo-8011"), Map.of("ip_hash;", ""), false, "websocket", false, List.of(
                        Req.ws("proxy.example", "/", "echo-8010"),
                        Req.ws("proxy.example", "/", "echo-8011"),
                        Req.get("proxy.example", "/x", "echo-8010"),
                        Req.get("proxy.example", "/y", "echo-8011"),
                        Req.ws("other.example", "/z", "echo-8010"))),
                new Scenario("field guide 3: two WebSocket servers, ip_hash", "field-guide/3-balance.conf",
                        Map.of("localhost:8010", "echo-8010", "localhost:8011", "echo-8011"), Map.of(), false, "websocket", true, List.of(
                        Req.ws("proxy.example", "/", null),
                        Req.ws("proxy.example", "/", null),
                        Req.get("proxy.example", "/x", null),
                        Req.get("proxy.example", "/y", null))),
                new Scenario("field guide 4: timeouts", "field-guide/4-timeouts.conf",
                        Map.of("127.0.0.1:9002", "socket", "127.0.0.1:9003", "site"), Map.of(), false, null, false, List.of(
                        Req.ws("ws.example.com", "/socket", "socket"),
                        Req.get("ws.example.com", "/socket/info", "socket"),
                        Req.get("ws.example.com", "/", "site"),
                        Req.get("ws.example.com", "/about", "site"))),
                new Scenario("field guide 5: headers the backend relies on", "field-guide/5-headers.conf",
                        Map.of("127.0.0.1:9004", "app"), Map.of(), false, null, false, List.of(
                        Req.get("app.example.com", "/", "app"),
                        Req.get("app.example.com", "/api", "app").with("X-Forwarded-For", "203.0.113.7"),
                        Req.ws("app.example.com", "/live", "app").with("X-Forwarded-For", "198.51.100.2"),
                        Req.get("other.example.org", "/x", "app"))),
                new Scenario("field guide 6: the edge", "field-guide/6-edge.conf",
                        Map.of("gateway.example.net", "gateway"), Map.of(), true, null, false, List.of(
                        Req.ws("ws.example.org", "/", "gateway"),
                        Req.get("ws.example.org", "/status", "gateway"))),
                new Scenario("field guide 6: the gateway", "field-guide/6-gateway.conf",
                        Map.of("localhost:8282", "app-8282"), Map.of(), false, null, false, List.of(
                        Req.ws("gateway.example.net", "/", "app-8282"),
                        Req.get("gateway.example.net", "/x", "app-8282"))),
                new Scenario("field guide 7: plain HTTP apps beside the sockets", "field-guide/7-beside.conf",
                        Map.of("127.0.0.1:8888", "wss-backend", "127.0.0.1:8080", "tomcat"), Map.of(), false, null, false, List.of(
                        Req.ws("www.example.com", "/wss", "wss-backend"),
                        Req.get("www.example.com", "/Tomcat/manager/html", "tomcat"),
                        Req.get("www.example.com", "/Tomcat", "tomcat"),
                        Req.get("www.example.com", "/nothing-here", null))),
                new Scenario("proxy_pass with and without a URI part", "differential/proxy-pass-uri.conf",
                        Map.of("127.0.0.1:7001", "a", "127.0.0.1:7002", "b"), Map.of(), false, null, false, List.of(
                        Req.get("h.example", "/app/x?y=1", "a"),
                        Req.get("h.example", "/app/", "a"),
                        Req.ws("h.example", "/app/socket", "a"),
                        Req.get("h.example", "/same/z", "b"),
                        Req.get("h.example", "/exact", "a"),
                        Req.get("h.example", "/keep/k?q=1", "b"),
                        Req.get("h.example", "/keep", "b"),
                        Req.ws("h.example", "/other", "b"))),
                new Scenario("server names, the default server and header inheritance", "differential/hosts.conf",
                        Map.of("127.0.0.1:7101", "first", "127.0.0.1:7102", "second", "127.0.0.1:7103", "fallback"), Map.of(), false, null, false, List.of(
                        Req.get("first.example.com", "/", "first"),
                        Req.get("second.example.com", "/x", "second"),
                        Req.get("wild.example.com", "/", "second"),
                        Req.get("a.wild.example.com", "/", "second"),
                        Req.get("second.example.com", "/own/x", "second"),
                        Req.get("unknown.example.org", "/", "fallback").with("X-Forwarded-For", "192.0.2.1"),
                        Req.ws("first.example.com", "/chat", "first"))),
                new Scenario("include globs and nested includes", "differential/includes/includes.conf",
                        Map.of("127.0.0.1:7201", "first", "127.0.0.1:7202", "second"), Map.of(), false, null, false, List.of(
                        Req.ws("first.example.com", "/", "first"),
                        Req.get("second.example.com", "/api/v1/items?page=2", "second"),
                        Req.ws("second.example.com", "/api/live", "second"),
                        Req.get("other.example", "/", "first"))),
                new Scenario("weighted round robin", "differential/weighted.conf",
                        Map.of("127.0.0.1:7301", "heavy", "127.0.0.1:7302", "light"), Map.of(), false, null, false, List.of(
                        Req.get("w.example", "/1", "heavy"),
                        Req.get("w.example", "/2", "light"),
                        Req.ws("w.example", "/3", "heavy"),
                        Req.get("w.example", "/4", "heavy"),
                        Req.ws("w.example", "/5", "light"),
                        Req.get("w.example", "/6", "heavy"))),
                new Scenario("least_conn", "differential/least-conn.conf",
                        Map.of("127.0.0.1:7401", "one", "127.0.0.1:7402", "two"), Map.of(), false, null, false, List.of(
                        Req.get("l.example", "/1", "one"),
                        Req.get("l.example", "/2", "two"),
                        Req.get("l.example", "/3", "one"),
                        Req.get("l.example", "/4", "two"))));
    }

    static Stream<String> refused() {
        return Stream.of(
                "http {\n  server {\n  }\n}\n}\n",
                "http {\n  server {\n",
                "http {\n  listen 80\n}\n",
                "worker_processes 1\n",
                "\n;\n",
                "a \"b\"c;\n",
                "\n\nreturn \"never closed;\n}\n",
                "http { server {\n  location /x;\n}}\n",
                "http { server {\n  location /x {\n    proxy_pass http://a { }\n  }\n}}\n",
                "http {\n  upstream u { server 127.0.0.1:1; }\n  server { location / { proxy_pass http://u:8080; } }\n}\n",
                "http {\n  include\n    missing/file.conf;\n}\n");
    }

    private static final Pattern NGINX_ERROR = Pattern.compile("nginx: \\[emerg\\] (.*) in (\\S+):(\\d+)");

    @ParameterizedTest
    @MethodSource("refused")
    void refusesWhatNginxRefusesWithItsMessageAtTheSameLine(String text) throws Exception {
        Path bad = prefix.resolve("bad.conf");
        Files.writeString(bad, text);
        Path main = prefix.resolve("nginx.conf");
        Files.writeString(main, "events {}\ninclude bad.conf;\n");
        Process p = new ProcessBuilder(nginx.toString(), "-t", "-p", prefix + "/", "-c", main.toString(), "-e", prefix.resolve("error.log").toString(),
                "-g", "pid " + prefix.resolve("nginx.pid") + ";").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isNotZero();
        Matcher m = NGINX_ERROR.matcher(out);
        assertThat(m.find()).as(out).isTrue();
        NginxSyntaxException e = org.assertj.core.api.Assertions.catchThrowableOfType(NginxSyntaxException.class,
                () -> NginxImport.translate(main));
        assertThat(e).as("the import refuses it too (nginx: " + m.group(1) + ")").isNotNull();
        assertThat(e.file().toAbsolutePath()).isEqualTo(Path.of(m.group(2)));
        assertThat(e.line()).as(e.getMessage() + " vs nginx: " + m.group(1)).isEqualTo(Integer.parseInt(m.group(3)));
        if (m.group(1).startsWith("open() ")) assertThat(e.getMessage()).contains(m.group(1).replaceAll("open\\(\\) \"([^\"]+)\".*", "$1"));
        else assertThat(e.getMessage()).startsWith(m.group(1));
    }

    /** What one upstream saw of one request or WebSocket handshake. Header values are null when absent. */
    record Seen(String target, String uri, String host, String realIp, String forwardedFor, String upgrade) {
        static Seen of(EchoUpstream.Received r) {
            return new Seen(r.upstream(), r.uri(), r.header("Host"), r.header("X-Real-IP"), r.header("X-Forwarded-For"), r.header("Upgrade"));
        }
    }

    /** What one proxy did with one request: the answer, and what the upstreams saw (at most one record). */
    record Observation(Clients.Answer answer, List<Seen> seen) {
        Seen one() {
            return seen.isEmpty() ? null : seen.get(0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void switchyardWithTheImportDoesWhatNginxDoes(Scenario s) throws Exception {
        // Every upstream records what it saw in one queue, in arrival order, before it answers (so a client holding
        // the answer finds the record there). Each answers with its name: HTTP "<name> <uri>", WebSocket "<name>|<text>".
        Queue<Seen> seen = new ConcurrentLinkedQueue<>();
        Map<String, EchoUpstream> upstreams = new LinkedHashMap<>();
        try (Clients clients = new Clients()) {
            for (String name : new java.util.TreeSet<>(s.backends().values()))
                upstreams.put(name, EchoUpstream.builder(name).replies(EchoUpstream.Replies.NAMED).onRequest(r -> seen.add(Seen.of(r))).start());
            Path main = prepare(s, upstreams);
            NginxImport.Result imported = NginxImport.translate(main);
            if (s.hostIsGroupName() != null)
                assertThat(imported.report().lines()).anyMatch(l -> l.message().contains("nginx sent Host: " + s.hostIsGroupName()));
            Process nginxProcess = startNginx(main);
            DataPlaneSettings settings = DataPlaneSettings.loopback();
            if (s.tls()) settings = settings.withTlsListen(new InetSocketAddress("127.0.0.1", 0));
            try (DataPlane dp = DataPlane.start(settings)) {
                dp.apply(new Snapshot(1, imported.config()));
                InetSocketAddress nginxAt = new InetSocketAddress(CLIENT, listenPort);
                InetSocketAddress switchyardAt = s.tls() ? dp.tlsAddress() : dp.listenAddress();
                List<String> problems = new ArrayList<>();
                List<String> nginxTargets = new ArrayList<>();
                List<String> switchyardTargets = new ArrayList<>();
                int reached = 0;
                for (Req q : s.requests()) {
                    Observation n = send(clients, nginxAt, s, q, seen);
                    Observation y = send(clients, switchyardAt, s, q, seen);
                    if (n.one() != null) {
                        reached++;
                        nginxTargets.add(n.one().target());
                    }
                    if (y.one() != null) switchyardTargets.add(y.one().target());
                    compare(s, q, n, y, upstreams, problems);
                }
                if (s.sticky()) {
                    assertThat(nginxTargets).as("nginx keeps the client on one target").hasSize(s.requests().size()).containsOnly(nginxTargets.get(0));
                    assertThat(switchyardTargets).as("Switchyard keeps the client on one target").hasSize(s.requests().size())
                            .containsOnly(switchyardTargets.get(0));
                }
                assertThat(reached).as("requests nginx sent to an upstream").isGreaterThan(0);
                assertThat(problems).as("differences from nginx in " + s.name() + "\nreport:\n"
                        + String.join("\n", imported.report().lines().stream().map(Object::toString).toList())).isEmpty();
            } finally {
                stop(nginxProcess);
            }
        } finally {
            upstreams.values().forEach(EchoUpstream::close);
        }
    }

    private static Observation send(Clients clients, InetSocketAddress to, Scenario s, Req q, Queue<Seen> seen) throws Exception {
        seen.clear();
        Clients.Answer a = q.ws() ? clients.websocket(to, s.tls(), q.host(), q.path())
                : clients.get(to, s.tls(), q.host(), q.path(), q.headers());
        List<Seen> got = new ArrayList<>(seen);
        seen.clear();
        return new Observation(a, got);
    }

    /** The per-request comparison; every difference becomes one line of {@code problems}. */
    private static void compare(Scenario s, Req q, Observation n, Observation y, Map<String, EchoUpstream> upstreams, List<String> problems) {
        String at = q + ": ";
        if (n.seen().size() > 1 || y.seen().size() > 1) {
            problems.add(at + "more than one upstream request (nginx " + n.seen() + ", Switchyard " + y.seen() + ")");
            return;
        }
        Seen ns = n.one();
        Seen ys = y.one();
        if (q.expect() == null && !s.sticky()) {
            if (ns != null) problems.add(at + "nginx itself sent it to " + ns.target() + " (the scenario expects no upstream)");
            if (ys != null) problems.add(at + "Switchyard sent it to " + ys.target() + ", nginx to no upstream");
            if (n.answer().status() != y.answer().status())
                problems.add(at + "status nginx " + n.answer().status() + ", Switchyard " + y.answer().status());
            return;
        }
        if (ns == null) {
            problems.add(at + "nginx itself sent it to no upstream (answer " + n.answer() + "): the scenario is wrong");
            return;
        }
        if (!s.sticky() && !ns.target().equals(q.expect()))
            problems.add(at + "nginx itself chose " + ns.target() + ", the scenario expects " + q.expect());
        if (ys == null) {
            problems.add(at + "Switchyard sent it to no upstream (answer " + y.answer() + "), nginx to " + ns.target());
            return;
        }
        if (!s.sticky()) same(at, "target", ns.target(), ys.target(), problems);
        same(at, "path", ns.uri(), ys.uri(), problems);
        if (s.hostIsGroupName() != null) {
            same(at, "nginx's Host (the group's name)", s.hostIsGroupName(), ns.host(), problems);
            same(at, "Switchyard's Host (the target's address)", upstreams.get(ys.target()).address(), ys.host(), problems);
        } else {
            same(at, "Host", ns.host(), ys.host(), problems);
        }
        // Switchyard sends these on every route; nginx only where the configuration says so.
        same(at, "X-Real-IP", ns.realIp() != null ? ns.realIp() : CLIENT, ys.realIp(), problems);
        String incoming = q.headers().get("X-Forwarded-For");
        same(at, "X-Forwarded-For", ns.forwardedFor() != null ? ns.forwardedFor() : incoming == null ? CLIENT : incoming + ", " + CLIENT,
                ys.forwardedFor(), problems);
        // Under ip_hash the targets may differ by design; the answer (which names the target) then follows Switchyard's target.
        Clients.Answer expected = s.sticky() && n.answer().body().startsWith(ns.target())
                ? new Clients.Answer(n.answer().status(), ys.target() + n.answer().body().substring(ns.target().length())) : n.answer();
        if (q.ws()) {
            same(at, "Upgrade", ns.upgrade() != null ? ns.upgrade() : "websocket", ys.upgrade(), problems);
            if (n.answer().status() == 101) same(at, "WebSocket answer", expected, y.answer(), problems);
            else same(at, "WebSocket answer (Switchyard passes every upgrade)", new Clients.Answer(101, ys.target() + "|whoami"), y.answer(), problems);
        } else {
            same(at, "Upgrade", null, ns.upgrade(), problems);
            same(at, "Upgrade", null, ys.upgrade(), problems);
            same(at, "answer", expected, y.answer(), problems);
        }
    }

    private static void same(String at, String what, Object expected, Object actual, List<String> problems) {
        if (!Objects.equals(expected, actual)) problems.add(at + what + ": nginx → " + expected + ", Switchyard → " + actual);
    }

    // ---- nginx ------------------------------------------------------------------------------------

    private int listenPort;

    private static final Pattern LISTEN = Pattern.compile("(listen\\s+)([^\\s;]+)");

    /**
     * Copies the scenario's files into the prefix with every backend address replaced by a recording
     * upstream's and every listen port by a free one, inside a main file that keeps nginx's temporary
     * files in the prefix. Returns the main file (what both nginx and the import read).
     */
    private Path prepare(Scenario s, Map<String, EchoUpstream> upstreams) throws IOException {
        Path source = NginxImportTest.fieldGuide("1-one-port.conf").getParent().getParent().resolve(s.resource());
        listenPort = freePort();
        // The scenario's directory comes along (certificates, included files), every file rewritten the same way.
        Path from = source.getParent();
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Path to = prefix.resolve(from.relativize(f).toString());
                Files.createDirectories(to.getParent());
                Files.writeString(to, rewrite(Files.readString(f), s, upstreams));
            }
        }
        String text = rewrite(Files.readString(source), s, upstreams);
        Files.createDirectories(prefix.resolve("tmp"));
        Files.createDirectories(prefix.resolve("logs"));
        String temp = String.join("\n", "    access_log off;",
                "    client_body_temp_path " + prefix.resolve("tmp/body") + ";",
                "    proxy_temp_path " + prefix.resolve("tmp/proxy") + ";",
                "    fastcgi_temp_path " + prefix.resolve("tmp/fastcgi") + ";",
                "    uwsgi_temp_path " + prefix.resolve("tmp/uwsgi") + ";",
                "    scgi_temp_path " + prefix.resolve("tmp/scgi") + ";", "");
        Path main = prefix.resolve("nginx.conf");
        if (text.contains("http {")) {
            Files.writeString(main, "events {}\n" + text.replaceFirst("http \\{", Matcher.quoteReplacement("http {\n" + temp)));
        } else {
            Files.writeString(main, "events {}\nhttp {\n" + temp + "    include " + source.getFileName() + ";\n}\n");
        }
        return main;
    }

    private String rewrite(String text, Scenario s, Map<String, EchoUpstream> upstreams) {
        for (Map.Entry<String, String> e : s.backends().entrySet()) text = text.replace(e.getKey(), upstreams.get(e.getValue()).address());
        for (Map.Entry<String, String> e : s.edits().entrySet()) text = text.replace(e.getKey(), e.getValue());
        text = text.replace("/var/log/nginx/", prefix + "/");
        Matcher m = LISTEN.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(m.group(1) + CLIENT + ":" + listenPort));
        m.appendTail(sb);
        return sb.toString();
    }

    private Process startNginx(Path main) throws IOException, InterruptedException {
        Path log = prefix.resolve("logs/error.log");
        Process p = new ProcessBuilder(nginx.toString(), "-p", prefix + "/", "-c", main.toString(), "-e", log.toString(),
                "-g", "daemon off; master_process off; worker_processes 1; pid " + prefix.resolve("nginx.pid") + ";")
                .redirectErrorStream(true).redirectOutput(prefix.resolve("logs/nginx.out").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                    .until(() -> !p.isAlive() || accepts(listenPort));
        } catch (RuntimeException e) {
            stop(p);
            throw e;
        }
        if (!p.isAlive()) {
            fail("nginx did not start: " + Files.readString(prefix.resolve("logs/nginx.out")) + "\n"
                    + (Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : ""));
        }
        return p;
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy(); // SIGTERM: nginx's fast shutdown
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(CLIENT, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(CLIENT))) {
            return s.getLocalPort();
        }
    }
}
