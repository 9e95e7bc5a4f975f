package io.switchyard.dataplane;

import io.switchyard.config.Balance;
import io.switchyard.dataplane.http.HeadGuardHandler;
import io.switchyard.testkit.Configs;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** Malformed requests from clients, over raw sockets: each gets its status, then the connection closes. */
class BadInputTest {
    private static EchoUpstream echo;
    private static DataPlane dp;

    @BeforeAll
    static void start() {
        echo = new EchoUpstream("a");
        dp = DataPlane.start(DataPlaneSettings.loopback(), 1000); // the 10 s header timeout, shortened
        dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
    }

    @AfterAll
    static void stop() {
        dp.close();
        echo.close();
    }

    private static void assertRejected(String raw, int status) throws IOException {
        int before = echo.requests.get();
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            RawHttp.Response r = c.send(raw).read();
            assertThat(r.status()).isEqualTo(status);
            assertThat(r.header("content-type")).startsWith("text/plain");
            assertThat(r.header("connection")).isEqualTo("close");
            assertThat(c.closedByPeer()).isTrue();
        }
        assertThat(echo.requests.get()).as("nothing reached the upstream").isEqualTo(before);
    }

    @Test
    void answers414ToARequestLineOver8KiB() throws Exception {
        assertRejected("GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: h\r\n\r\n", 414);
    }

    @Test
    void answers431ToHeadersOver32KiB() throws Exception {
        StringBuilder b = new StringBuilder("GET / HTTP/1.1\r\nHost: h\r\n");
        for (int i = 0; i < 40; i++) b.append("X-Filler-").append(i).append(": ").append("v".repeat(1000)).append("\r\n");
        assertRejected(b.append("\r\n").toString(), 431);
    }

    @Test
    void acceptsARequestLineAndHeadersJustUnderTheLimits() throws Exception {
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            StringBuilder b = new StringBuilder("GET /" + "a".repeat(8000) + " HTTP/1.1\r\nHost: h\r\n");
            for (int i = 0; i < 30; i++) b.append("X-Filler-").append(i).append(": ").append("v".repeat(1000)).append("\r\n");
            assertThat(c.send(b.append("\r\n").toString()).read().status()).isEqualTo(200);
        }
    }

    /** A request line of {@code len} bytes (CRLF not counted): {@code GET /aaa...a HTTP/1.1}. */
    private static String requestLineOf(int len) {
        return "GET /" + "a".repeat(len - "GET / HTTP/1.1".length()) + " HTTP/1.1\r\n";
    }

    /** Header lines, with the empty line that ends them, of {@code len} bytes in all (CRLFs counted). */
    private static String headerBlockOf(int len) {
        StringBuilder b = new StringBuilder("Host: h\r\n");
        int left = len - b.length() - 2;
        for (int i = 0; left > 0; i++) {
            String name = "X-Filler-" + i + ": ";
            int value = Math.min(1000, left - name.length() - 2);
            if (value < 1) { // too little left for another field: lengthen the last one
                b.insert(b.length() - 2, "v".repeat(left));
                break;
            }
            b.append(name).append("v".repeat(value)).append("\r\n");
            left -= name.length() + value + 2;
        }
        return b.append("\r\n").toString();
    }

    @Test
    void takesARequestLineAndAHeaderBlockExactlyAtTheLimitsAndRefusesOneByteMore() throws Exception {
        // The head parser copies runs of plain bytes in one go and checks the limits on each run: to the byte, a head
        // exactly at a limit passes and one byte more gets the limit's status, as when every byte had its own check.
        String atLimitHeaders = headerBlockOf(HeadGuardHandler.MAX_HEAD);
        assertThat(atLimitHeaders).hasSize(HeadGuardHandler.MAX_HEAD);
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            assertThat(c.send(requestLineOf(HeadGuardHandler.MAX_REQUEST_LINE) + "Host: h\r\n\r\n").read().status()).isEqualTo(200);
        }
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            assertThat(c.send("GET / HTTP/1.1\r\n" + atLimitHeaders).read().status()).isEqualTo(200);
        }
        assertRejected(requestLineOf(HeadGuardHandler.MAX_REQUEST_LINE + 1) + "Host: h\r\n\r\n", 414);
        assertRejected("GET / HTTP/1.1\r\n" + headerBlockOf(HeadGuardHandler.MAX_HEAD + 1), 431);
    }

    @Test
    void answers400ToContentLengthTogetherWithTransferEncoding() throws Exception {
        assertRejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
        assertRejected("POST / HTTP/1.1\r\nHost: h\r\ntransfer-encoding: chunked\r\ncontent-length: 5\r\n\r\n0\r\n\r\n", 400);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc",
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\nabc",
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\nabc",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\nabc",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n  b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nX-Ctl: a\u0001b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nX-Nul: a\u0000b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nX-Del: a\u007fb\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    })
    void answers400AndClosesOnSmugglingShapedOrMalformedHeads(String raw) throws Exception {
        assertRejected(raw, 400);
    }

    @Test
    void closesAClientThatDoesNotFinishItsHeadInTime() throws Exception {
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\n"); // ...and never the blank line
            long t0 = System.nanoTime();
            assertThat(c.closedByPeer()).isTrue();
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5000);
        }
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            assertThat(c.closedByPeer()).as("a connection that sends nothing is closed as well").isTrue();
        }
    }

    @Test
    void anIdleKeepAliveConnectionOutlivesTheHeaderTimeoutButANewHeadMustStillBeQuick() throws Exception {
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            assertThat(c.send(RawHttp.get("/1", "h")).read().status()).isEqualTo(200);
            Thread.sleep(1500); // idle between requests: longer than the 1 s header limit
            assertThat(c.send(RawHttp.get("/2", "h")).read().status()).isEqualTo(200);
            c.send("GET /3 HTTP/1.1\r\n"); // a head begun and never finished
            assertThat(c.closedByPeer()).isTrue();
        }
    }

    @Test
    void slowButCompleteHeadsAreServed() throws Exception {
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("GET / HTTP/1.1\r\n");
            Thread.sleep(100);
            c.send("Host: h\r\n");
            Thread.sleep(100);
            assertThat(c.send("\r\n").read().status()).isEqualTo(200);
        }
    }

    @Test
    void neverForwardsAnH2cUpgrade() throws Exception {
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            RawHttp.Response r = c.send("GET /h2 HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                    + "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).doesNotContainIgnoringCase("upgrade").doesNotContainIgnoringCase("http2-settings");
            assertThat(c.send(RawHttp.get("/after", "h")).read().text()).startsWith("GET /after ");
        }
    }
}
