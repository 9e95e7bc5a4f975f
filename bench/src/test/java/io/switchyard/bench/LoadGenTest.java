package io.switchyard.bench;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;

import static org.assertj.core.api.Assertions.assertThat;

/** The load generator against the real echo upstream on loopback sockets. */
class LoadGenTest {
    private EchoServer echo;

    @BeforeEach
    void startEcho() throws Exception {
        echo = EchoServer.start("127.0.0.1", 0, 1);
    }

    @AfterEach
    void stopEcho() {
        echo.close();
    }

    private String url() {
        return "ws://127.0.0.1:" + echo.port() + "/r9/ws";
    }

    @Test
    void closedLoopEchoCountsRoundTripsOnEveryAskedConnectionWithoutErrors() throws Exception {
        LoadGen.Result r = LoadGen.echo(new LoadGen.Options(url(), 4, 1024, 0, 100, 400, 1));

        assertThat(r.mode()).isEqualTo("closed");
        assertThat(r.connectionsOpen()).isEqualTo(4);
        assertThat(r.errors()).isZero();
        assertThat(r.messages()).isPositive();
        assertThat(r.p50Us()).isPositive();
        assertThat(r.p99Us()).isGreaterThanOrEqualTo(r.p50Us());
        assertThat(r.payloadMiBPerSecond()).isPositive();
    }

    @Test
    void largeMessagesComeBackWhole() throws Exception {
        LoadGen.Result r = LoadGen.echo(new LoadGen.Options(url(), 2, 16384, 0, 100, 300, 1));

        assertThat(r.errors()).isZero();
        assertThat(r.messages()).isPositive();
    }

    @Test
    void fixedRateRunReportsTheRateItWasAskedForAndMeasuresEveryEcho() throws Exception {
        LoadGen.Result r = LoadGen.echo(new LoadGen.Options(url(), 8, 32, 2000, 100, 500, 1));

        assertThat(r.mode()).isEqualTo("rate");
        assertThat(r.targetRate()).isEqualTo(2000);
        assertThat(r.errors()).isZero();
        assertThat(r.messages()).isPositive();
        assertThat(r.p999Us()).isGreaterThanOrEqualTo(r.p99Us());
    }

    @Test
    void handshakeLoopsCountCompletedUpgrades() throws Exception {
        LoadGen.Result r = LoadGen.handshakes(new LoadGen.Options(url(), 4, 0, 0, 100, 400, 1));

        assertThat(r.mode()).isEqualTo("handshakes");
        assertThat(r.errors()).isZero();
        assertThat(r.messages()).isPositive();
    }

    @Test
    void idleTunnelsStayOpenUntilClosed() throws Exception {
        try (LoadGen.IdleTunnels t = new LoadGen.IdleTunnels(url(), 1)) {
            assertThat(t.growTo(50, 8)).isEqualTo(50);
            assertThat(t.growTo(80, 8)).isEqualTo(80);
            assertThat(t.errors()).isZero();
        }
    }

    @Test
    void aRefusedPortIsReportedAsErrorsAndMissingConnectionsNotAsThroughput() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        LoadGen.Result r = LoadGen.echo(new LoadGen.Options("ws://127.0.0.1:" + closed + "/", 3, 32, 0, 0, 100, 1));

        assertThat(r.connectionsOpen()).isZero();
        assertThat(r.messages()).isZero();
        assertThat(r.errors()).isGreaterThanOrEqualTo(3);
        assertThat(r.firstError()).contains("connect");
    }

    @Test
    void anUpstreamThatDoesNotUpgradeCountsAsAHandshakeError() throws Exception {
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/", ex -> {
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        http.start();
        try {
            LoadGen.Result r = LoadGen.echo(new LoadGen.Options("ws://127.0.0.1:" + http.getAddress().getPort() + "/x",
                    2, 32, 0, 0, 100, 1));
            assertThat(r.connectionsOpen()).isZero();
            assertThat(r.firstError()).contains("404");
        } finally {
            http.stop(0);
        }
    }

    @Test
    void optionsRejectWhatCannotBeRunWithTheReason() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new LoadGen.Options("http://x/", 1, 1, 0, 0, 1, 1))
                .hasMessageContaining("expected: ws:// or wss://");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new LoadGen.Options("ws://x/", 0, 1, 0, 0, 1, 1))
                .hasMessageContaining("connections");
    }
}
