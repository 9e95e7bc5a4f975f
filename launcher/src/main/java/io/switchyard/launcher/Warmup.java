package io.switchyard.launcher;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.switchyard.config.ConfigCodec;
import io.switchyard.config.Snapshot;
import io.switchyard.dataplane.DataPlane;
import io.switchyard.dataplane.DataPlaneSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Start-up warm-up: before the real listeners open, drives HTTP keep-alive requests, WebSocket handshakes and echoed
 * messages through a throw-away data plane on loopback (to a small upstream in this process), so that the JIT compiles
 * the proxy's hot paths before the first client arrives. Set by the system property {@code switchyard.warmup} (a
 * duration such as {@code 3s} or {@code 500ms}; {@code 0} or absent: none); {@code dist/jvm.options} sets it. It never
 * stops a start: a failure is logged and the process goes on.
 */
final class Warmup {
    static final String PROPERTY = "switchyard.warmup";
    private static final Logger LOG = LoggerFactory.getLogger("switchyard.warmup");
    private static final int HTTP_CONNECTIONS = 8;
    private static final int WS_CLIENTS = 2;

    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong handshakes = new AtomicLong();
    private final AtomicLong messages = new AtomicLong();
    private volatile int port;

    private Warmup() {
    }

    /**
     * What a warm-up proxied, and the loopback port its data plane listened on (closed when it returns).
     */
    record Result(long requests, long handshakes, long messages, int port) {
    }

