package io.switchyard.bench;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The bare relay passes bytes both ways unchanged, a megabyte too (reading pauses and resumes), and passes a close on. */
class BareRelayTest {
    @Test
    void relaysBytesBothWaysUnchangedAndPassesTheClientsCloseToTheUpstream() throws Exception {
        try (ServerSocket upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             BareRelay.Running relay = BareRelay.start(0, upstream.getLocalPort());
             Socket client = new Socket(InetAddress.getLoopbackAddress(), relay.port())) {
            client.setSoTimeout(10_000);
            try (Socket up = upstream.accept()) {
                up.setSoTimeout(10_000);
                // An echo upstream, on a thread of its own: every byte back as it came, until the relay closes it.
                Thread echo = new Thread(() -> {
                    byte[] b = new byte[8192];
                    try (InputStream in = up.getInputStream(); OutputStream out = up.getOutputStream()) {
                        for (int n; (n = in.read(b)) > 0; ) out.write(b, 0, n);
                    } catch (Exception e) {
                        // the test's assertions tell
                    }
                });
                echo.start();
                byte[] sent = new byte[1 << 20];
                ThreadLocalRandom.current().nextBytes(sent);
                Thread writer = new Thread(() -> {
                    try {
                        client.getOutputStream().write(sent);
                    } catch (Exception e) {
                        // the comparison below fails
                    }
                });
                writer.start();
                byte[] got = client.getInputStream().readNBytes(sent.length);
                writer.join(10_000);
                assertThat(got).isEqualTo(sent);
                client.close();
                echo.join(10_000);
                assertThat(echo.isAlive()).as("the relay closed the upstream connection after the client's close").isFalse();
            }
        }
    }
}
