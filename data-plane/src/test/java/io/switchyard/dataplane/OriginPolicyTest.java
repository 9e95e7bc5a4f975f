package io.switchyard.dataplane;

import io.switchyard.config.OriginPolicy;
import io.switchyard.config.Route;
import io.switchyard.config.Snapshot;
import io.switchyard.testkit.Configs;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.RawHttp;
import io.switchyard.testkit.RecordingUpstream;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.switchyard.testkit.Configs.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** A route's origin policy at the proxy: CORS preflights and headers, and the Origin of WebSocket handshakes. */
class OriginPolicyTest {
    private static final String APP = "https://app.example.com";
    private static final String EVIL = "https://evil.example.net";
    private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";

    private static Snapshot withPolicy(long version, String upstreamAddress, OriginPolicy policy) {
        Route r = new Route("api", List.of(), "/", "app").withOrigin(policy);
        return Configs.snapshot(version, List.of(upstream("app", io.switchyard.config.Balance.ROUND_ROBIN, upstreamAddress)), List.of(r));
    }

    private static OriginPolicy policy(List<String> allow, boolean credentials, List<String> methods, List<String> headers,
                                       List<String> expose, Long maxAge, OriginPolicy.WebSocketMode ws, boolean requireOrigin) {
        return new OriginPolicy(allow, credentials, methods, headers, expose, maxAge, ws, requireOrigin);
    }

    private static String preflight(String origin, String method, String headers) {
        return "OPTIONS /items/7 HTTP/1.1\r\nHost: api.example.com\r\nOrigin: " + origin + "\r\nAccess-Control-Request-Method: "
                + method + "\r\n" + (headers == null ? "" : "Access-Control-Request-Headers: " + headers + "\r\n") + "\r\n";
    }

    private static String get(String path, String origin) {
        return "GET " + path + " HTTP/1.1\r\nHost: api.example.com\r\n" + (origin == null ? "" : "Origin: " + origin + "\r\n") + "\r\n";
    }

    private static String handshake(String host, String origin) {
        return "GET /chat HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + KEY
                + "\r\nSec-WebSocket-Version: 13\r\n" + (origin == null ? "" : "Origin: " + origin + "\r\n") + "\r\n";
    }

    @Test
    void aPreflightFromAnAllowedOriginIsAnsweredByTheProxyAndNeverReachesTheUpstream() throws Exception {
        try (RecordingUpstream up = new RecordingUpstream(); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(withPolicy(1, up.address(), policy(List.of(APP), true, List.of("GET", "PUT"), List.of("Content-Type", "X-Token"),
                    null, 600L, null, false)));
            RawHttp.Response r = c.send(preflight(APP, "PUT", "content-type, x-token")).read();
            assertThat(r.status()).isEqualTo(204);
            assertThat(r.header("access-control-allow-origin")).isEqualTo(APP);
            assertThat(r.header("access-control-allow-credentials")).isEqualTo("true");
            assertThat(r.header("access-control-allow-methods")).isEqualTo("GET, PUT");
            assertThat(r.header("access-control-allow-headers")).isEqualTo("Content-Type, X-Token");
            assertThat(r.header("access-control-max-age")).isEqualTo("600");
            assertThat(r.header("vary")).contains("Origin");
            assertThat(r.header("content-length")).isNull();
            // The connection goes on: the next request is the upstream's first.
            RawHttp.Response next = c.send(get("/items/7", APP)).read();
            assertThat(next.status()).isEqualTo(200);
            assertThat(up.targets()).containsExactly("GET /items/7");
            assertThat(dp.metrics().originRefusedCount("api", "preflight")).isZero();
        }
    }

