package io.switchyard.dataplane;

import io.switchyard.config.Balance;
import io.switchyard.testkit.Configs;
import io.switchyard.testkit.RawHttp;
import io.switchyard.testkit.RecordingUpstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Hostile requests over raw sockets against upstreams that log exactly what they parsed. Every class of attack is
 * tried in every head position a connection has: first, pipelined behind a good request, right after a request's
 * body in the same write, and after an upgrade the upstream refused. Each must be refused with its status (then the
 * connection closes) or made harmless, and the upstreams must see only the good requests, never a smuggled one.
 */
class HostileInputTest {
    private static RecordingUpstream pub;
    private static RecordingUpstream admin;
    private static DataPlane dp;

    @BeforeAll
    static void start() {
        pub = new RecordingUpstream();
        admin = new RecordingUpstream();
        dp = DataPlane.start(DataPlaneSettings.loopback(), 2000);
        dp.apply(Configs.snapshot(1,
                List.of(Configs.upstream("pub", Balance.ROUND_ROBIN, pub.address()),
                        Configs.upstream("adm", Balance.ROUND_ROBIN, admin.address())),
                List.of(Configs.route("public", "/public", "pub"), Configs.route("admin", "/admin", "adm"),
                        Configs.route("rest", "/", "pub"))));
    }

    @AfterAll
    static void stop() {
        dp.close();
        pub.close();
        admin.close();
    }

    @BeforeEach
    void clear() {
        pub.clear();
        admin.clear();
    }

    /** Where the hostile head sits on its connection. */
    enum Position {
        FIRST("", List.of()),
        PIPELINED("GET /public/good HTTP/1.1\r\nHost: h\r\n\r\n", List.of("GET /public/good")),
        AFTER_BODY("POST /public/form HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", List.of("POST /public/form")),
        AFTER_REFUSED_UPGRADE("GET /public/ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", List.of("GET /public/ws"));

        final String before;
        final List<String> upstreamSees;

        Position(String before, List<String> upstreamSees) {
            this.before = before;
            this.upstreamSees = upstreamSees;
        }
    }

    private static final String SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n";

