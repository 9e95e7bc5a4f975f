package io.switchyard.dataplane;

import io.switchyard.config.Balance;
import io.switchyard.config.Config;
import io.switchyard.config.OnTargetRemoved;
import io.switchyard.config.Route;
import io.switchyard.config.Snapshot;
import io.switchyard.testkit.Configs;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.WsClient;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.switchyard.testkit.Configs.drainingRoute;
import static io.switchyard.testkit.Configs.route;
import static io.switchyard.testkit.Configs.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Issue 4: tunnels whose target leaves the table, on routes that say {@code drain}. */
class DrainTest {

    private static String ws(DataPlane dp, String path) {
        return "ws://127.0.0.1:" + dp.listenAddress().getPort() + path;
    }

    @Test
    void drainsOnlyTunnelsOnARemovedTargetWhoseRouteDrainsSpreadOverTheGracePeriod() throws Exception {
        try (EchoUpstream a = new EchoUpstream("a"); EchoUpstream b = new EchoUpstream("b"); EchoUpstream c = new EchoUpstream("c");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.snapshot(1,
                    List.of(upstream("app", Balance.ROUND_ROBIN, a.address()), upstream("other", Balance.ROUND_ROBIN, c.address())),
                    List.of(drainingRoute("drain", "/drain", "app", 900), route("keep", "/keep", "app"),
                            drainingRoute("stay", "/stay", "other", 900))));
            List<WsClient> draining = new ArrayList<>();
            List<WsClient> kept = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) draining.add(WsClient.connect(ws(dp, "/drain")));
                for (int i = 0; i < 2; i++) kept.add(WsClient.connect(ws(dp, "/keep")));
                kept.add(WsClient.connect(ws(dp, "/stay"))); // its target stays: untouched
                for (WsClient w : draining) assertThat(w.whoami()).isEqualTo("a");