    @Test
    void aPreflightFromAnotherOriginOrForAnotherMethodOrHeaderIsRefusedWith403AndCounted() throws Exception {
        try (RecordingUpstream up = new RecordingUpstream(); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(withPolicy(1, up.address(), policy(List.of(APP), false, List.of("GET", "PUT"), List.of("Content-Type"),
                    null, null, null, false)));
            RawHttp.Response r = c.send(preflight(EVIL, "PUT", null)).read();
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.text()).contains("origin " + EVIL + " is not allowed on route api");
            assertThat(r.header("access-control-allow-origin")).isNull();
            r = c.send(preflight(APP, "DELETE", null)).read();
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.text()).contains("method DELETE");
            r = c.send(preflight(APP, "PUT", "content-type, x-admin")).read();
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.text()).contains("request header x-admin");
            // A safelisted method passes a browser's check whatever the list says: not refused.
            assertThat(c.send(preflight(APP, "POST", "content-type")).read().status()).isEqualTo(204);
            assertThat(up.requests).isEmpty();
            assertThat(dp.metrics().originRefusedCount("api", "preflight")).isEqualTo(3);
            assertThat(dp.metrics().render(0, 0, 0)).contains("switchyard_origin_refused_total{route=\"api\",kind=\"preflight\"} 3");
        }
    }

    @Test
    void anOptionsRequestWithoutOriginIsNoPreflightAndGoesUpstream() throws Exception {
        try (RecordingUpstream up = new RecordingUpstream(); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(withPolicy(1, up.address(), new OriginPolicy(List.of(APP))));
            RawHttp.Response r = c.send("OPTIONS /items HTTP/1.1\r\nHost: api.example.com\r\nAccess-Control-Request-Method: PUT\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(up.targets()).containsExactly("OPTIONS /items");
        }
    }

    @Test
    void aSimpleRequestFromAnAllowedOriginGetsTheOriginItselfVaryAndExposedHeaders() throws Exception {
        try (RecordingUpstream up = new RecordingUpstream(); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(withPolicy(1, up.address(), policy(List.of(APP), false, null, null, List.of("X-Request-Id"), null, null, false)));
            RawHttp.Response r = c.send(get("/items", APP)).read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("access-control-allow-origin")).isEqualTo(APP);
            assertThat(r.header("access-control-allow-credentials")).isNull();
            assertThat(r.header("access-control-expose-headers")).isEqualTo("X-Request-Id");
            assertThat(r.header("vary")).isEqualTo("Origin");
            assertThat(up.requests.poll().header("Origin")).as("the upstream still sees who asked").isEqualTo(APP);
        }
    }

    @Test
    void aCredentialedPolicyNamesTheOriginNeverTheStarAndAWildcardCoversOneLabel() throws Exception {
        try (RecordingUpstream up = new RecordingUpstream(); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(withPolicy(1, up.address(), policy(List.of("https://*.example.com"), true, null, null, null, null, null, false)));
            RawHttp.Response r = c.send(get("/me", "https://shop.example.com")).read();
            assertThat(r.header("access-control-allow-origin")).isEqualTo("https://shop.example.com");
            assertThat(r.header("access-control-allow-credentials")).isEqualTo("true");
            assertThat(r.header("vary")).isEqualTo("Origin");
            r = c.send(get("/me", "https://a.shop.example.com")).read();
            assertThat(r.status()).as("actual requests are forwarded; the browser keeps the answer from the page").isEqualTo(200);
            assertThat(r.header("access-control-allow-origin")).isNull();
            assertThat(r.header("access-control-allow-credentials")).isNull();
            assertThat(r.header("vary")).isEqualTo("Origin");
        }
    }

    @Test
    void theStarWithoutCredentialsAnswersTheStarForAnyOrigin() throws Exception {
        try (RecordingUpstream up = new RecordingUpstream(); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(withPolicy(1, up.address(), new OriginPolicy(List.of("*"))));
            RawHttp.Response r = c.send(get("/public", EVIL)).read();
            assertThat(r.header("access-control-allow-origin")).isEqualTo("*");
            assertThat(r.header("access-control-allow-credentials")).isNull();
            assertThat(r.header("vary")).as("the same answer for every origin").isNull();
            assertThat(c.send(get("/public", "null")).read().header("access-control-allow-origin")).isNull();
        }
    }

    @Test
    void upstreamCorsHeadersAreReplacedByThePolicysOnly() throws Exception {
        try (CorsUpstream up = new CorsUpstream(); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            // Without a policy the upstream's headers pass as they are.
            dp.apply(Configs.snapshot(1, List.of(upstream("app", io.switchyard.config.Balance.ROUND_ROBIN, up.address())),
                    List.of(new Route("api", List.of(), "/", "app"))));
            RawHttp.Response r = c.send(get("/x", EVIL)).read();
            assertThat(r.header("access-control-allow-origin")).isEqualTo("*");
            assertThat(r.header("access-control-allow-methods")).isEqualTo("DELETE");

            dp.apply(withPolicy(2, up.address(), policy(List.of(APP), true, null, null, List.of("X-Request-Id"), null, null, false)));
            r = c.send(get("/x", APP)).read();
            assertThat(r.header("access-control-allow-origin")).isEqualTo(APP);
            assertThat(r.header("access-control-allow-credentials")).isEqualTo("true");
            assertThat(r.header("access-control-expose-headers")).isEqualTo("X-Request-Id");
            assertThat(r.header("access-control-allow-methods")).isNull();
            assertThat(r.header("access-control-max-age")).isNull();
            assertThat(r.header("vary")).isEqualTo("Accept-Encoding, Origin");
            assertThat(r.text()).isEqualTo("hello");
            r = c.send(get("/x", EVIL)).read();
            assertThat(r.headers().keySet()).noneMatch(h -> h.startsWith("access-control-"));
        }
    }

    @Test
    void aWebSocketHandshakeFromAnAllowedOriginOpensATunnel() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(withPolicy(1, echo.address(), new OriginPolicy(List.of(APP))));
            RawHttp.Response r = c.send(handshake("api.example.com", APP)).read();
            assertThat(r.status()).isEqualTo(101);
            assertThat(echo.log.peek()).contains("Origin: " + APP);
            await().atMost(5, TimeUnit.SECONDS).until(() -> dp.openTunnels() == 1);
        }
    }

    @Test
    void aWebSocketHandshakeFromAForeignOriginGets403AndNeverReachesTheUpstream() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            dp.apply(withPolicy(1, echo.address(), new OriginPolicy(List.of(APP))));
            RawHttp.Response r = c.send(handshake("api.example.com", EVIL)).read();
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.text()).contains("origin " + EVIL + " may not open WebSockets on route api");
            assertThat(echo.connections.get()).isZero();
            assertThat(echo.handshakes.get()).isZero();
            assertThat(dp.openTunnels()).isZero();
            assertThat(dp.metrics().originRefusedCount("api", "websocket")).isEqualTo(1);
            assertThat(dp.metrics().render(0, 0, 0)).contains("switchyard_origin_refused_total{route=\"api\",kind=\"websocket\"} 1");
            // The refusal is an answer, not a broken connection: the next request is served.
            assertThat(c.send(get("/after", null)).read().status()).isEqualTo(200);
        }
    }

    @Test
    void aWebSocketHandshakeWithoutOriginPassesUnlessTheRouteRequiresOne() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(withPolicy(1, echo.address(), new OriginPolicy(List.of(APP))));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                assertThat(c.send(handshake("api.example.com", null)).read().status()).isEqualTo(101);
            }
            dp.apply(withPolicy(2, echo.address(), policy(List.of(APP), false, null, null, null, null, null, true)));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                RawHttp.Response r = c.send(handshake("api.example.com", null)).read();
                assertThat(r.status()).isEqualTo(403);
                assertThat(r.text()).contains("need an Origin");
            }
            assertThat(echo.handshakes.get()).isEqualTo(1);
            assertThat(dp.metrics().originRefusedCount("api", "websocket")).isEqualTo(1);
        }
    }

    @Test
    void websocketOffLeavesHandshakesAloneAndASameOriginPageIsAlwaysAllowed() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(withPolicy(1, echo.address(), policy(List.of(APP), false, null, null, null, null, OriginPolicy.WebSocketMode.OFF, true)));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                assertThat(c.send(handshake("api.example.com", EVIL)).read().status()).isEqualTo(101);
            }
            dp.apply(withPolicy(2, echo.address(), new OriginPolicy(List.of(APP))));
            int port = dp.listenAddress().getPort();
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                assertThat(c.send(handshake("chat.example.org:" + port, "http://chat.example.org:" + port)).read().status()).isEqualTo(101);
            }
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                assertThat(c.send(handshake("chat.example.org:" + port, "https://chat.example.org:" + (port + 1))).read().status())
                        .as("another port is another origin").isEqualTo(403);
            }
            assertThat(echo.handshakes.get()).isEqualTo(2);
        }
    }

    @Test
    void narrowingThePolicyRefusesNewHandshakesAndLeavesOpenTunnelsAlone() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(withPolicy(1, echo.address(), new OriginPolicy(List.of(APP))));
            String uri = "ws://127.0.0.1:" + dp.listenAddress().getPort() + "/chat";
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            HttpClient http = HttpClient.newHttpClient();
            WebSocket open = http.newWebSocketBuilder().header("Origin", APP).buildAsync(URI.create(uri), new WebSocket.Listener() {
                @Override
                public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                    got.add(data.toString());
                    ws.request(1);
                    return null;
                }
            }).get(10, TimeUnit.SECONDS);
            open.sendText("before", true).join();
            assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo(EchoUpstream.PREFIX + "before");

            dp.apply(withPolicy(2, echo.address(), new OriginPolicy(List.of("https://other.example.com"))));
            assertThatThrownBy(() -> http.newWebSocketBuilder().header("Origin", APP).buildAsync(URI.create(uri),
                    new WebSocket.Listener() {
                    }).join()).isInstanceOf(CompletionException.class).hasStackTraceContaining("status code 403");
            assertThat(echo.handshakes.get()).isEqualTo(1);

            open.sendText("after", true).join();
            assertThat(got.poll(10, TimeUnit.SECONDS)).as("the open tunnel is untouched").isEqualTo(EchoUpstream.PREFIX + "after");
            open.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
            await().atMost(5, TimeUnit.SECONDS).until(() -> dp.openTunnels() == 0);
        }
    }

    /** An upstream that sets its own CORS headers (as many frameworks do), answering "hello" to every request. */
    private static final class CorsUpstream implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final Thread thread = new Thread(this::serve, "cors-upstream");

        CorsUpstream() throws IOException {
            thread.setDaemon(true);
            thread.start();
        }

        String address() {
            return "127.0.0.1:" + server.getLocalPort();
        }

        private void serve() {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(15_000);
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    while (readHead(in)) {
                        out.write(("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nAccess-Control-Allow-Origin: *\r\n"
                                + "Access-Control-Allow-Methods: DELETE\r\nAccess-Control-Expose-Headers: X-Secret\r\n"
                                + "access-control-max-age: 99\r\nVary: Accept-Encoding\r\n\r\nhello").getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                    }
                } catch (IOException e) {
                    // closed, or the proxy went away
                }
            }
        }

        /** Reads one bodyless request head; false at the end of the connection. */
        private static boolean readHead(InputStream in) throws IOException {
            int state = 0;
            int b;
            while ((b = in.read()) != -1) {
                state = (b == '\n') ? state + 1 : (b == '\r' ? state : 0);
                if (state == 2) return true;
            }
            return false;
        }

        @Override
        public void close() throws Exception {
            server.close();
            thread.join(5000);
        }
    }
}