    static Stream<Arguments> refused() {
        List<Object[]> cases = List.of(
                new Object[]{"CL and TE together", "POST /public/x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED, 400},
                new Object[]{"TE and CL together", "POST /public/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n" + SMUGGLED, 400},
                new Object[]{"TE other than chunked", "POST /public/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n" + SMUGGLED, 400},
                new Object[]{"TE list ending in chunked", "POST /public/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + SMUGGLED, 400},
                new Object[]{"TE twice", "POST /public/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED, 400},
                new Object[]{"TE on HTTP/1.0", "POST /public/x HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED, 400},
                new Object[]{"duplicate Content-Length", "POST /public/x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: 36\r\n\r\n" + SMUGGLED, 400},
                new Object[]{"Content-Length list", "POST /public/x HTTP/1.1\r\nHost: h\r\nContent-Length: 36, 36\r\n\r\n" + SMUGGLED, 400},
                new Object[]{"signed Content-Length", "POST /public/x HTTP/1.1\r\nHost: h\r\nContent-Length: +36\r\n\r\n" + SMUGGLED, 400},
                new Object[]{"obs-fold", "GET /public/x HTTP/1.1\r\nHost: h\r\nX-Fold: a\r\n Transfer-Encoding: chunked\r\n\r\n", 400},
                new Object[]{"space before colon", "GET /public/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n", 400},
                new Object[]{"bare CR in a header", "GET /public/x HTTP/1.1\r\nHost: h\r\nX-A: a\rTransfer-Encoding: chunked\r\n\r\n", 400},
                new Object[]{"control byte in target", "GET /public/a\u0001b HTTP/1.1\r\nHost: h\r\n\r\n", 400},
                new Object[]{"control byte in a header", "GET /public/x HTTP/1.1\r\nHost: h\r\nX-A: a\u0000b\r\n\r\n", 400},
                new Object[]{"tab in the request line", "GET\t/public/x HTTP/1.1\r\nHost: h\r\n\r\n", 400},
                new Object[]{"HTTP/2.0 version on HTTP/1 framing", "GET /public/x HTTP/2.0\r\nHost: h\r\n\r\n", 400},
                new Object[]{"WebSocket draft Key1/Key2 with implicit body", "GET /public/ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\n"
                        + "Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\nSec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n\r\n" + "^n:ds[4U" + SMUGGLED, 400},
                new Object[]{"userinfo in Host", "GET /public/x HTTP/1.1\r\nHost: t:@evil.example\r\n\r\n", 400},
                new Object[]{"space in Host", "GET /public/x HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
                new Object[]{"path in Host", "GET /public/x HTTP/1.1\r\nHost: t/../x\r\n\r\n", 400},
                new Object[]{"two Host headers", "GET /public/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
                new Object[]{"no Host on HTTP/1.1", "GET /public/x HTTP/1.1\r\nX-A: b\r\n\r\n", 400},
                new Object[]{"encoded slash in a dot segment", "GET /public/..%2fadmin HTTP/1.1\r\nHost: h\r\n\r\n", 400},
                new Object[]{"encoded backslash", "GET /public/..%5cadmin HTTP/1.1\r\nHost: h\r\n\r\n", 400},
                new Object[]{"raw backslash", "GET /public/..\\admin HTTP/1.1\r\nHost: h\r\n\r\n", 400},
                new Object[]{"encoded NUL", "GET /public/a%00.txt HTTP/1.1\r\nHost: h\r\n\r\n", 400},
                new Object[]{"dot segment with parameters", "GET /public/..;/admin HTTP/1.1\r\nHost: h\r\n\r\n", 400},
                new Object[]{"dot segments above the root", "GET /../admin HTTP/1.1\r\nHost: h\r\n\r\n", 400},
                new Object[]{"CONNECT", "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n", 405},
                new Object[]{"asterisk-form GET", "GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400},
                new Object[]{"absolute-form with userinfo", "GET http://u:p@h/public/x HTTP/1.1\r\nHost: h\r\n\r\n", 400},
                new Object[]{"absolute-form of another scheme", "GET ftp://h/public/x HTTP/1.1\r\nHost: h\r\n\r\n", 400},
                new Object[]{"WebSocket upgrade on POST", "POST /public/ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: 0\r\n\r\n", 400},
                new Object[]{"WebSocket version 8", "GET /public/ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                        + "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", 426},
                new Object[]{"WebSocket key of 4 bytes", upgradeWithKey("AAAAAA=="), 400},
                new Object[]{"WebSocket key in the URL-safe alphabet", upgradeWithKey("dGhl_HNhbXBsZSBub25jZQ=="), 400},
                new Object[]{"WebSocket key of 17 bytes", upgradeWithKey("AAAAAAAAAAAAAAAAAAAAAAA="), 400},
                new Object[]{"WebSocket key with one padding character of two", upgradeWithKey("dGhlIHNhbXBsZSBub25jZQ="), 400},
                new Object[]{"two WebSocket keys", upgradeWithKey("dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="), 400},
                new Object[]{"WebSocket upgrade over HTTP/1.0", "GET /public/ws HTTP/1.0\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", 400},
                new Object[]{"more than 100 headers", "GET /public/x HTTP/1.1\r\nHost: h\r\n" + "X-N: v\r\n".repeat(101) + "\r\n", 431},
                new Object[]{"junk in a chunk size", "POST /public/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n" + SMUGGLED, 400},
                new Object[]{"junk after chunk data", "POST /public/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n" + SMUGGLED, 400});
        List<Arguments> out = new ArrayList<>();
        for (Object[] c : cases)
            for (Position p : Position.values()) out.add(Arguments.of(c[0], p, c[1], c[2]));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} ({1})")
    @MethodSource("refused")
    void refusesWithItsStatusThenClosesAndOnlyTheGoodRequestsReachTheUpstream(String name, Position position, String raw,
                                                                               int status) throws Exception {
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send(position.before + raw);
            for (int i = 0; i < position.upstreamSees.size(); i++)
                assertThat(c.read().status()).as("the good request ahead of it").isEqualTo(200);
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(status);
            assertThat(r.header("connection")).isEqualTo("close");
            if (status == 426) assertThat(r.header("sec-websocket-version")).isEqualTo("13");
            assertThat(c.closedByPeer()).isTrue();
        }
        assertOnlyGoodRequestsReached(position.upstreamSees);
    }

    private static void assertOnlyGoodRequestsReached(List<String> expected) {
        // Whatever was let through would be parsed by now; keep looking for a while to be sure nothing more comes.
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
            List<String> seen = new ArrayList<>(pub.targets());
            seen.addAll(admin.targets());
            assertThat(seen).containsExactlyElementsOf(expected);
            assertThat(pub.garbage).isEmpty();
            assertThat(admin.garbage).isEmpty();
        });
    }

    /** A WebSocket handshake to the public route, valid but for its {@code Sec-WebSocket-Key} field(s). */
    private static String upgradeWithKey(String key) {
        return "GET /public/ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n\r\n";
    }

    static Stream<Position> positions() {
        return Stream.of(Position.values());
    }

    @ParameterizedTest
    @MethodSource("positions")
    void aContentLengthNamedInConnectionIsStillTheFramingSoItsBodyStaysABody(Position position) throws Exception {
        String body = SMUGGLED;
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send(position.before + "POST /public/upload HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Content-Length, Transfer-Encoding, Host\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body);
            for (int i = 0; i < position.upstreamSees.size(); i++) assertThat(c.read().status()).isEqualTo(200);
            assertThat(c.read().text()).isEqualTo("ok POST /public/upload");
        }
        List<String> expected = new ArrayList<>(position.upstreamSees);
        expected.add("POST /public/upload");
        assertOnlyGoodRequestsReached(expected);
        RecordingUpstream.Request post = pub.requests.stream().filter(r -> r.target().equals("/public/upload")).findFirst().orElseThrow();
        assertThat(post.bodyText()).isEqualTo(body);
        assertThat(post.count("Content-Length")).isEqualTo(1);
        assertThat(post.count("Host")).isEqualTo(1);
        assertThat(post.count("Transfer-Encoding")).isZero();
    }

    @ParameterizedTest
    @MethodSource("positions")
    void dotSegmentsAreResolvedBeforeRoutingSoAPrefixCannotBeWalkedAround(Position position) throws Exception {
        String[] targets = {"/public/../admin", "/public/%2e%2e/admin", "/public/%2E%2e/admin/./x", "//admin//y", "/public/%7euser"};
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            StringBuilder b = new StringBuilder(position.before);
            for (String t : targets) b.append("GET ").append(t).append(" HTTP/1.1\r\nHost: h\r\n\r\n");
            c.send(b.toString());
            for (int i = 0; i < position.upstreamSees.size(); i++) assertThat(c.read().status()).isEqualTo(200);
            assertThat(c.read().text()).isEqualTo("ok GET /admin");
            assertThat(c.read().text()).isEqualTo("ok GET /admin");
            assertThat(c.read().text()).isEqualTo("ok GET /admin/x");
            assertThat(c.read().text()).isEqualTo("ok GET /admin/y");
            assertThat(c.read().text()).isEqualTo("ok GET /public/~user");
        }
        await().atMost(Duration.ofSeconds(3)).untilAsserted(() ->
                assertThat(admin.targets()).containsExactly("GET /admin", "GET /admin", "GET /admin/x", "GET /admin/y"));
    }

    @ParameterizedTest
    @MethodSource("positions")
    void requestTrailersAreNotForwardedButTheChunkedBodyIs(Position position) throws Exception {
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send(position.before + "POST /public/t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
                    + "Content-Length: 99\r\nX-Trailer: evil\r\n\r\n");
            for (int i = 0; i < position.upstreamSees.size(); i++) assertThat(c.read().status()).isEqualTo(200);
            assertThat(c.read().text()).isEqualTo("ok POST /public/t");
        }
        List<String> expected = new ArrayList<>(position.upstreamSees);
        expected.add("POST /public/t");
        assertOnlyGoodRequestsReached(expected);
        RecordingUpstream.Request r = pub.requests.stream().filter(x -> x.target().equals("/public/t")).findFirst().orElseThrow();
        assertThat(r.bodyText()).isEqualTo("hello");
        assertThat(r.header("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(r.trailers()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("positions")
    void headerValuesReachTheUpstreamAsTheyCameInsideTheirSurroundingWhitespace(Position position) throws Exception {
        // The guard builds each value from the bytes it parsed: inner spaces and tabs and obs-text bytes (0x80-0xFF)
        // stay as sent, only the whitespace around the value goes.
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send(position.before + "GET /public/v HTTP/1.1\r\nHost: h\r\nX-Inner: \t kept \t inside  \r\n"
                    + "X-Obs: caf\u00e9 \u00ff\r\n\r\n");
            for (int i = 0; i < position.upstreamSees.size(); i++) assertThat(c.read().status()).isEqualTo(200);
            assertThat(c.read().text()).isEqualTo("ok GET /public/v");
        }
        List<String> expected = new ArrayList<>(position.upstreamSees);
        expected.add("GET /public/v");
        assertOnlyGoodRequestsReached(expected);
        RecordingUpstream.Request r = pub.requests.stream().filter(x -> x.target().equals("/public/v")).findFirst().orElseThrow();
        assertThat(r.header("X-Inner")).isEqualTo("kept \t inside");
        assertThat(r.header("X-Obs")).isEqualTo("caf\u00e9 \u00ff");
        assertThat(r.count("X-Inner")).isEqualTo(1);
    }

    @ParameterizedTest
    @MethodSource("positions")
    void theRequestWrittenUpstreamCarriesOnlyItsOwnHeadsFieldsInTheirOrderWhateverCameBeforeIt(Position position) throws Exception {
        // The upstream request is written as bytes from the guard's parse of this head alone: nothing of the head
        // before it (a body, an upgrade's fields) may leak in, and the client's fields keep their order and spelling.
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send(position.before + "GET /public/bytes HTTP/1.1\r\nX-B: two\r\nHost: h\r\nx-a:  1 \r\nX-Request-Id: pos\r\n\r\n");
            for (int i = 0; i < position.upstreamSees.size(); i++) assertThat(c.read().status()).isEqualTo(200);
            assertThat(c.read().text()).isEqualTo("ok GET /public/bytes");
        }
        RecordingUpstream.Request r = pub.requests.stream().filter(x -> x.target().equals("/public/bytes")).findFirst().orElseThrow();
        String raw = r.rawText();
        assertThat(raw).startsWith("GET /public/bytes HTTP/1.1\r\nX-B: two\r\nx-a: 1\r\n").endsWith("\r\n\r\n");
        assertThat(raw.split("X-Request-Id: pos\r\n", -1)).hasSize(2);
        assertThat(raw.toLowerCase(java.util.Locale.ROOT)).doesNotContain("upgrade").doesNotContain("sec-websocket")
                .doesNotContain("content-length").doesNotContain("hello");
        assertThat(r.count("Host")).isEqualTo(1);
    }

    @Test
    void absoluteFormReachesTheUpstreamAsOriginFormWithItsAuthorityAsTheHost() throws Exception {
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("GET http://Example.COM:8080/public/a?q=1 HTTP/1.1\r\nHost: other.example\r\n\r\n");
            assertThat(c.read().text()).isEqualTo("ok GET /public/a?q=1");
        }
        RecordingUpstream.Request r = pub.requests.peek();
        assertThat(r.header("X-Forwarded-Host")).isEqualTo("example.com:8080");
        assertThat(r.count("Host")).isEqualTo(1);
    }

    @Test
    void headerNamesWithAnUnderscoreAreDroppedAndCounted() throws Exception {
        long before = dp.metrics().headersDropped();
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("GET /public/u HTTP/1.1\r\nHost: h\r\nX_Real_IP: 6.6.6.6\r\nX_Forwarded_For: 6.6.6.6\r\nX-Keep: yes\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
        RecordingUpstream.Request r = pub.requests.peek();
        assertThat(r.headers()).noneMatch(h -> h[0].contains("_"));
        assertThat(r.header("X-Real-IP")).isEqualTo("127.0.0.1");
        assertThat(r.header("X-Keep")).isEqualTo("yes");
        assertThat(dp.metrics().headersDropped() - before).isEqualTo(2);
    }

    @Test
    void forwardingHeadersFromAnUntrustedClientAreReplacedByTheProxysOwn() throws Exception {
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("GET /public/f HTTP/1.1\r\nHost: site.example\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n"
                    + "X-Forwarded-Port: 443\r\nX-Real-IP: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
        RecordingUpstream.Request r = pub.requests.peek();
        assertThat(r.header("X-Forwarded-Proto")).isEqualTo("http");
        assertThat(r.header("X-Forwarded-Host")).isEqualTo("site.example");
        assertThat(r.header("X-Forwarded-Port")).isEqualTo(String.valueOf(dp.listenAddress().getPort()));
        assertThat(r.header("X-Real-IP")).isEqualTo("127.0.0.1");
        assertThat(r.header("Forwarded")).isNull();
        assertThat(r.header("X-Forwarded-For")).isEqualTo("6.6.6.6, 127.0.0.1"); // appended, as nginx's $proxy_add_x_forwarded_for
        assertThat(r.count("X-Real-IP")).isEqualTo(1);
    }

    @Test
    void anUpstreamThatAnswersHeadWithABodyDoesNotPoisonTheNextClient() throws Exception {
        for (int i = 0; i < 5; i++) {
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                c.send("HEAD /head-body HTTP/1.1\r\nHost: h\r\n\r\n");
                assertThat(c.read(true).status()).isEqualTo(200);
            }
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                c.send(RawHttp.get("/public/next-" + i, "h"));
                assertThat(c.read().text()).isEqualTo("ok GET /public/next-" + i);
            }
        }
    }

    @Test
    void asteriskFormOptionsIsAnsweredByTheProxyWithoutReachingTheUpstream() throws Exception {
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("allow")).contains("GET");
            c.send(RawHttp.get("/public/after", "h"));
            assertThat(c.read().text()).isEqualTo("ok GET /public/after");
        }
        assertOnlyGoodRequestsReached(List.of("GET /public/after"));
    }
}
