package io.switchyard.dataplane;

import io.switchyard.config.Balance;
import io.switchyard.testkit.Configs;
import io.switchyard.testkit.RawHttp;
import io.switchyard.testkit.RecordingUpstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The request a target gets, byte for byte: the head the proxy writes from its own parse of the client's (fields in
 * the client's order and spelling, values trimmed, then the proxy's own in a fixed order), every edit it makes
 * (hop-by-hop and Connection-named fields, underscores, forwarding fields, X-Request-Id, path and Host per route),
 * and the body framed from its own parse. The target (the test kit's recording upstream) keeps the exact bytes of
 * each request it reads.
 */
class UpstreamRequestBytesTest {
    private static RecordingUpstream target;
    private static DataPlane dp;

    @BeforeAll
    static void start() throws IOException {
        target = new RecordingUpstream();
        dp = DataPlane.start(DataPlaneSettings.loopback(), 2000);
        applyShared(1);
    }

    /** The configuration the tests share: two routes to the recording target. */
    private static void applyShared(long version) {
        dp.apply(Configs.snapshot(version, List.of(Configs.upstream("t", Balance.ROUND_ROBIN, target.address())),
                List.of(Configs.route("plain", "/p", "t"),
                        Configs.routeBuilder("stripped", "/s", "t").stripPrefix().preserveHost().build())));
    }

    @AfterAll
    static void stop() throws IOException {
        dp.close();
        target.close();
    }

    @BeforeEach
    void clear() {
        target.clear();
    }

    /**
     * What the recording target reads for request {@code name} (its X-Request-Id, under /p/) sent with Host h: the
     * request line, {@code fields}, the fields the proxy adds, the blank line.
     */
    private String relayed(String method, String name, String fields) {
        return method + " /p/" + name + " HTTP/1.1\r\n" + fields + added(target.address(), "h", name) + "\r\n";
    }

    /**
     * What the recording target reads for the request /p/refused (an upgrade the target then refuses): the WebSocket
     * fields the client sent, {@code fields}, the fields the proxy adds, and the upgrade it asks for itself.
     */
    private String refusedUpgrade(String key, String fields) {
        return "GET /p/refused HTTP/1.1\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n" + fields
                + added(target.address(), "h", "refused") + "upgrade: websocket\r\nconnection: upgrade\r\n\r\n";
    }

    /**
     * The client's side of {@link #refusedUpgrade}: the upgrade offer for /p/refused, with {@code connection} as its
     * Connection field and {@code fields} before its X-Request-Id.
     */
    private static String offeredUpgrade(String connection, String key, String fields) {
        return "GET /p/refused HTTP/1.1\r\nHost: h\r\nConnection: " + connection + "\r\nUpgrade: websocket\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n" + fields + "X-Request-Id: refused\r\n\r\n";
    }

    /**
     * What the target reads, in order, for the six heads of an at-every-position test: GET first; GET pipelined, POST body
     * (3 bytes, "abc") and GET after-body in one send; the refused upgrade; then GET {@code last}. Each carries
     * {@code fields} where the client's fields go.
     */
    private List<String> atEveryPosition(String key, String fields, String last) {
        return List.of(
                relayed("GET", "first", fields),
                relayed("GET", "pipelined", fields),
                relayed("POST", "body", fields + "content-length: 3\r\n") + "abc",
                relayed("GET", "after-body", fields),
                refusedUpgrade(key, fields),
                relayed("GET", last, fields));
    }

    /** The fields the proxy adds to a plain request from 127.0.0.1 without a body, in their order. */
    private static String added(String host, String forwardedHost, String requestId) {
        return "host: " + host + "\r\n"
                + "X-Real-IP: 127.0.0.1\r\n"
                + "X-Forwarded-For: 127.0.0.1\r\n"
                + "X-Forwarded-Proto: http\r\n"
                + "X-Forwarded-Host: " + forwardedHost + "\r\n"
                + "X-Forwarded-Port: " + dp.listenAddress().getPort() + "\r\n"
                + "X-Request-Id: " + requestId + "\r\n";
    }

    private static List<String> awaitRequests(int n) {
        await().atMost(Duration.ofSeconds(10)).until(() -> target.requests.size() >= n);
        List<String> raw = new ArrayList<>();
        for (RecordingUpstream.Request r : target.requests) raw.add(r.rawText());
        return raw;
    }

    @Test
    void the_clients_fields_reach_the_target_in_their_order_and_spelling_with_values_trimmed_then_the_proxys_own() throws IOException {
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("GET /p/a?x=1 HTTP/1.1\r\nHost: h.example\r\nX-B:  two  words \t\r\nAccept: */*\r\nx-lower: v\r\n"
                    + "X-Request-Id: req-1\r\nX-Dup: 1\r\nX-Dup: 2\r\n\r\n");
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("X-Request-Id")).isEqualTo("req-1");
        }
        assertThat(awaitRequests(1)).containsExactly("GET /p/a?x=1 HTTP/1.1\r\n"
                + "X-B: two  words\r\nAccept: */*\r\nx-lower: v\r\nX-Dup: 1\r\nX-Dup: 2\r\n"
                + added(target.address(), "h.example", "req-1") + "\r\n");
    }

    @Test
    void hop_by_hop_connection_named_underscored_and_client_forwarding_fields_never_reach_the_target() throws IOException {
        String id;
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("GET /p/edit HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nKeep-Alive: 5\r\n"
                    + "TE: trailers\r\nX_Real_IP: spoof\r\nX-Real-IP: spoof\r\nX-Forwarded-Proto: https\r\n"
                    + "X-Forwarded-Host: evil\r\nForwarded: for=1.2.3.4\r\nProxy-Authorization: x\r\nUpgrade: h2c\r\n"
                    + "X-Keep: k\r\n\r\n");
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            id = r.header("X-Request-Id");
        }
        assertThat(id).hasSize(32);
        assertThat(awaitRequests(1)).containsExactly("GET /p/edit HTTP/1.1\r\nX-Keep: k\r\n" + added(target.address(), "h", id) + "\r\n");
    }

    @Test
    void a_client_x_forwarded_for_is_extended_with_the_clients_address() throws IOException {
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("GET /p/xff HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-For: 10.0.0.2\r\nX-Request-Id: xff\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
        assertThat(awaitRequests(1)).containsExactly("GET /p/xff HTTP/1.1\r\n"
                + added(target.address(), "h", "xff").replace("X-Forwarded-For: 127.0.0.1", "X-Forwarded-For: 10.0.0.1, 10.0.0.2, 127.0.0.1")
                + "\r\n");
    }

    @Test
    void a_route_that_strips_its_prefix_and_preserves_the_host_sends_the_rest_of_the_path_and_the_clients_host() throws IOException {
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("GET /s/deep//x?q=a%20b HTTP/1.1\r\nHost: Site.Example:8080\r\nX-Request-Id: strip\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
        String sent = awaitRequests(1).get(0);
        assertThat(sent).startsWith("GET /deep/x?q=a%20b HTTP/1.1\r\n");
        assertThat(sent).contains("\r\nhost: site.example:8080\r\n").contains("\r\nX-Forwarded-Host: site.example:8080\r\n");
    }

    @Test
    void a_fixed_length_body_goes_on_with_the_length_from_the_proxys_parse() throws IOException {
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("POST /p/form HTTP/1.1\r\nHost: h\r\nContent-Length:  5 \r\nX-Request-Id: fixed\r\n\r\nhello");
            assertThat(c.read().status()).isEqualTo(200);
        }
        assertThat(awaitRequests(1)).containsExactly("POST /p/form HTTP/1.1\r\ncontent-length: 5\r\n"
                + added(target.address(), "h", "fixed") + "\r\nhello");
    }

    @Test
    void a_chunked_body_is_chunked_again_without_extensions_or_trailers() throws IOException {
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("POST /p/up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nX-Request-Id: chunks\r\n\r\n"
                    + "5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
        assertThat(awaitRequests(1)).containsExactly("POST /p/up HTTP/1.1\r\ntransfer-encoding: chunked\r\n"
                + added(target.address(), "h", "chunks") + "\r\n5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n");
    }

    @Test
    void pipelined_requests_reach_the_target_one_after_the_other_each_with_its_own_head() throws IOException {
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("GET /p/one HTTP/1.1\r\nHost: h\r\nX-Request-Id: one\r\nX-N: 1\r\n\r\n"
                    + "POST /p/two HTTP/1.1\r\nHost: h\r\nX-Request-Id: two\r\nContent-Length: 3\r\n\r\nabc"
                    + "GET /p/three HTTP/1.0\r\nHost: h\r\nX-Request-Id: three\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
            assertThat(c.read().status()).isEqualTo(200);
            assertThat(c.read().status()).isEqualTo(200);
        }
        assertThat(awaitRequests(3)).containsExactly(
                "GET /p/one HTTP/1.1\r\nX-N: 1\r\n" + added(target.address(), "h", "one") + "\r\n",
                "POST /p/two HTTP/1.1\r\ncontent-length: 3\r\n" + added(target.address(), "h", "two") + "\r\nabc",
                "GET /p/three HTTP/1.1\r\n" + added(target.address(), "h", "three") + "\r\n");
    }

    @Test
    void a_websocket_handshake_reaches_the_target_as_an_upgrade_request_the_proxy_spells() throws IOException {
        String key = "dGhlIHNhbXBsZSBub25jZQ==";
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("GET /p/accept-upgrade HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: WebSocket\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\nX-Request-Id: ws\r\n\r\n");
            RawHttp.Response r = c.read(true);
            assertThat(r.status()).isEqualTo(101);
        }
        assertThat(awaitRequests(1)).containsExactly("GET /p/accept-upgrade HTTP/1.1\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: " + key + "\r\n" + added(target.address(), "h", "ws")
                + "upgrade: websocket\r\nconnection: upgrade\r\n\r\n");
    }

    /**
     * A request whose end carries no bytes ({@code Content-Length: 0}, or no body at all) sends nothing after its head:
     * at every position on a connection (first, pipelined behind another, right after a body, after a refused
     * upgrade) the target reads exactly one head per request and nothing between them.
     */
    /**
     * A head near the header limit, sent past the pipeline in one send, then a body of 2 MB through the pipeline to a
     * target that reads slowly (a small receive buffer, a pause before its first read), so that the body's writes wait
     * for the socket under the send limit. The target must read the head whole and in order, then the body, then the
     * next request on the same connection. (That the head's one send could leave part of it behind is handled, but not
     * reached here: a loopback socket takes more than a megabyte at once.)
     */
    @Test
    void a_large_head_sent_at_once_and_a_body_that_waits_for_a_slow_target_reach_it_whole_and_in_order() throws Exception {
        try (RecordingUpstream slow = new RecordingUpstream(2048, 300)) {
            dp.apply(Configs.snapshot(2, List.of(Configs.upstream("slow", Balance.ROUND_ROBIN, slow.address())),
                    List.of(Configs.route("slow", "/slow", "slow"))));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                StringBuilder fields = new StringBuilder();
                for (int i = 0; i < 90; i++) fields.append("X-Field-").append(i).append(": ").append("v".repeat(280)).append(i).append("\r\n");
                String body = "b".repeat(2 << 20);
                c.send("POST /slow/big HTTP/1.1\r\nHost: h\r\n" + fields + "Content-Length: " + body.length()
                        + "\r\nX-Request-Id: big-1\r\n\r\n" + body);
                assertThat(c.read().status()).isEqualTo(200);
                c.send("GET /slow/next HTTP/1.1\r\nHost: h\r\nX-Request-Id: next-1\r\n\r\n");
                assertThat(c.read().status()).isEqualTo(200);
                List<RecordingUpstream.Request> got = new ArrayList<>(slow.requests);
                assertThat(got).hasSize(2);
                assertThat(got.get(0).rawText()).isEqualTo("POST /slow/big HTTP/1.1\r\n" + fields
                        + "content-length: " + body.length() + "\r\n"
                        + added(slow.address(), "h", "big-1") + "\r\n" + body);
                assertThat(got.get(1).rawText()).isEqualTo("GET /slow/next HTTP/1.1\r\n" + added(slow.address(), "h", "next-1") + "\r\n");
                assertThat(slow.garbage).isEmpty();
            }
        } finally {
            applyShared(3);
        }
    }

    @Test
    void a_request_with_an_empty_body_sends_its_head_alone_at_every_position_on_a_connection() throws IOException {
        String key = "dGhlIHNhbXBsZSBub25jZQ==";
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("POST /p/first HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nX-Request-Id: first\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
            c.send("GET /p/a HTTP/1.1\r\nHost: h\r\nX-Request-Id: a\r\n\r\n"
                    + "POST /p/pipelined HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nX-Request-Id: pipelined\r\n\r\n"
                    + "POST /p/body HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nX-Request-Id: body\r\n\r\nabc"
                    + "POST /p/after-body HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nX-Request-Id: after-body\r\n\r\n");
            for (int i = 0; i < 4; i++) assertThat(c.read().status()).isEqualTo(200);
            // The target refuses the upgrade (it answers 200): the connection stays HTTP.
            c.send(offeredUpgrade("Upgrade", key, ""));
            assertThat(c.read().status()).isEqualTo(200);
            c.send("POST /p/after-refusal HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nX-Request-Id: after-refusal\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
        // A zero length is no body: no framing field goes on (RFC 9112 6.3), and no byte follows the head.
        assertThat(awaitRequests(7)).containsExactly(
                relayed("POST", "first", ""),
                relayed("GET", "a", ""),
                relayed("POST", "pipelined", ""),
                relayed("POST", "body", "content-length: 3\r\n") + "abc",
                relayed("POST", "after-body", ""),
                refusedUpgrade(key, ""),
                relayed("POST", "after-refusal", ""));
    }
    /**
     * A browser's fields: long names, a value with an HTAB inside, and a cookie line longer than the parser's first line
     * array and than its first piece, so plain runs stop at pieces' ends, at the array's end and at control bytes.
     */
    private static final String BROWSER = "sec-ch-ua: \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\n"
            + "sec-ch-ua-platform: \"Linux\"\r\nUpgrade-Insecure-Requests: 1\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n"
            + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nX-Tab: a\tb\r\n"
            + "Cookie: session=" + "0123456789abcdef".repeat(21) + "; prefs=dark\r\n";

    @Test
    void a_browsers_head_reaches_the_target_field_for_field_at_every_position_on_a_connection() throws IOException {
        String key = "dGhlIHNhbXBsZSBub25jZQ==";
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("GET /p/first HTTP/1.1\r\nHost: h\r\n" + BROWSER + "X-Request-Id: first\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
            // Three heads in one send: pieces and runs cross from one head into the next; a body between two of them.
            c.send("GET /p/pipelined HTTP/1.1\r\nHost: h\r\n" + BROWSER + "X-Request-Id: pipelined\r\n\r\n"
                    + "POST /p/body HTTP/1.1\r\nHost: h\r\n" + BROWSER + "Content-Length: 3\r\nX-Request-Id: body\r\n\r\nabc"
                    + "GET /p/after-body HTTP/1.1\r\nHost: h\r\n" + BROWSER + "X-Request-Id: after-body\r\n\r\n");
            for (int i = 0; i < 3; i++) assertThat(c.read().status()).isEqualTo(200);
            // The target refuses the upgrade (it answers 200): the connection stays HTTP.
            c.send(offeredUpgrade("Upgrade", key, BROWSER));
            assertThat(c.read().status()).isEqualTo(200);
            c.send("GET /p/after-refusal HTTP/1.1\r\nHost: h\r\n" + BROWSER + "X-Request-Id: after-refusal\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
        assertThat(awaitRequests(6)).containsExactlyElementsOf(atEveryPosition(key, BROWSER, "after-refusal"));
    }

    /**
     * The guard's reading of {@code Connection} at every position on a connection: the fields it names never reach the
     * target, whatever the spelling, and its {@code close} token ends the connection after that answer (the one head
     * that carries it, the last).
     */
    @Test
    void fields_the_connection_header_names_stay_behind_and_its_close_is_heard_at_every_position_on_a_connection() throws IOException {
        String key = "dGhlIHNhbXBsZSBub25jZQ==";
        String hop = "X-Hop: secret\r\nX-Keep: k\r\n";
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("GET /p/first HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Hop\r\n" + hop + "X-Request-Id: first\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
            c.send("GET /p/pipelined HTTP/1.1\r\nHost: h\r\nconnection: x-hop\r\n" + hop + "X-Request-Id: pipelined\r\n\r\n"
                    + "POST /p/body HTTP/1.1\r\nHost: h\r\n" + hop + "Content-Length: 3\r\nCONNECTION:  X-HOP , keep-alive \r\n"
                    + "X-Request-Id: body\r\n\r\nabc"
                    + "GET /p/after-body HTTP/1.1\r\nHost: h\r\n" + hop + "Connection: X-Hop\r\nX-Request-Id: after-body\r\n\r\n");
            for (int i = 0; i < 3; i++) {
                RawHttp.Response r = c.read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.header("Connection")).isNull();
            }
            c.send(offeredUpgrade("Upgrade, X-Hop", key, hop));
            assertThat(c.read().status()).isEqualTo(200);
            c.send("GET /p/last HTTP/1.1\r\nHost: h\r\n" + hop + "Connection: X-Hop, close\r\nX-Request-Id: last\r\n\r\n");
            RawHttp.Response last = c.read();
            assertThat(last.status()).isEqualTo(200);
            assertThat(last.header("Connection")).isEqualToIgnoringCase("close");
            await().atMost(Duration.ofSeconds(5)).until(c::closedByPeer);
        }
        assertThat(awaitRequests(6)).containsExactlyElementsOf(atEveryPosition(key, "X-Keep: k\r\n", "last"));
    }
}
