package io.switchyard.dataplane;

import io.switchyard.config.Balance;
import io.switchyard.dataplane.testing.Configs;
import io.switchyard.dataplane.testing.EchoServer;
import io.switchyard.dataplane.testing.RawHttp;
import io.switchyard.dataplane.testing.WsClient;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SmokeTest {
    @Test
    void proxiesHttpAndWebSocketOnOneListener() throws Exception {
        try (EchoServer echo = new EchoServer("a"); DataPlane dp = DataPlane.start(DataPlaneSettings.loopback())) {
            dp.apply(Configs.simple(1, Balance.ROUND_ROBIN, echo.address()));
            try (RawHttp c = new RawHttp(dp.listenAddress())) {
                RawHttp.Response r = c.send(RawHttp.get("/hello", "example.com")).read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.text()).contains("GET /hello HTTP/1.1");
                RawHttp.Response r2 = c.send(RawHttp.get("/again", "example.com")).read();
                assertThat(r2.text()).contains("GET /again");
            }
            try (WsClient ws = WsClient.connect("ws://127.0.0.1:" + dp.listenAddress().getPort() + "/chat")) {
                ws.sendText("Hello");
                assertThat(ws.nextText()).isEqualTo(EchoServer.PREFIX + "Hello");
                assertThat(dp.openTunnels()).isEqualTo(1);
            }
        }
    }
}
