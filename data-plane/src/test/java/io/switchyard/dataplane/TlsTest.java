package io.switchyard.dataplane;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.switchyard.config.Balance;
import io.switchyard.config.Certificate;
import io.switchyard.config.Config;
import io.switchyard.config.Route;
import io.switchyard.config.Snapshot;
import io.switchyard.config.Target;
import io.switchyard.config.Upstream;
import io.switchyard.testkit.Configs;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.RawHttp;
import io.switchyard.testkit.TestCerts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLSocket;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.switchyard.testkit.Configs.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 5: HTTPS and WSS on one port, SNI, protocol floor, rotation, https_only, upstream TLS. */
class TlsTest {
    private static TestCerts.Pem certA;
    private static TestCerts.Pem certB;
    private static TestCerts.Pem certWild;
    private static TestCerts.Pem certLocal;
    private static TestCerts.Pem certLocal2;

    @BeforeAll
    static void certs() {
        certA = TestCerts.selfSigned("a.example.com").create();
        certB = TestCerts.selfSigned("b.example.com").create();
        certWild = TestCerts.selfSigned("wild.example.net").create();
        certLocal = TestCerts.selfSigned("localhost").create();
        certLocal2 = TestCerts.selfSigned("localhost").create();
    }

    @AfterAll
    static void done() {
        certA = certB = certWild = certLocal = certLocal2 = null;
    }

    private static DataPlane tlsPlane() {
        return DataPlane.start(DataPlaneSettings.loopback().withTlsListen(new InetSocketAddress("127.0.0.1", 0)));
    }

    private static Snapshot snapshot(long v, EchoUpstream echo, List<Certificate> certs, List<Route> routes) {
        return new Snapshot(v, new Config(null, List.of(upstream("app", Balance.ROUND_ROBIN, echo.address())), routes, certs));
    }

    private static List<Certificate> fourCerts(TestCerts.Pem local) {
        return List.of(certA.certificate("a", List.of("a.example.com")),
                certB.certificate("b", List.of("b.example.com")),
                certWild.certificate("wild", List.of("*.wild.example.net")),
                local.defaultCertificate("local", List.of("localhost")));
    }

