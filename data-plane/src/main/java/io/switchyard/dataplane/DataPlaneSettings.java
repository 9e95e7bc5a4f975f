package io.switchyard.dataplane;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Process settings of one data plane, validated at start. Everything that may change while running
 * arrives in snapshots instead.
 *
 * @param listen       plain HTTP + WebSocket listener (port 0 picks a free port)
 * @param tlsListen    HTTPS + WSS listener, or null for none
 * @param status       {@code /status} and {@code /metrics} listener, or null for none
 * @param nodeId       this node's name (fleet view, logs)
 * @param ioThreads    event-loop threads; 0 means one per core
 * @param shutdownGrace how long SIGTERM waits for requests and tunnels before closing tunnels with 1001
 * @param accessLog    {@code stdout} (default), {@code off} or a file path
 * @param accessLogFormat {@code text} (default) or {@code json} (one object per line)
 */
public record DataPlaneSettings(InetSocketAddress listen, InetSocketAddress tlsListen, InetSocketAddress status,
                                String nodeId, int ioThreads, Duration shutdownGrace, String accessLog,
                                String accessLogFormat) {
    public DataPlaneSettings {
        if (accessLog == null) accessLog = "stdout";
        if (accessLogFormat == null) accessLogFormat = "text";
        if (!accessLogFormat.equals("text") && !accessLogFormat.equals("json"))
            throw new IllegalArgumentException("access log format: \"" + accessLogFormat + "\" (expected: text or json)");
        if (listen == null) throw new IllegalArgumentException("listen: null (expected: host:port)");
        if (nodeId == null || nodeId.isBlank()) nodeId = "data-plane";
        if (ioThreads < 0) throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: >= 0)");
        if (shutdownGrace == null) shutdownGrace = Duration.ofSeconds(10);
    }

    /** The access log on stdout as text (the default). */
    public DataPlaneSettings(InetSocketAddress listen, InetSocketAddress tlsListen, InetSocketAddress status,
                             String nodeId, int ioThreads, Duration shutdownGrace) {
        this(listen, tlsListen, status, nodeId, ioThreads, shutdownGrace, null, null);
    }

    /** @param destination {@code stdout}, {@code off} or a file path */
    public DataPlaneSettings withAccessLog(String destination, String format) {
        return new DataPlaneSettings(listen, tlsListen, status, nodeId, ioThreads, shutdownGrace, destination, format);
    }

    /** Loopback, port 0 for every listener: what tests use. */
    public static DataPlaneSettings loopback() {
        return new DataPlaneSettings(new InetSocketAddress("127.0.0.1", 0), null,
                new InetSocketAddress("127.0.0.1", 0), "test-node", 0, Duration.ofSeconds(2));
    }

    public DataPlaneSettings withTlsListen(InetSocketAddress tls) {
        return new DataPlaneSettings(listen, tls, status, nodeId, ioThreads, shutdownGrace, accessLog, accessLogFormat);
    }
}
