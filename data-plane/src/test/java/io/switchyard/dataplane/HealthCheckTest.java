package io.switchyard.dataplane;

import io.switchyard.config.Balance;
import io.switchyard.config.Config;
import io.switchyard.config.Health;
import io.switchyard.config.Route;
import io.switchyard.config.Snapshot;
import io.switchyard.config.Target;
import io.switchyard.config.Upstream;
import io.switchyard.testkit.EchoUpstream;
import io.switchyard.testkit.RawHttp;
import io.switchyard.testkit.WsClient;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Upstream health with real echo upstreams: a target that goes bad in one of four ways is avoided by new handshakes,
 * comes back when well, and tunnels to healthy targets never notice; a target set {@code draining} loses its tunnels
 * with 1001, paced, while the others lose nothing.
 */
class HealthCheckTest {
    private static final long INTERVAL_MS = 150;
    private static final long TIMEOUT_MS = 100;

    /** How the second target goes bad, and which probe sees it. */
    enum Sickness {
        DIES(Health.ProbeType.TCP, null),
        HANGS(Health.ProbeType.WEBSOCKET, "/"),
        FAILS_HEALTH_PATH(Health.ProbeType.HTTP, "/healthz"),
        REFUSES_UPGRADES(Health.ProbeType.WEBSOCKET, "/");

        final Health.ProbeType probe;
        final String path;

        Sickness(Health.ProbeType probe, String path) {
            this.probe = probe;
            this.path = path;
        }

        void strike(EchoUpstream s) {
            switch (this) {
                case DIES -> s.die();
                case HANGS -> s.silent = true;
                case FAILS_HEALTH_PATH -> s.healthStatus = 500;
                case REFUSES_UPGRADES -> s.refuseUpgrades = true;
            }
        }

        void heal(EchoUpstream s) {
            switch (this) {
                case DIES -> s.revive();
                case HANGS -> s.silent = false;
                case FAILS_HEALTH_PATH -> s.healthStatus = 200;
                case REFUSES_UPGRADES -> s.refuseUpgrades = false;
            }
        }
    }

    private static String ws(DataPlane dp) {
        return "ws://127.0.0.1:" + dp.listenAddress().getPort() + "/";
    }

    private static Snapshot snapshot(long version, Upstream u) {
        return new Snapshot(version, new Config(null, List.of(u), List.of(new Route("all", List.of(), "/", "app")), null));
    }

    private static String metrics(DataPlane dp) throws Exception {
        try (RawHttp c = new RawHttp(dp.statusAddress())) {
            return c.send(RawHttp.get("/metrics", "status")).read().text();
        }
    }

    private static long gauge(DataPlane dp, String name, String target) throws Exception {
        return gauge(dp, name, "app", target);
    }

    private static long gauge(DataPlane dp, String name, String upstream, String target) throws Exception {
        String prefix = name + "{upstream=\"" + upstream + "\",target=\"" + target + "\"} ";
        for (String l : metrics(dp).split("\n")) if (l.startsWith(prefix)) return Long.parseLong(l.substring(prefix.length()));
        throw new AssertionError("no " + prefix);
    }

    private static boolean healthy(DataPlane dp, String target) throws Exception {
        return gauge(dp, "switchyard_target_healthy", target) == 1;
    }