    @Test
    void eachSniNameGetsItsOwnCertificateAndOthersGetTheDefault() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("web"); DataPlane dp = tlsPlane()) {
            dp.apply(snapshot(1, echo, fourCerts(certLocal), List.of(Configs.route("all", "/", "app"))));
            try (SSLSocket s = TestCerts.connect(dp.tlsAddress(), "a.example.com")) {
                assertThat(TestCerts.presentedCn(s)).isEqualTo("CN=a.example.com");
                assertThat(s.getApplicationProtocol()).isEqualTo("http/1.1");
            }
            try (SSLSocket s = TestCerts.connect(dp.tlsAddress(), "B.Example.com")) {
                assertThat(TestCerts.presentedCn(s)).isEqualTo("CN=b.example.com");
            }
            assertThat(dp.statusJson()).contains("\"tls_provider\":\"" + (io.netty.handler.ssl.OpenSsl.isAvailable() ? "openssl" : "jdk") + "\"");
            try (SSLSocket s = TestCerts.connect(dp.tlsAddress(), "x.wild.example.net")) {
                assertThat(TestCerts.presentedCn(s)).isEqualTo("CN=wild.example.net");
            }
            try (SSLSocket s = TestCerts.connect(dp.tlsAddress(), null)) {
                assertThat(TestCerts.presentedCn(s)).isEqualTo("CN=localhost");
            }
            try (SSLSocket s = TestCerts.connect(dp.tlsAddress(), "unknown.example.org")) {
                assertThat(TestCerts.presentedCn(s)).isEqualTo("CN=localhost");
            }
        }
    }

    @Test
    void servesTheSiteOverHttpsAndWssToAPlainWsBackendOnOnePort() throws Exception {
        // Field guide scenario 1: /wss goes to a plain ws:// backend, everything else to the web app.
        try (EchoUpstream site = new EchoUpstream("site"); EchoUpstream chat = new EchoUpstream("chat"); DataPlane dp = tlsPlane()) {
            dp.apply(new Snapshot(1, new Config(null,
                    List.of(upstream("site", Balance.ROUND_ROBIN, site.address()), upstream("chat", Balance.ROUND_ROBIN, chat.address())),
                    List.of(Configs.route("wss", "/wss", "chat"), Configs.route("site", "/", "site")),
                    List.of(certLocal.certificate("only", List.of("localhost"))))));
            try (RawHttp c = new RawHttp(TestCerts.connect(dp.tlsAddress(), "a.example.com"))) {
                RawHttp.Response r = c.send(RawHttp.get("/index.html", "a.example.com")).read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.header("X-Echo-Server")).isEqualTo("site");
                assertThat(r.text()).contains("X-Forwarded-Proto: https").contains("X-Forwarded-Host: a.example.com");
                assertThat(c.send(RawHttp.get("/again", "a.example.com")).read().status()).isEqualTo(200);
            }
            LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
            HttpClient client = HttpClient.newBuilder().sslContext(TestCerts.trusting(certLocal.cert())).build();
            WebSocket ws = client.newWebSocketBuilder().buildAsync(
                    URI.create("wss://localhost:" + dp.tlsAddress().getPort() + "/wss"), collector(got)).get(10, TimeUnit.SECONDS);
            ws.sendText("over tls", true).join();
            assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo(EchoUpstream.PREFIX + "over tls");
            ws.sendText("whoami", true).join();
            assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("chat");
            assertThat(dp.openTunnels()).isEqualTo(1);
            assertThat(chat.log.peek()).contains("X-Forwarded-Proto: https");
            ws.abort();
        }
    }

    @Test
    void refusesTls11AndAcceptsTls12And13() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("web"); DataPlane dp = tlsPlane()) {
            dp.apply(snapshot(1, echo, fourCerts(certLocal), List.of(Configs.route("all", "/", "app"))));
            assertThat(handshake(dp.tlsAddress(), "TLSv1.1")).isFalse();
            assertThat(handshake(dp.tlsAddress(), "TLSv1.2")).isTrue();
            assertThat(handshake(dp.tlsAddress(), "TLSv1.3")).isTrue();
        }
    }

    /** A BoringSSL client (which can still speak TLS 1.1, unlike the JDK's default) limited to {@code protocol}. */
    private static boolean handshake(InetSocketAddress address, String protocol) throws Exception {
        SslProvider provider = io.netty.handler.ssl.OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        SslContext ctx = SslContextBuilder.forClient().sslProvider(provider).protocols(protocol)
                .trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        EventLoopGroup group = new NioEventLoopGroup(1);
        try {
            SslHandler[] ssl = new SslHandler[1];
            Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class).handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel c) {
                    ssl[0] = ctx.newHandler(c.alloc(), "a.example.com", address.getPort());
                    c.pipeline().addLast(ssl[0]);
                    c.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                        @Override
                        public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
                            ctx.close(); // the refused handshake: expected here, seen through handshakeFuture
                        }
                    });
                }
            }).connect(address).sync().channel();
            boolean ok = ssl[0].handshakeFuture().await(10, TimeUnit.SECONDS) && ssl[0].handshakeFuture().isSuccess();
            if (ok) assertThat(ssl[0].engine().getSession().getProtocol()).isEqualTo(protocol);
            ch.close().sync();
            return ok;
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void rotatingACertificateReachesNewHandshakesWhileAWssTunnelLosesNothing() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("web"); DataPlane dp = tlsPlane()) {
            dp.apply(snapshot(1, echo, fourCerts(certLocal), List.of(Configs.route("all", "/", "app"))));
            LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
            HttpClient client = HttpClient.newBuilder()
                    .sslContext(TestCerts.trusting(certLocal.cert(), certLocal2.cert())).build();
            WebSocket ws = client.newWebSocketBuilder().buildAsync(
                    URI.create("wss://localhost:" + dp.tlsAddress().getPort() + "/"), collector(got)).get(10, TimeUnit.SECONDS);
            List<String> expected = new ArrayList<>();
            int seq = 0;
            // Each of the 200 echoes (100 before the rotation, 100 after) is asserted, in order, inside the loop.
            while (seq < 200) {
                String msg = "seq-" + seq++;
                expected.add(EchoUpstream.PREFIX + msg);
                ws.sendText(msg, true).join();
                assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo(expected.get(expected.size() - 1));
                if (seq == 100) {
                    dp.apply(snapshot(2, echo, fourCerts(certLocal2), List.of(Configs.route("all", "/", "app"))));
                    try (SSLSocket s = TestCerts.connect(dp.tlsAddress(), null)) {
                        assertThat(s.getSession().getPeerCertificates()[0]).isEqualTo(certLocal2.cert());
                    }
                }
            }
            assertThat(dp.openTunnels()).isEqualTo(1);
            ws.abort();
        }
    }

    @Test
    void httpsOnlyRoutesRedirectPlainHttpAndRefusePlainWebSockets() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("web"); DataPlane dp = tlsPlane()) {
            Route secure = new Route("secure", List.of(), "/", "app", false, false, null, null, true);
            dp.apply(snapshot(1, echo, fourCerts(certLocal), List.of(secure)));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                RawHttp.Response r = c.send(RawHttp.get("/login?next=/x", "Shop.example.com:8080")).read();
                assertThat(r.status()).isEqualTo(308);
                assertThat(r.header("location")).isEqualTo("https://shop.example.com:" + dp.tlsAddress().getPort() + "/login?next=/x");
                RawHttp.Response w = c.send("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").read();
                assertThat(w.status()).isEqualTo(403);
            }
            try (RawHttp c = new RawHttp(TestCerts.connect(dp.tlsAddress(), "a.example.com"))) {
                assertThat(c.send(RawHttp.get("/login", "a.example.com")).read().status()).isEqualTo(200);
            }
            assertThat(echo.requests.get()).isEqualTo(1);
        }
    }

    @Test
    void speaksTlsToUpstreamsVerifyingThemAgainstTheirCa() throws Exception {
        TestCerts.Pem upstreamCert = TestCerts.selfSigned("backend.internal").create();
        SslContext serverCtx = SslContextBuilder.forServer(
                new java.io.ByteArrayInputStream(upstreamCert.certPem().getBytes()),
                new java.io.ByteArrayInputStream(upstreamCert.keyPem().getBytes())).build();
        try (EchoUpstream secure = EchoUpstream.builder("secure").tls(serverCtx).start(); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            List<Target> t = List.of(new Target(secure.address()));
            Upstream verified = new Upstream("verified", Balance.ROUND_ROBIN, t, true, "backend.internal", true, upstreamCert.certPem());
            Upstream wrongName = new Upstream("wrong-name", Balance.ROUND_ROBIN, t, true, "other.internal", true, upstreamCert.certPem());
            Upstream untrusted = new Upstream("untrusted", Balance.ROUND_ROBIN, t, true, "backend.internal", true, null);
            Upstream unverified = new Upstream("unverified", Balance.ROUND_ROBIN, t, true, null, false, null);
            dp.apply(new Snapshot(1, new Config(null, List.of(verified, wrongName, untrusted, unverified), List.of(
                    Configs.route("v", "/v", "verified"), Configs.route("w", "/w", "wrong-name"),
                    Configs.route("u", "/u", "untrusted"), Configs.route("n", "/n", "unverified")), null)));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                RawHttp.Response r = c.send(RawHttp.get("/v", "h")).read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.text()).startsWith("GET /v ");
                assertThat(c.send(RawHttp.get("/n", "h")).read().status()).isEqualTo(200);
            }
            // A WebSocket tunnel over the TLS upstream: the relay runs through the upstream's SslHandler.
            try (io.switchyard.testkit.WsClient ws = io.switchyard.testkit.WsClient.connect(
                    "ws://127.0.0.1:" + dp.listenAddress().getPort() + "/v/ws")) {
                ws.sendText("to a wss backend");
                assertThat(ws.nextText()).isEqualTo(EchoUpstream.PREFIX + "to a wss backend");
            }
            for (String path : List.of("/w", "/u")) {
                try (RawHttp c = new RawHttp(dp.listenAddress())) {
                    assertThat(c.send(RawHttp.get(path, "h")).read().status()).as(path).isEqualTo(502);
                }
            }
        }
    }

    @Test
    void rejectsACertificateWhoseKeyCannotBeLoadedAndKeepsTheOldOnes() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("web"); DataPlane dp = tlsPlane()) {
            dp.apply(snapshot(1, echo, fourCerts(certLocal), List.of(Configs.route("all", "/", "app"))));
            Certificate broken = new Certificate("broken", List.of("x.example.com"), certA.certPem(),
                    "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n", false);
            assertThatThrownBy(() -> dp.apply(snapshot(2, echo, List.of(broken), List.of(Configs.route("all", "/", "app")))))
                    .isInstanceOf(io.switchyard.config.ConfigException.class).hasMessageContaining("certificates[0]");
            assertThat(dp.appliedVersion()).isEqualTo(1);
            try (SSLSocket s = TestCerts.connect(dp.tlsAddress(), "a.example.com")) {
                assertThat(TestCerts.presentedCn(s)).isEqualTo("CN=a.example.com");
            }
        }
    }

    @Test
    void servesTheWholeChainSoClientsTrustingOnlyTheRootConnect() throws Exception {
        String chain = resource("chain-fullchain.pem");
        String key = resource("chain-key.pem");
        java.security.cert.X509Certificate root = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory
                .getInstance("X.509").generateCertificate(new java.io.ByteArrayInputStream(resource("chain-root.pem").getBytes()));
        try (EchoUpstream echo = new EchoUpstream("web"); DataPlane dp = tlsPlane()) {
            dp.apply(snapshot(1, echo, List.of(new Certificate("chain", List.of("chain.example.com"), chain, key, false)),
                    List.of(Configs.route("all", "/", "app"))));
            SSLSocket s = (SSLSocket) TestCerts.trusting(root).getSocketFactory()
                    .createSocket(dp.tlsAddress().getAddress(), dp.tlsAddress().getPort());
            javax.net.ssl.SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new javax.net.ssl.SNIHostName("chain.example.com")));
            s.setSSLParameters(p);
            s.startHandshake(); // fails unless the intermediate-free path leaf -> root can be built from what was sent
            assertThat(s.getSession().getPeerCertificates()).hasSize(2);
            try (RawHttp c = new RawHttp(s)) {
                assertThat(c.send(RawHttp.get("/", "chain.example.com")).read().status()).isEqualTo(200);
            }
        }
    }

    private static String resource(String name) throws java.io.IOException {
        try (java.io.InputStream in = TlsTest.class.getResourceAsStream("/keys/" + name)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        }
    }

    @Test
    void refusesHandshakesWhileNoCertificateFitsAndServesOnceOneArrives() throws Exception {
        try (EchoUpstream echo = new EchoUpstream("web"); DataPlane dp = tlsPlane()) {
            dp.apply(snapshot(1, echo, List.of(), List.of(Configs.route("all", "/", "app"))));
            assertThatThrownBy(() -> TestCerts.connect(dp.tlsAddress(), "a.example.com").close())
                    .isInstanceOf(java.io.IOException.class);
            dp.apply(snapshot(2, echo, List.of(certA.certificate("a", List.of("a.example.com")),
                    certB.certificate("b", List.of("b.example.com"))), List.of(Configs.route("all", "/", "app"))));
            // Two certificates, neither the default: a name that fits gets one, others are refused.
            try (SSLSocket s = TestCerts.connect(dp.tlsAddress(), "a.example.com")) {
                assertThat(TestCerts.presentedCn(s)).isEqualTo("CN=a.example.com");
            }
            assertThatThrownBy(() -> TestCerts.connect(dp.tlsAddress(), null).close()).isInstanceOf(java.io.IOException.class);
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                assertThat(c.send(RawHttp.get("/", "h")).read().status()).isEqualTo(200);
            }
        }
    }

    @Test
    void rejectsAnUpstreamCaThatCannotBeLoadedAtApplyTime() throws Exception {
        try (DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            Upstream bad = new Upstream("bad-ca", Balance.ROUND_ROBIN, List.of(new Target("127.0.0.1:9")), true, null, true,
                    "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");
            assertThatThrownBy(() -> dp.apply(new Snapshot(1, new Config(null, List.of(bad),
                    List.of(Configs.route("r", "/", "bad-ca")), null))))
                    .isInstanceOf(io.switchyard.config.ConfigException.class).hasMessageContaining("upstreams[0].ca_pem");
            assertThat(dp.appliedVersion()).isEqualTo(-1);
        }
    }

    private static WebSocket.Listener collector(LinkedBlockingQueue<String> got) {
        return new WebSocket.Listener() {
            private final StringBuilder b = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                b.append(data);
                if (last) {
                    got.add(b.toString());
                    b.setLength(0);
                }
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
                webSocket.request(1);
                return null;
            }
        };
    }
}
