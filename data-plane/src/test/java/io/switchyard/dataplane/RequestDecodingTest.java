package io.switchyard.dataplane;

import io.switchyard.config.Balance;
import io.switchyard.testkit.Configs;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.RawHttp;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The head guard is the only request decoder: requests are rebuilt from its parse however the bytes are cut into reads,
 * and a head cut short by the client's close is answered and counted as a bad request, as a decoder would report it.
 */
class RequestDecodingTest {
    private static EchoUpstream echo;
    private static DataPlane dp;

    @BeforeAll
    static void start() {
        echo = new EchoUpstream("a");
        dp = DataPlane.start(DataPlaneSettings.loopback());
        dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
    }

    @AfterAll
    static void stop() {
        dp.close();
        echo.close();
    }

    @Test
    void pipelinedRequestsSentOneByteAtATimeReachTheUpstreamWhole() throws Exception {
        byte[] fixed = new byte[300];
        byte[] chunkedBody = new byte[200];
        new Random(11).nextBytes(fixed);
        new Random(12).nextBytes(chunkedBody);
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        raw.writeBytes(("POST /fixed HTTP/1.1\r\nHost: h\r\nX-Spaced:   kept inside  \r\nContent-Length: " + fixed.length
                + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        raw.writeBytes(fixed);
        raw.writeBytes("POST /chunked HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        raw.writeBytes("7b\r\n".getBytes(StandardCharsets.ISO_8859_1));
        raw.write(chunkedBody, 0, 123);
        raw.writeBytes("\r\n4d;ext=1\r\n".getBytes(StandardCharsets.ISO_8859_1));
        raw.write(chunkedBody, 123, 77);
        raw.writeBytes("\r\n0\r\nX-Trailer: t\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        raw.writeBytes(RawHttp.get("/last", "h").getBytes(StandardCharsets.ISO_8859_1));
        byte[] all = raw.toByteArray();

        Socket s = new Socket();
        s.setTcpNoDelay(true); // every byte its own segment: the proxy sees heads, chunk lines and bodies cut anywhere
        s.connect(dp.listenAddress(), 5000);
        try (RawHttp c = new RawHttp(s)) {
            for (byte b : all) c.send(new byte[] {b});
            RawHttp.Response r1 = c.read();
            RawHttp.Response r2 = c.read();
            RawHttp.Response r3 = c.read();
            assertThat(r1.status()).isEqualTo(200);
            assertThat(new String(r1.body(), StandardCharsets.ISO_8859_1))
                    .startsWith("POST /fixed HTTP/1.1\n").contains("X-Spaced: kept inside\n");
            assertThat(tail(r1.body(), fixed.length)).isEqualTo(fixed);
            assertThat(r2.status()).isEqualTo(200);
            assertThat(new String(r2.body(), StandardCharsets.ISO_8859_1)).startsWith("POST /chunked HTTP/1.1\n");
            assertThat(tail(r2.body(), chunkedBody.length)).isEqualTo(chunkedBody);
            assertThat(r3.status()).isEqualTo(200);
            assertThat(new String(r3.body(), StandardCharsets.ISO_8859_1)).startsWith("GET /last HTTP/1.1\n");
        }
    }

    @Test
    void aHeadCutShortByTheClientsCloseIsCountedAsABadRequest() throws Exception {
        long before = dp.metrics().requests(4);
        int upstreamBefore = echo.requests.get();
        try (RawHttp c = new RawHttp(dp.listenAddress())) {
            c.send("GET /cut HTTP/1.1\r\nHost: h\r\nX-Half: ");
        }
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> dp.metrics().requests(4) == before + 1);
        assertThat(echo.requests.get()).as("nothing reached the upstream").isEqualTo(upstreamBefore);
    }

    private static byte[] tail(byte[] b, int n) {
        return Arrays.copyOfRange(b, Math.max(0, b.length - n), b.length);
    }
}