    /** Runs the warm-up the system property asks for; null when it asks for none (or is not a duration). */
    static Result fromProperty() {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank() || v.trim().equals("0")) return null;
        Duration d;
        try {
            d = new DurationConverter().convert(v.trim());
        } catch (Exception e) {
            LOG.warn("-D{}={}: not a duration (e.g. 3s, 500ms); no warm-up", PROPERTY, v);
            return null;
        }
        if (d.isZero() || d.isNegative()) return null;
        return run(d);
    }

    /** Drives traffic through a loopback data plane for {@code budget}; a failure stops it early and is logged. */
    static Result run(Duration budget) {
        Warmup w = new Warmup();
        long t0 = System.nanoTime();
        try {
            w.drive(budget);
        } catch (Exception e) {
            LOG.warn("start-up warm-up stopped early: {}", Main.oneLine(e));
        }
        long traffic = (System.nanoTime() - t0) / 1_000_000;
        // The JIT goes on compiling what the traffic made hot: let it finish before serving, so the first clients
        // meet compiled code. Its freed work memory goes back to the OS in the background (-XX:TrimNativeHeapInterval)
        // while the process serves: start-up does not wait for it.
        awaitQuietCompiler(JIT_QUIET_MAX);
        // What the warm-up allocated is garbage now: collect it so the heap starts small.
        System.gc();
        LOG.info("start-up warm-up done in {} ms ({} ms of traffic): {} HTTP requests, {} WebSocket handshakes, {} messages",
                (System.nanoTime() - t0) / 1_000_000, traffic, w.requests.get(), w.handshakes.get(), w.messages.get());
        return new Result(w.requests.get(), w.handshakes.get(), w.messages.get(), w.port);
    }

    private static final Duration JIT_QUIET_MAX = Duration.ofSeconds(5);

    /** Returns once the JIT's total compilation time stood still for 400 ms, or after {@code max}. */
    static void awaitQuietCompiler(Duration max) {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) return;
        long deadline = System.nanoTime() + max.toNanos();
        long last = jit.getTotalCompilationTime();
        int still = 0;
        try {
            while (still < 2 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                long now = jit.getTotalCompilationTime();
                still = now == last ? still + 1 : 0;
                last = now;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void drive(Duration budget) throws Exception {
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup group = epoll ? new EpollEventLoopGroup(1, new DefaultThreadFactory("switchyard-warmup-upstream", true))
                : new NioEventLoopGroup(1, new DefaultThreadFactory("switchyard-warmup-upstream", true));
        DataPlane plane = null;
        try {
            Channel upstream = new ServerBootstrap().group(group)
                    .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536), new Upstream());
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            int upstreamPort = ((InetSocketAddress) upstream.localAddress()).getPort();
            String doc = "{\"upstreams\":[{\"name\":\"warmup\",\"targets\":[{\"address\":\"127.0.0.1:" + upstreamPort
                    + "\"}]}],\"routes\":[{\"name\":\"warmup\",\"path_prefix\":\"/warmup\",\"upstream\":\"warmup\"}]}";
            plane = DataPlane.create(new DataPlaneSettings(new InetSocketAddress("127.0.0.1", 0), null, null, "warm-up", 1,
                    Duration.ZERO).withAccessLog("off", "text"));
            plane.apply(new Snapshot(0, ConfigCodec.readConfig(doc.getBytes(StandardCharsets.UTF_8))));
            plane.listen();
            int port = plane.listenAddress().getPort();
            this.port = port;
            long deadline = System.nanoTime() + budget.toNanos();
            List<Thread> clients = new ArrayList<>();
            List<Exception> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < HTTP_CONNECTIONS + WS_CLIENTS; i++) {
                boolean ws = i >= HTTP_CONNECTIONS;
                Thread t = new Thread(() -> {
                    try {
                        if (ws) webSocketLoop(port, deadline);
                        else httpLoop(port, deadline);
                    } catch (Exception e) {
                        failures.add(e);
                    }
                }, "switchyard-warmup-client-" + i);
                t.setDaemon(true);
                t.start();
                clients.add(t);
            }
            for (Thread t : clients) t.join(budget.toMillis() + 5000);
            if (!failures.isEmpty()) throw failures.get(0);
            upstream.close().sync();
        } finally {
            if (plane != null) plane.close();
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private void httpLoop(int port, long deadline) throws IOException {
        byte[] req = ("GET /warmup/hello HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUser-Agent: switchyard-warmup\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        try (Socket s = connect(port)) {
            InputStream in = new java.io.BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (System.nanoTime() < deadline) {
                out.write(req);
                out.flush();
                String head = readHead(in);
                if (!head.startsWith("HTTP/1.1 200")) throw new IOException("warm-up request answered " + firstLine(head));
                in.readNBytes(contentLength(head));
                requests.incrementAndGet();
            }
        }
    }

    private void webSocketLoop(int port, long deadline) throws IOException {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        while (System.nanoTime() < deadline) {
            try (Socket s = connect(port)) {
                InputStream in = new java.io.BufferedInputStream(s.getInputStream());
                OutputStream out = s.getOutputStream();
                byte[] key = new byte[16];
                rnd.nextBytes(key);
                out.write(("GET /warmup/ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + java.util.Base64.getEncoder().encodeToString(key)
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String head = readHead(in);
                if (!head.startsWith("HTTP/1.1 101")) throw new IOException("warm-up handshake answered " + firstLine(head));
                handshakes.incrementAndGet();
                DataInputStream din = new DataInputStream(in);
                for (int i = 0; i < 200 && System.nanoTime() < deadline; i++) {
                    int size = (i & 1) == 0 ? 32 : 1024;
                    byte[] payload = new byte[size];
                    rnd.nextBytes(payload);
                    writeFrame(out, 0x2, payload);
                    int opcode = readFrame(din, payload.length);
                    if (opcode != 0x2) throw new IOException("warm-up echo answered opcode " + opcode);
                    messages.incrementAndGet();
                }
                writeFrame(out, 0x8, new byte[]{0x03, (byte) 0xE8});
                readFrame(din, -1);
            }
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.setSoTimeout(10_000);
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return s;
    }

    /** A masked client frame. */
    private static void writeFrame(OutputStream out, int opcode, byte[] payload) throws IOException {
        ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
        f.write(0x80 | opcode);
        if (payload.length < 126) {
            f.write(0x80 | payload.length);
        } else {
            f.write(0x80 | 126);
            f.write(payload.length >>> 8);
            f.write(payload.length & 0xff);
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        f.write(mask, 0, 4);
        for (int i = 0; i < payload.length; i++) f.write(payload[i] ^ mask[i & 3]);
        out.write(f.toByteArray());
        out.flush();
    }

    /** Reads one unmasked server frame; returns its opcode. */
    private static int readFrame(DataInputStream in, int expectedLength) throws IOException {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        long len = b1 & 0x7f;
        if (len == 126) len = in.readUnsignedShort();
        else if (len == 127) len = in.readLong();
        if (expectedLength >= 0 && len != expectedLength) throw new IOException("warm-up echo of " + len + " bytes, sent " + expectedLength);
        in.readNBytes((int) len);
        return b0 & 0x0f;
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder(256);
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) throw new IOException("warm-up connection closed");
            sb.append((char) c);
            state = (c == '\r' && (state & 1) == 0) || (c == '\n' && (state & 1) == 1) ? state + 1 : (c == '\r' ? 1 : 0);
        }
        return sb.toString();
    }

    private static int contentLength(String head) throws IOException {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length"))
                return Integer.parseInt(line.substring(colon + 1).trim());
        }
        throw new IOException("warm-up response without Content-Length");
    }

    private static String firstLine(String head) {
        int i = head.indexOf('\r');
        return i < 0 ? head : head.substring(0, i);
    }

    /** The loopback upstream: 200 "ok" to any request, WebSocket echo on an upgrade. */
    private static final class Upstream extends SimpleChannelInboundHandler<Object> {
        private WebSocketServerHandshaker handshaker;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof FullHttpRequest req) {
                if ("websocket".equalsIgnoreCase(req.headers().get(HttpHeaderNames.UPGRADE))) {
                    handshaker = new WebSocketServerHandshakerFactory("ws://" + req.headers().get(HttpHeaderNames.HOST) + req.uri(),
                            null, false, 65536).newHandshaker(req);
                    if (handshaker == null) WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
                    else handshaker.handshake(ctx.channel(), req);
                    return;
                }
                DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        Unpooled.wrappedBuffer(OK));
                res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain").setInt(HttpHeaderNames.CONTENT_LENGTH, OK.length);
                boolean keepAlive = HttpUtil.isKeepAlive(req);
                var f = ctx.writeAndFlush(res);
                if (!keepAlive) f.addListener(ChannelFutureListener.CLOSE);
            } else if (msg instanceof CloseWebSocketFrame close) {
                handshaker.close(ctx.channel(), close.retain());
            } else if (msg instanceof WebSocketFrame frame) {
                ctx.writeAndFlush(frame.retain());
            }
        }

        private static final byte[] OK = "ok\n".getBytes(StandardCharsets.US_ASCII);
    }
}
