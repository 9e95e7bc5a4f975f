package io.switchyard.dataplane;

import io.switchyard.config.Balance;
import io.switchyard.dataplane.upstream.UpstreamResponseDecoder;
import io.switchyard.testkit.Configs;
import io.switchyard.testkit.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Target responses over raw sockets: an upstream that answers hand-written bytes, so every byte of a response head
 * and its framing is chosen by the test. Valid responses must reach the client with their fields and bodies as sent
 * (framing re-done by the proxy), on a pooled connection when the response ended where its framing says; hostile
 * ones must be answered 502 and their connection never reused.
 */
class ResponseRelayTest {
    private static final AtomicLong VERSION = new AtomicLong();
    private static DataPlane dp;
    private ScriptedUpstream up;

    @BeforeAll
    static void start() {
        dp = DataPlane.start(DataPlaneSettings.loopback(), 2000);
    }

    @AfterAll
    static void stop() {
        dp.close();
    }

    @BeforeEach
    void upstream() throws IOException {
        up = new ScriptedUpstream();
        dp.apply(Configs.simple(VERSION.incrementAndGet(), Balance.ROUND_ROBIN, up.address()));
    }

    @AfterEach
    void closeUpstream() throws IOException {
        up.close();
    }

    static Stream<Arguments> hostile() {
        String big = "a".repeat(70_000);
        return Stream.of(
                Arguments.of("two equal Content-Length fields", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
                Arguments.of("two different Content-Length fields", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
                Arguments.of("a Content-Length list", "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello"),
                Arguments.of("a signed Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello"),
                Arguments.of("Content-Length with Transfer-Encoding", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunked not the last coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("a coding other than chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nhello"),
                Arguments.of("two Transfer-Encoding fields", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("a bare LF ending the head's lines", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok"),
                Arguments.of("a bare CR inside a field", "HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nok"),
                Arguments.of("an obs-folded field", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok"),
                Arguments.of("a control character in a value", "HTTP/1.1 200 OK\r\nX-A: a\u0001b\r\nContent-Length: 2\r\n\r\nok"),
                Arguments.of("a space before the colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok"),
                Arguments.of("a malformed status line", "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok"),
                Arguments.of("another protocol's status line", "ICY 200 OK\r\nContent-Length: 2\r\n\r\nok"),
                Arguments.of("a chunk size that is no hex number", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("a chunk size of 16 hex digits", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk data not followed by CRLF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n"),
                Arguments.of("a status line over 8192 bytes", "HTTP/1.1 200 " + "a".repeat(9000) + "\r\nContent-Length: 2\r\n\r\nok"),
                Arguments.of("a head over 65536 bytes", "HTTP/1.1 200 OK\r\nX-Big: " + big + "\r\nContent-Length: 2\r\n\r\nok"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void aHostileResponseIsAnswered502AndItsConnectionIsNeverReused(String what, String response) throws Exception {
        answered502ThenTheNextRequestGetsAFreshConnection(response, RawHttp.get("/a", "h"), what, "malformed response");
    }

    @Test
    void aStatusLineExactlyAtItsLimitIsRelayedAndOneByteMoreIsRefused() throws Exception {
        // The parser copies runs of plain bytes in one go and checks the limit on each run: to the byte, as when every
        // byte had its own check.
        String phrase = "a".repeat(UpstreamResponseDecoder.MAX_STATUS_LINE - "HTTP/1.1 200 ".length());
        up.reply("HTTP/1.1 200 " + phrase + "\r\nContent-Length: 2\r\n\r\nok");
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            RawHttp.Response r = c.send(RawHttp.get("/a", "h")).read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo("ok");
        }
        answered502ThenTheNextRequestGetsAFreshConnection("HTTP/1.1 200 a" + phrase + "\r\nContent-Length: 2\r\n\r\nok",
                RawHttp.get("/a", "h"), "a status line one byte over", "malformed response");
    }

    /**
     * The target answers {@code request} with {@code response}: the client gets 502 saying {@code reason}, and the
     * next request is answered on a new upstream connection (the refused one is never reused).
     */
    private void answered502ThenTheNextRequestGetsAFreshConnection(String response, String request, String what, String reason)
            throws Exception {
        up.reply(response);
        up.reply(ok("next"));
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            RawHttp.Response r = c.send(request).read();
            assertThat(r.status()).as(what).isEqualTo(502);
            assertThat(r.text()).contains(reason);
        }
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            RawHttp.Response r = c.send(RawHttp.get("/b", "h")).read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo("next");
        }
        assertThat(up.connections()).as("the refused response's connection is not reused").isEqualTo(2);
    }

    private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";
    private static final String ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    private static String handshake(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nX-Request-Id: hs-1\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + KEY + "\r\n\r\n";
    }

    static Stream<Arguments> untrustedSwitches() {
        return Stream.of(
                Arguments.of("a wrong accept", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: " + ACCEPT.replace('s', 't') + "\r\n\r\n"),
                Arguments.of("an accept that is no digest", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: wrong\r\n\r\n"),
                Arguments.of("no accept", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
                Arguments.of("the right accept second", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: wrong\r\nSec-WebSocket-Accept: " + ACCEPT + "\r\n\r\n"),
                Arguments.of("no Upgrade", "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: " + ACCEPT + "\r\n\r\n"),
                Arguments.of("another protocol", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: " + ACCEPT + "\r\n\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("untrustedSwitches")
    void aSwitchWithoutAValidWebSocketAcceptIsAnswered502AndNoTunnelOpens(String what, String response) throws Exception {
        answered502ThenTheNextRequestGetsAFreshConnection(response, handshake("/ws"), what, "without a valid WebSocket accept");
        assertThat(dp.openTunnels()).isZero();
    }

    @Test
    void aSwitchToAPlainRequestIsAnswered502AndBothConnectionsClose() throws Exception {
        up.reply("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + ACCEPT + "\r\n\r\n\u0081\u0002hi");
        up.reply(ok("next"));
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            RawHttp.Response r = c.send(RawHttp.get("/a", "h")).read();
            assertThat(r.status()).isEqualTo(502);
            assertThat(r.text()).contains("switched protocols without being asked");
            assertThat(c.closedByPeer()).isTrue();
        }
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            assertThat(c.send(RawHttp.get("/b", "h")).read().text()).isEqualTo("next");
        }
        assertThat(up.connections()).isEqualTo(2);
        assertThat(dp.openTunnels()).isZero();
    }

    @Test
    void an101IsRelayedWithTheTargetsFieldsAsSentItsHopByHopOnesLeftOutAndTheProxysStatusLine() throws Exception {
        up.reply("HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade, X-Hop\r\n"
                + "Sec-WebSocket-Accept: " + ACCEPT + "\r\nSec-WebSocket-Protocol: chat\r\nSet-Cookie: a=1; Path=/\r\n"
                + "X-Hop: secret\r\nKeep-Alive: timeout=5\r\nSet-Cookie: b=2\r\nX-Request-Id: from-target\r\n"
                + "X-Spaced:   inner  space \t\r\nContent-Length: 0\r\n\r\n");
        try (Socket s = client()) {
            send(s, handshake("/ws"));
            assertThat(readHead(s.getInputStream())).isEqualTo("HTTP/1.1 101 Switching Protocols\r\n"
                    + "Sec-WebSocket-Accept: " + ACCEPT + "\r\nSec-WebSocket-Protocol: chat\r\nSet-Cookie: a=1; Path=/\r\n"
                    + "Set-Cookie: b=2\r\nX-Spaced: inner  space\r\n"
                    + "upgrade: websocket\r\nconnection: upgrade\r\nX-Request-Id: hs-1\r\n\r\n");
            await().atMost(5, TimeUnit.SECONDS).until(() -> dp.openTunnels() == 1);
        }
        await().atMost(5, TimeUnit.SECONDS).until(() -> dp.openTunnels() == 0);
    }

    @Test
    void a101OnAPooledConnectionAfterAnAnswerIsCheckedAndRelayedFromItsOwnHeadOnly() throws Exception {
        // The position after a response: the switch's head is parsed and relayed from where it starts, nothing of the
        // answer before it (its fields, its body) in the 101 the client gets.
        up.reply("HTTP/1.1 200 OK\r\nSet-Cookie: first=1\r\nX-Before: yes\r\nContent-Length: 5\r\n\r\nfirst");
        up.reply("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + ACCEPT + "\r\nSec-WebSocket-Protocol: chat\r\n\r\n");
        try (Socket s = client()) {
            // One client connection (one event loop, so one pool): an answer, then the handshake.
            send(s, RawHttp.get("/a", "h"));
            assertThat(readHead(s.getInputStream())).startsWith("HTTP/1.1 200 OK\r\n");
            assertThat(s.getInputStream().readNBytes(5)).isEqualTo("first".getBytes(StandardCharsets.US_ASCII));
            send(s, handshake("/ws"));
            assertThat(readHead(s.getInputStream())).isEqualTo("HTTP/1.1 101 Switching Protocols\r\n"
                    + "Sec-WebSocket-Accept: " + ACCEPT + "\r\nSec-WebSocket-Protocol: chat\r\n"
                    + "upgrade: websocket\r\nconnection: upgrade\r\nX-Request-Id: hs-1\r\n\r\n");
            await().atMost(5, TimeUnit.SECONDS).until(() -> dp.openTunnels() == 1);
            assertThat(up.connections()).as("the switch came on the pooled connection").isEqualTo(1);
        }
        await().atMost(5, TimeUnit.SECONDS).until(() -> dp.openTunnels() == 0);
    }

    @Test
    void framesInTheSameReadAsThe101ReachTheClientInOrderAfterIt() throws Exception {
        byte[] frames = {(byte) 0x81, 5, 'f', 'i', 'r', 's', 't', (byte) 0x82, 3, 1, 2, 3, (byte) 0x81, 4, 'l', 'a', 's', 't'};
        up.reply("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + ACCEPT + "\r\n\r\n" + new String(frames, StandardCharsets.ISO_8859_1));
        try (Socket s = client()) {
            send(s, handshake("/ws"));
            InputStream in = s.getInputStream();
            assertThat(readHead(in)).startsWith("HTTP/1.1 101 Switching Protocols\r\n");
            assertThat(in.readNBytes(frames.length)).isEqualTo(frames);
        }
        await().atMost(5, TimeUnit.SECONDS).until(() -> dp.openTunnels() == 0);
    }

    @Test
    void aFixedLengthResponseReachesTheClientWithItsFieldValuesAndBodyAsSent() throws Exception {
        up.reply("HTTP/1.1 200 Fine Thanks\r\nX-Spaced:   inner  space \t\r\nX-Obs: caf\u00e9\r\nX-Empty:\r\n"
                + "Content-Length: 5\r\nKeep-Alive: timeout=5\r\nConnection: keep-alive, X-Hop\r\nX-Hop: secret\r\n\r\nhello");
        try (Socket s = client()) {
            send(s, RawHttp.get("/a", "h"));
            String head = readHead(s.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 200 Fine Thanks\r\n");
            assertThat(head).contains("\r\nX-Spaced: inner  space\r\n", "\r\nX-Obs: caf\u00e9\r\n", "\r\nX-Empty: \r\n",
                    "\r\nX-Request-Id: ");
            // The framing is the proxy's own (its field names in lower case).
            assertThat(head).containsIgnoringCase("\r\nContent-Length: 5\r\n");
            assertThat(head.toLowerCase()).doesNotContain("keep-alive", "x-hop", "connection:");
            assertThat(new String(s.getInputStream().readNBytes(5), StandardCharsets.ISO_8859_1)).isEqualTo("hello");
        }
    }

    @Test
    void aChunkedResponseIsRelayedChunkByChunkWithItsTrailers() throws Exception {
        up.reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
                + "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Checksum: abc\r\nContent-Length: 99\r\n\r\n");
        try (Socket s = client()) {
            send(s, "GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(all).containsIgnoringCase("\r\nTransfer-Encoding: chunked\r\n").containsIgnoringCase("\r\nConnection: close\r\n");
            assertThat(all).endsWith("\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n");
        }
    }

    @Test
    void aResponseEndedByTheCloseIsRechunkedAndItsConnectionNotReused() throws Exception {
        up.replyAndClose("HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nuntil the end");
        up.reply(ok("next"));
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            RawHttp.Response r = c.send(RawHttp.get("/a", "h")).read();
            assertThat(r.header("transfer-encoding")).isEqualTo("chunked");
            assertThat(r.text()).isEqualTo("until the end");
            assertThat(c.send(RawHttp.get("/b", "h")).read().text()).isEqualTo("next");
        }
        assertThat(up.connections()).isEqualTo(2);
    }

    @Test
    void bodylessAnswersCarryNoBodyAndKeepTheirConnectionPooled() throws Exception {
        up.reply("HTTP/1.1 200 OK\r\nContent-Length: 42\r\nETag: \"h\"\r\n\r\n");
        up.reply("HTTP/1.1 204 No Content\r\nX-A: 1\r\nContent-Length: 7\r\n\r\n");
        up.reply("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 10\r\n\r\n");
        up.reply(ok("last"));
        try (Socket s = client()) {
            send(s, "HEAD /a HTTP/1.1\r\nHost: h\r\n\r\n");
            String head = readHead(s.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 200 OK\r\n").containsIgnoringCase("\r\nContent-Length: 42\r\n").contains("\r\nETag: \"h\"\r\n");
            send(s, RawHttp.get("/b", "h"));
            String noContent = readHead(s.getInputStream());
            assertThat(noContent).startsWith("HTTP/1.1 204 No Content\r\n").contains("\r\nX-A: 1\r\n");
            assertThat(noContent.toLowerCase()).doesNotContain("content-length", "transfer-encoding");
            send(s, RawHttp.get("/c", "h"));
            String notModified = readHead(s.getInputStream());
            assertThat(notModified).startsWith("HTTP/1.1 304 Not Modified\r\n").containsIgnoringCase("\r\nContent-Length: 10\r\n");
            send(s, RawHttp.get("/d", "h"));
            String last = readHead(s.getInputStream());
            assertThat(last).startsWith("HTTP/1.1 200 OK\r\n");
            assertThat(new String(s.getInputStream().readNBytes(4), StandardCharsets.ISO_8859_1)).isEqualTo("last");
        }
        assertThat(up.connections()).isEqualTo(1);
    }

    @Test
    void anInterimAnswerReachesTheClientBeforeTheFinalOne() throws Exception {
        up.reply("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send(RawHttp.get("/a", "h"));
            RawHttp.Response hints = c.read();
            assertThat(hints.status()).isEqualTo(103);
            assertThat(hints.header("link")).isEqualTo("</a.css>; rel=preload");
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo("ok");
        }
    }

    /**
     * Heads longer than the decoder's first arrays (256 bytes, 8 fields), which grow once per connection: at every
     * position on one upstream connection (its first answer, after an answer with a body, as the answer to a handshake
     * the target refused, and after that) each field and body reaches the client as sent, and the connection stays
     * pooled (its decoder parsed each head exactly).
     */
    @Test
    void headsLargerThanTheDecodersFirstArraysAreRelayedWholeAtEveryPosition() throws Exception {
        for (String name : List.of("first", "small", "after-body", "refused", "after-refusal"))
            up.reply(name.equals("small") ? ok(name) : longHead(name));
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            assertLongHead(c.send(RawHttp.get("/1", "h")).read(), "first");
            assertThat(c.send(RawHttp.get("/2", "h")).read().text()).isEqualTo("small");
            assertLongHead(c.send(RawHttp.get("/3", "h")).read(), "after-body");
            assertLongHead(c.send(handshake("/ws")).read(), "refused");
            assertLongHead(c.send(RawHttp.get("/5", "h")).read(), "after-refusal");
        }
        assertThat(dp.openTunnels()).isZero();
        assertThat(up.connections()).isEqualTo(1);
    }

    /** A 200 with 20 fields of about 40 bytes each, then {@code body}. */
    private static String longHead(String body) {
        StringBuilder b = new StringBuilder("HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < 20; i++) b.append("X-Field-").append(i).append(": ").append(body).append('-').append("v".repeat(20 + i)).append("\r\n");
        return b.append("Content-Length: ").append(body.length()).append("\r\n\r\n").append(body).toString();
    }

    private static void assertLongHead(RawHttp.Response r, String body) {
        assertThat(r.status()).isEqualTo(200);
        for (int i = 0; i < 20; i++) assertThat(r.header("x-field-" + i)).isEqualTo(body + "-" + "v".repeat(20 + i));
        assertThat(r.text()).isEqualTo(body);
    }

    /**
     * A client that pipelines many requests for answers small enough to go out whole in one send, then stops reading
     * (8 MB of answers, more than the socket buffers on both sides take: loopback's grow to 4 MB). Its socket fills,
     * so one answer goes out in part, and the rest of it and every answer after it while anything waits take the
     * pipeline's write; once more than the high watermark waits, the proxy takes no next request from that client
     * (and so no answer from the target) until it reads again, instead of holding every answer it asked for. Each
     * answer must still arrive whole, once, in the order asked; then the connection serves on.
     */
    @Test
    void answersToAClientThatStopsReadingArriveWholeAndInOrder() throws Exception {
        int n = 2000;
        for (int i = 0; i < n; i++) up.reply(ok(bodyOf(i)));
        try (RawHttp c = new RawHttp(RawHttp.connect(dp.listenAddress(), 4096))) {
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < n; i++) all.append(RawHttp.get("/p" + i, "h"));
            c.send(all.toString());
            // The proxy's answers fill the client's window and the proxy's socket buffer, and it stops taking answers
            // from the target: the replies it has not asked for stop going down, with most of them still there.
            int[] last = {-1};
            await().atMost(10, TimeUnit.SECONDS).pollInterval(300, TimeUnit.MILLISECONDS).until(() -> {
                int left = up.unanswered();
                boolean still = left == last[0];
                last[0] = left;
                return still;
            });
            assertThat(last[0]).as("answers the proxy has not taken while the client does not read").isGreaterThan(n / 2);
            for (int i = 0; i < n; i++) {
                RawHttp.Response r = c.read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.header("content-length")).isEqualTo(Integer.toString(bodyOf(i).length()));
                assertThat(r.text()).as("answer %d", i).isEqualTo(bodyOf(i));
            }
            up.reply(ok("after"));
            assertThat(c.send(RawHttp.get("/after", "h")).read().text()).isEqualTo("after");
        }
    }

    /**
     * An interim answer (100 Continue) answers a request that still waits for its final answer: the response encoder
     * must not take it as that request's answer, or the next answer made here is framed for the wrong request. Here
     * the pipelined request after it is a HEAD the proxy refuses itself (two Host fields): its 400 must carry no body.
     */
    @Test
    void anInterimAnswerLeavesTheNextLocalAnswerFramedForItsOwnRequest() throws Exception {
        up.reply("HTTP/1.1 100 Continue\r\n\r\n" + ok("first"));
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi"
                    + "HEAD /b HTTP/1.1\r\nHost: h\r\nHost: other\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(100);
            assertThat(c.read().text()).isEqualTo("first");
            RawHttp.Response refused = c.read(true);
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.header("content-length")).isNotNull();
            // Nothing after the head of an answer to HEAD: the connection ends right there (a refusal closes it).
            assertThat(c.closedByPeer()).isTrue();
        }
    }

    /** About 4 KB, different for each {@code i}: an answer that is sent whole, and that tells one answer from another. */
    private static String bodyOf(int i) {
        return ("answer-" + i + "-").repeat(600).substring(0, 4000 - (i % 7));
    }

    /**
     * Pipelined requests (all in one write) are answered one after the other over one upstream connection, as
     * requests one at a time are: each exchange hands its connection back when the target's answer has been read, and
     * the next pipelined request takes it from the pool instead of connecting again.
     */
    @Test
    void pipelinedRequestsShareOnePooledUpstreamConnection() throws Exception {
        for (int i = 0; i < 5; i++) up.reply(ok("p" + i));
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < 5; i++) all.append(RawHttp.get("/" + i, "h"));
            c.send(all.toString());
            for (int i = 0; i < 5; i++) assertThat(c.read().text()).isEqualTo("p" + i);
        }
        assertThat(up.connections()).isEqualTo(1);
    }

    @Test
    void severalResponsesInARowShareOnePooledUpstreamConnection() throws Exception {
        for (int i = 0; i < 5; i++) up.reply(i % 2 == 0 ? ok("r" + i) : "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nr" + i + "\r\n0\r\n\r\n");
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            for (int i = 0; i < 5; i++) assertThat(c.send(RawHttp.get("/" + i, "h")).read().text()).isEqualTo("r" + i);
        }
        assertThat(up.connections()).isEqualTo(1);
    }

    @Test
    void bytesPastTheContentLengthKeepTheConnectionOutOfThePool() throws Exception {
        up.reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokSURPLUS");
        up.reply(ok("next"));
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            assertThat(c.send(RawHttp.get("/a", "h")).read().text()).isEqualTo("ok");
            assertThat(c.send(RawHttp.get("/b", "h")).read().text()).isEqualTo("next");
        }
        assertThat(up.connections()).isEqualTo(2);
    }

    @Test
    void aResponseArrivingOneByteAtATimeIsRelayedWhole() throws Exception {
        up.replySlowly("HTTP/1.1 200 OK\r\nX-A: split\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3;x=y\r\nefg\r\n0\r\nX-T: t\r\n\r\n");
        up.replySlowly("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond");
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            RawHttp.Response r = c.send(RawHttp.get("/a", "h")).read();
            assertThat(r.header("x-a")).isEqualTo("split");
            assertThat(r.text()).isEqualTo("abcdefg");
            assertThat(c.send(RawHttp.get("/b", "h")).read().text()).isEqualTo("second");
        }
        assertThat(up.connections()).isEqualTo(1);
    }

    @Test
    void anHttp10ClientGetsTheBodyEndedByTheCloseInsteadOfChunks() throws Exception {
        up.reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        try (Socket s = client()) {
            send(s, "GET /a HTTP/1.0\r\nHost: h\r\n\r\n");
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(all).startsWith("HTTP/1.0 200 OK\r\n").containsIgnoringCase("\r\nConnection: close\r\n").endsWith("\r\n\r\nhello");
            assertThat(all.toLowerCase()).doesNotContain("transfer-encoding");
        }
    }

    private static String ok(String body) {
        return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }

    private static Socket client() throws IOException {
        Socket s = new Socket();
        s.connect(dp.listenAddress(), 5000);
        s.setSoTimeout(15000);
        return s;
    }

    private static void send(Socket s, String raw) throws IOException {
        s.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    /** The bytes of one response head, up to and including its empty line. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            b.write(c);
            byte[] a = b.toByteArray();
            int n = a.length;
            if (n >= 4 && a[n - 4] == '\r' && a[n - 3] == '\n' && a[n - 2] == '\r' && a[n - 1] == '\n') break;
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /** An upstream that answers each request head with the next scripted bytes. */
    private static final class ScriptedUpstream implements AutoCloseable {
        private record Reply(byte[] bytes, boolean slowly, boolean close) {
        }

        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        private final BlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
        private final AtomicInteger connections = new AtomicInteger();
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final Thread acceptor = new Thread(this::accept, "scripted-upstream");

        ScriptedUpstream() throws IOException {
            acceptor.setDaemon(true);
            acceptor.start();
        }

        String address() {
            return "127.0.0.1:" + server.getLocalPort();
        }

        int connections() {
            return connections.get();
        }

        /** Replies queued and not yet sent: the requests still to come. */
        int unanswered() {
            return replies.size();
        }

        void reply(String raw) {
            replies.add(new Reply(raw.getBytes(StandardCharsets.ISO_8859_1), false, false));
        }

        void replyAndClose(String raw) {
            replies.add(new Reply(raw.getBytes(StandardCharsets.ISO_8859_1), false, true));
        }

        void replySlowly(String raw) {
            replies.add(new Reply(raw.getBytes(StandardCharsets.ISO_8859_1), true, false));
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    s.setTcpNoDelay(true);
                    connections.incrementAndGet();
                    sockets.add(s);
                    Thread t = new Thread(() -> serve(s), "scripted-upstream-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return; // closed
                }
            }
        }

        private void serve(Socket s) {
            try (s) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                while (readHead(in).endsWith("\r\n\r\n")) {
                    Reply r = replies.poll(10, TimeUnit.SECONDS);
                    if (r == null) return;
                    if (r.slowly()) {
                        for (byte b : r.bytes()) {
                            out.write(b);
                            out.flush();
                        }
                    } else {
                        out.write(r.bytes());
                        out.flush();
                    }
                    if (r.close()) return;
                }
            } catch (IOException | InterruptedException e) {
                // the proxy closed the connection, or the test ended
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) s.close();
        }
    }
}