    @ParameterizedTest
    @EnumSource(Sickness.class)
    void newHandshakesAvoidASickTargetWithinTwoIntervalsAndReturnWhenItIsWell(Sickness sickness) throws Exception {
        try (EchoUpstream a = new EchoUpstream("a"); EchoUpstream b = new EchoUpstream("b");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            Health.Active probe = new Health.Active(sickness.probe, sickness.path, INTERVAL_MS, TIMEOUT_MS, 2, 2, null);
            dp.apply(snapshot(1, new Upstream("app", Balance.ROUND_ROBIN, List.of(new Target(a.address()), new Target(b.address())))
                    .withHealth(new Health(probe, null), null, null, null)));
            List<WsClient> open = new ArrayList<>();
            try {
                WsClient onA = null;
                WsClient onB = null;
                while (onA == null || onB == null) {
                    WsClient c = WsClient.connect(ws(dp));
                    open.add(c);
                    if (c.whoami().equals("a")) onA = c;
                    else onB = c;
                }
                assertThat(healthy(dp, b.address())).isTrue();

                long t0 = System.nanoTime();
                sickness.strike(b);
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> !healthy(dp, b.address()));
                long detectedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                // Two failed probes an interval (+10% jitter) apart, the second one given its timeout; slack for a loaded machine.
                assertThat(detectedMs).as("detected after %d ms", detectedMs).isLessThan(2 * INTERVAL_MS * 11 / 10 + TIMEOUT_MS + 1000);
                for (int i = 0; i < 6; i++) {
                    try (WsClient fresh = WsClient.connect(ws(dp))) {
                        assertThat(fresh.whoami()).isEqualTo("a");
                    }
                }
                // The tunnel to the healthy target never noticed; the sick one's tunnel is kept too (on_unhealthy: keep),
                // unless the target itself died with it.
                assertThat(onA.closed).isNotDone();
                assertThat(onA.whoami()).isEqualTo("a");
                if (sickness != Sickness.DIES) {
                    assertThat(onB.closed).isNotDone();
                    assertThat(onB.whoami()).isEqualTo("b");
                }

                sickness.heal(b);
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> healthy(dp, b.address()));
                List<String> served = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    try (WsClient fresh = WsClient.connect(ws(dp))) {
                        served.add(fresh.whoami());
                    }
                }
                assertThat(served).contains("a", "b");
                assertThat(onA.closed).isNotDone();
                assertThat(onA.whoami()).isEqualTo("a");
            } finally {
                open.forEach(WsClient::close);
            }
        }
    }

    @Test
    void aDrainingTargetLosesItsTunnelsWith1001PacedWhileTheOthersLoseNothing() throws Exception {
        try (EchoUpstream a = new EchoUpstream("a"); EchoUpstream b = new EchoUpstream("b");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            Upstream up = new Upstream("app", Balance.ROUND_ROBIN, List.of(new Target(a.address()), new Target(b.address())))
                    .withHealth(null, null, null, 1000L);
            dp.apply(snapshot(1, up));
            List<WsClient> onA = new ArrayList<>();
            List<WsClient> onB = new ArrayList<>();
            ConcurrentHashMap<WsClient, Long> closedAt = new ConcurrentHashMap<>();
            try {
                for (int i = 0; i < 100; i++) {
                    WsClient c = WsClient.connect(ws(dp));
                    (c.whoami().equals("a") ? onA : onB).add(c);
                    c.closed.thenRun(() -> closedAt.put(c, System.nanoTime()));
                }
                assertThat(onA).hasSize(50);
                assertThat(onB).hasSize(50);
                assertThat(gauge(dp, "switchyard_target_tunnels_open", b.address())).isEqualTo(50);

                long t0 = System.nanoTime();
                dp.apply(snapshot(2, up.withTargets(List.of(new Target(a.address()), new Target(b.address(), 1, Target.State.DRAINING)))));
                // The others keep streaming through the whole drain, and lose nothing.
                for (int round = 0; round < 12; round++) {
                    for (WsClient c : onA) c.sendText("tick " + round);
                    for (WsClient c : onA) assertThat(c.nextText()).isEqualTo(EchoUpstream.PREFIX + "tick " + round);
                    Thread.sleep(50);
                }
                for (WsClient c : onB) assertThat(c.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1001);
                long first = Long.MAX_VALUE;
                long last = 0;
                for (WsClient c : onB) {
                    long ms = TimeUnit.NANOSECONDS.toMillis(closedAt.get(c) - t0);
                    first = Math.min(first, ms);
                    last = Math.max(last, ms);
                }
                // Tunnel i of 50 closes at i * 20 ms: paced over drain_ms (1000), not all at once.
                assertThat(last - first).as("first %d ms, last %d ms", first, last).isGreaterThanOrEqualTo(700);
                await().atMost(5, TimeUnit.SECONDS).until(() -> dp.metrics().tunnelsClosed("all", "target_draining") == 50);
                assertThat(b.frames.stream().filter(f -> f.equals("close 1001")).count()).isEqualTo(50);
                for (WsClient c : onA) assertThat(c.closed).isNotDone();
                for (int i = 0; i < 6; i++) {
                    try (WsClient fresh = WsClient.connect(ws(dp))) {
                        assertThat(fresh.whoami()).isEqualTo("a");
                    }
                }
                assertThat(gauge(dp, "switchyard_target_tunnels_open", b.address())).isZero();
                assertThat(gauge(dp, "switchyard_target_tunnels_open", a.address())).isEqualTo(50);
                assertThat(gauge(dp, "switchyard_target_healthy", b.address())).isEqualTo(1); // draining is not sick
            } finally {
                onA.forEach(WsClient::close);
                onB.forEach(WsClient::close);
            }
        }
    }

    @Test
    void withoutHealthSettingsOneFailedConnectKeepsADeadTargetOutUntilFailTimeoutEnds() throws Exception {
        try (EchoUpstream a = new EchoUpstream("a"); EchoUpstream b = new EchoUpstream("b");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            Upstream up = new Upstream("app", Balance.ROUND_ROBIN, List.of(new Target(a.address()), new Target(b.address())));
            dp.apply(snapshot(1, up));
            b.die();
            // nginx's defaults (max_fails 1): the first handshake sent to b fails to connect, is retried on a, and b is
            // then left alone: no second connect to it.
            for (int i = 0; i < 6; i++) {
                try (WsClient fresh = WsClient.connect(ws(dp))) {
                    assertThat(fresh.whoami()).isEqualTo("a");
                }
            }
            assertThat(dp.metrics().upstreamErrors("connect_failed")).isEqualTo(1);
            assertThat(healthy(dp, b.address())).isFalse();
        }
    }

    @Test
    void aTargetHeldOutByPassiveChecksIsTriedAgainOnceFailTimeoutIsOver() throws Exception {
        try (EchoUpstream a = new EchoUpstream("a"); EchoUpstream b = new EchoUpstream("b");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(snapshot(1, new Upstream("app", Balance.ROUND_ROBIN, List.of(new Target(a.address()), new Target(b.address())))
                    .withHealth(new Health(null, new Health.Passive(1, 300L)), null, null, null)));
            b.die();
            for (int i = 0; i < 2; i++) {
                try (WsClient fresh = WsClient.connect(ws(dp))) {
                    assertThat(fresh.whoami()).isEqualTo("a");
                }
            }
            assertThat(dp.metrics().upstreamErrors("connect_failed")).isEqualTo(1);
            b.revive();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
                try (WsClient fresh = WsClient.connect(ws(dp))) {
                    return fresh.whoami().equals("b");
                }
            });
            assertThat(healthy(dp, b.address())).isTrue();
        }
    }

    @Test
    void withEveryTargetUnhealthyNewWorkGets503OrInPanicModeATarget() throws Exception {
        try (EchoUpstream a = new EchoUpstream("a"); EchoUpstream b = new EchoUpstream("b");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback());
             RawHttp c = new RawHttp(dp.listenAddress())) {
            Health health = new Health(new Health.Active(Health.ProbeType.HTTP, "/healthz", INTERVAL_MS, TIMEOUT_MS, 1, 1, null), null);
            Upstream up = new Upstream("app", Balance.ROUND_ROBIN, List.of(new Target(a.address()), new Target(b.address())))
                    .withHealth(health, null, null, null);
            dp.apply(snapshot(1, up));
            a.healthStatus = 500;
            b.healthStatus = 500;
            await().atMost(Duration.ofSeconds(10)).until(() -> !healthy(dp, a.address()) && !healthy(dp, b.address()));
            try (RawHttp status = new RawHttp(dp.statusAddress())) {
                com.fasterxml.jackson.databind.JsonNode targets = io.switchyard.config.ConfigMapper.mapper()
                        .readTree(status.send(RawHttp.get("/status", "status")).read().text()).get("targets");
                assertThat(targets).hasSize(2);
                assertThat(targets.get(0).get("upstream").asText()).isEqualTo("app");
                assertThat(targets.get(0).get("target").asText()).isEqualTo(a.address());
                assertThat(targets.get(0).get("state").asText()).isEqualTo("active");
                assertThat(targets.get(0).get("healthy").asBoolean()).isFalse();
                assertThat(targets.get(0).get("last_failure").asText()).isEqualTo("answered 500");
                assertThat(targets.get(0).get("last_check_epoch_ms").asLong()).isPositive();
                assertThat(targets.get(0).get("tunnels_open").asLong()).isZero();
            }
            RawHttp.Response refused = c.send(RawHttp.get("/x", "h")).read();
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.text()).contains("no available target in upstream app");
            int before = a.requests.get() + b.requests.get();

            dp.apply(snapshot(2, up.withHealth(health, null, true, null)));
            assertThat(healthy(dp, a.address()) || healthy(dp, b.address())).isFalse(); // health carried over the swap
            RawHttp.Response served = c.send(RawHttp.get("/x", "h")).read();
            assertThat(served.status()).isEqualTo(200);
            assertThat(served.text()).startsWith("GET /x ");
            assertThat(a.requests.get() + b.requests.get()).isGreaterThan(before);
        }
    }

    @Test
    void onUnhealthyDrainClosesOnlyTheSickTargetsTunnelsWith1001() throws Exception {
        try (EchoUpstream a = new EchoUpstream("a"); EchoUpstream b = new EchoUpstream("b");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            Health health = new Health(new Health.Active(Health.ProbeType.HTTP, "/healthz", INTERVAL_MS, TIMEOUT_MS, 1, 1, null), null);
            dp.apply(snapshot(1, new Upstream("app", Balance.ROUND_ROBIN, List.of(new Target(a.address()), new Target(b.address())))
                    .withHealth(health, Upstream.OnUnhealthy.DRAIN, null, 300L)));
            List<WsClient> onA = new ArrayList<>();
            List<WsClient> onB = new ArrayList<>();
            try {
                for (int i = 0; i < 6; i++) {
                    WsClient c = WsClient.connect(ws(dp));
                    (c.whoami().equals("a") ? onA : onB).add(c);
                }
                b.healthStatus = 500;
                for (WsClient c : onB) assertThat(c.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1001);
                await().atMost(5, TimeUnit.SECONDS).until(() -> dp.metrics().tunnelsClosed("all", "target_unhealthy") == onB.size());
                for (WsClient c : onA) {
                    assertThat(c.closed).isNotDone();
                    assertThat(c.whoami()).isEqualTo("a");
                }
            } finally {
                onA.forEach(WsClient::close);
                onB.forEach(WsClient::close);
            }
        }
    }

    @Test
    void aDisabledTargetTakesNothingNewAndKeepsItsTunnels() throws Exception {
        try (EchoUpstream a = new EchoUpstream("a"); EchoUpstream b = new EchoUpstream("b");
             DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            Upstream up = new Upstream("app", Balance.ROUND_ROBIN, List.of(new Target(a.address()), new Target(b.address())))
                    .withHealth(null, null, null, 0L);
            dp.apply(snapshot(1, up));
            List<WsClient> open = new ArrayList<>();
            try {
                WsClient onB = null;
                while (onB == null) {
                    WsClient c = WsClient.connect(ws(dp));
                    open.add(c);
                    if (c.whoami().equals("b")) onB = c;
                }
                dp.apply(snapshot(2, up.withTargets(List.of(new Target(a.address()), new Target(b.address(), 1, Target.State.DISABLED)))));
                for (int i = 0; i < 4; i++) {
                    try (WsClient fresh = WsClient.connect(ws(dp))) {
                        assertThat(fresh.whoami()).isEqualTo("a");
                    }
                }
                // drain_ms is 0: a drain, had one been started, would be over at once; the tunnel stays open.
                WsClient kept = onB;
                await().during(300, TimeUnit.MILLISECONDS).atMost(5, TimeUnit.SECONDS).until(() -> !kept.closed.isDone());
                assertThat(onB.whoami()).isEqualTo("b");
                // Back to active: b takes new tunnels again.
                dp.apply(snapshot(3, up));
                List<String> served = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    try (WsClient fresh = WsClient.connect(ws(dp))) {
                        served.add(fresh.whoami());
                    }
                }
                assertThat(served).contains("b");
            } finally {
                open.forEach(WsClient::close);
            }
        }
    }

    @Test
    void probesOfATlsUpstreamVerifyItsCertificateLikeTrafficDoes() throws Exception {
        io.switchyard.testkit.TestCerts.Pem cert = io.switchyard.testkit.TestCerts.selfSigned("backend.internal").create();
        io.netty.handler.ssl.SslContext serverCtx = io.netty.handler.ssl.SslContextBuilder.forServer(
                new java.io.ByteArrayInputStream(cert.certPem().getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
                new java.io.ByteArrayInputStream(cert.keyPem().getBytes(java.nio.charset.StandardCharsets.US_ASCII))).build();
        try (EchoUpstream secure = EchoUpstream.builder("secure").tls(serverCtx).start(); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            Health health = new Health(new Health.Active(Health.ProbeType.WEBSOCKET, "/", INTERVAL_MS, TIMEOUT_MS * 5, 1, 1, null), null);
            List<Target> t = List.of(new Target(secure.address()));
            Upstream verified = new Upstream("verified", Balance.ROUND_ROBIN, t, true, "backend.internal", true, cert.certPem())
                    .withHealth(health, null, null, null);
            Upstream wrongName = new Upstream("wrong-name", Balance.ROUND_ROBIN, t, true, "other.internal", true, cert.certPem())
                    .withHealth(health, null, null, null);
            dp.apply(new Snapshot(1, new Config(null, List.of(verified, wrongName),
                    List.of(new Route("v", List.of(), "/", "verified"), new Route("w", List.of(), "/w", "wrong-name")), null)));
            await().atMost(Duration.ofSeconds(10)).until(() -> gauge(dp, "switchyard_target_healthy", "wrong-name", secure.address()) == 0);
            int before = secure.handshakes.get();
            await().atMost(Duration.ofSeconds(10)).until(() -> secure.handshakes.get() > before + 2); // wss probes complete
            assertThat(gauge(dp, "switchyard_target_healthy", "verified", secure.address())).isEqualTo(1);
            await().atMost(Duration.ofSeconds(10)).until(() -> secure.frames.contains("close 1000")); // probes say goodbye properly
            secure.refuseUpgrades = true;
            await().atMost(Duration.ofSeconds(10)).until(() -> gauge(dp, "switchyard_target_healthy", "verified", secure.address()) == 0);
        }
    }
}