                long t0 = System.nanoTime();
                dp.apply(Configs.snapshot(2,
                        List.of(upstream("app", Balance.ROUND_ROBIN, b.address()), upstream("other", Balance.ROUND_ROBIN, c.address())),
                        List.of(drainingRoute("drain", "/drain", "app", 900), route("keep", "/keep", "app"),
                                drainingRoute("stay", "/stay", "other", 900))));
                long lastClose = 0;
                for (WsClient w : draining) {
                    assertThat(w.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1001);
                    lastClose = Math.max(lastClose, System.nanoTime());
                }
                // Tunnel i of 3 closes at i*300 ms: the last one cannot have closed before 600 ms.
                assertThat(TimeUnit.NANOSECONDS.toMillis(lastClose - t0)).isGreaterThanOrEqualTo(600);
                await().atMost(5, TimeUnit.SECONDS).until(() -> dp.metrics().tunnelsClosed("drain", "drained") == 3);
                for (WsClient w : kept) {
                    assertThat(w.closed).isNotDone();
                    w.sendText("still");
                    assertThat(w.nextText()).endsWith("still");
                }
                assertThat(kept.get(0).whoami()).isEqualTo("a"); // kept on its removed target
                try (WsClient fresh = WsClient.connect(ws(dp, "/drain"))) {
                    assertThat(fresh.whoami()).isEqualTo("b");
                }
                assertThat(a.frames).contains("close 1001"); // the upstream got the close too
            } finally {
                draining.forEach(WsClient::close);
                kept.forEach(WsClient::close);
            }
        }
    }

    @Test
    void followsTheRoutesNewPolicyWhileItExistsAndItsOpeningPolicyOnceItIsGone() throws Exception {
        try (EchoUpstream a = new EchoUpstream("a"); EchoUpstream b = new EchoUpstream("b");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.snapshot(1, List.of(upstream("app", Balance.ROUND_ROBIN, a.address())),
                    List.of(route("was-keep", "/k", "app"), drainingRoute("was-drain", "/d", "app", 0))));
            try (WsClient k = WsClient.connect(ws(dp, "/k")); WsClient d = WsClient.connect(ws(dp, "/d"))) {
                k.whoami();
                d.whoami();
                // "was-keep" now drains; "was-drain" is gone (its opening policy, drain, applies).
                Route nowDrains = new Route("was-keep", List.of(), "/k", "app", false, false, null,
                        new OnTargetRemoved(OnTargetRemoved.Action.DRAIN, 0L), false);
                dp.apply(new Snapshot(2, new Config(null, List.of(upstream("app", Balance.ROUND_ROBIN, b.address())),
                        List.of(nowDrains), null)));
                assertThat(k.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1001);
                assertThat(d.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1001);
            }
        }
    }

    @Test
    void aDrainStillWaitingIsCalledOffWhenTheTargetComesBack() throws Exception {
        try (EchoUpstream a = new EchoUpstream("a"); EchoUpstream b = new EchoUpstream("b");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.snapshot(1, List.of(upstream("app", Balance.ROUND_ROBIN, a.address())),
                    List.of(drainingRoute("r", "/", "app", 4000))));
            try (WsClient first = WsClient.connect(ws(dp, "/")); WsClient second = WsClient.connect(ws(dp, "/"))) {
                first.whoami();
                second.whoami();
                dp.apply(Configs.snapshot(2, List.of(upstream("app", Balance.ROUND_ROBIN, b.address())),
                        List.of(drainingRoute("r", "/", "app", 4000))));
                // One of the two closes at once (i = 0); the other is due in 2 s, but its target returns first.
                await().atMost(5, TimeUnit.SECONDS).until(() -> first.closed.isDone() || second.closed.isDone());
                dp.apply(Configs.snapshot(3, List.of(upstream("app", Balance.ROUND_ROBIN, a.address(), b.address())),
                        List.of(drainingRoute("r", "/", "app", 4000))));
                WsClient alive = first.closed.isDone() ? second : first;
                // Past the 2 s it was due, it is still open: its target came back.
                await().during(2500, TimeUnit.MILLISECONDS).atMost(10, TimeUnit.SECONDS).until(() -> !alive.closed.isDone());
                assertThat(dp.metrics().tunnelsClosed("r", "drained")).isEqualTo(1);
                assertThat(alive.whoami()).isEqualTo("a");
            }
        }
    }

    @Test
    void aRouteTurnedToKeepLeavesItsTunnelsAlone() throws Exception {
        try (EchoUpstream a = new EchoUpstream("a"); EchoUpstream b = new EchoUpstream("b");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.snapshot(1, List.of(upstream("app", Balance.ROUND_ROBIN, a.address())),
                    List.of(drainingRoute("r", "/", "app", 0))));
            try (WsClient w = WsClient.connect(ws(dp, "/"))) {
                w.whoami();
                dp.apply(Configs.snapshot(2, List.of(upstream("app", Balance.ROUND_ROBIN, b.address())),
                        List.of(route("r", "/", "app"))));
                await().during(300, TimeUnit.MILLISECONDS).atMost(5, TimeUnit.SECONDS).until(() -> !w.closed.isDone());
                assertThat(w.whoami()).isEqualTo("a");
            }
        }
    }

    @Test
    void injectsTheCloseFrameOnlyAfterAHalfSentFrameIsComplete() throws Exception {
        try (EchoUpstream a = new EchoUpstream("a"); EchoUpstream b = new EchoUpstream("b");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             Socket s = new Socket("127.0.0.1", dp.listenAddress().getPort())) {
            dp.apply(Configs.snapshot(1, List.of(upstream("app", Balance.ROUND_ROBIN, a.address())),
                    List.of(drainingRoute("r", "/", "app", 0))));
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 101");
            await().atMost(5, TimeUnit.SECONDS).until(() -> dp.openTunnels() == 1);

            byte[] frame = maskedText("the whole frame arrives before the close");
            out.write(frame, 0, 9); // half a frame...
            out.flush();
            Thread.sleep(100);
            dp.apply(Configs.snapshot(2, List.of(upstream("app", Balance.ROUND_ROBIN, b.address())),
                    List.of(drainingRoute("r", "/", "app", 0))));
            // The client gets its close 1001 at once (nothing was in flight toward it).
            assertThat(in.read()).isEqualTo(0x88);
            int len = in.read() & 0x7f;
            byte[] payload = in.readNBytes(len);
            assertThat(((payload[0] & 0xff) << 8) | (payload[1] & 0xff)).isEqualTo(1001);
            out.write(frame, 9, frame.length - 9); // ...the rest of it
            out.flush();
            await().atMost(5, TimeUnit.SECONDS).until(() -> a.frames.contains("close 1001"));
            assertThat(List.copyOf(a.frames)).containsExactly("the whole frame arrives before the close", "close 1001");
        }
    }

    private static String readHead(InputStream in) throws Exception {
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) throw new AssertionError("closed during handshake: " + b);
            b.append((char) c);
        }
        return b.toString();
    }

    static byte[] maskedText(String text) {
        byte[] p = text.getBytes(StandardCharsets.UTF_8);
        byte[] mask = {0x11, 0x22, 0x33, 0x44};
        byte[] f = new byte[2 + 4 + p.length];
        f[0] = (byte) 0x81;
        f[1] = (byte) (0x80 | p.length);
        System.arraycopy(mask, 0, f, 2, 4);
        for (int i = 0; i < p.length; i++) f[6 + i] = (byte) (p[i] ^ mask[i & 3]);
        return f;
    }
}
