package io.switchyard.dataplane.health;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.switchyard.config.Health;
import io.switchyard.config.Upstream;
import io.switchyard.dataplane.upstream.UpstreamPool;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One active check of one target: a TCP connect, an HTTP GET, or a WebSocket opening handshake (verified 101 and
 * {@code Sec-WebSocket-Accept}) closed with 1000. Runs on one event loop on a connection of its own, never a pooled
 * one: a probe's failure touches no traffic. Never blocks; the whole probe, connect included, gets
 * {@code timeout_ms}. Its result is handed to {@code done} exactly once: null for healthy, else why not. Confined to
 * its event loop.
 */
final class Probe extends ChannelInboundHandlerAdapter {
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    /** A status line and headers larger than this are not a health answer. */
    private static final int MAX_HEAD = 16 * 1024;

    private final Upstream upstream;
    private final Health.Active active;
    private final String hostHeader;
    private final Consumer<String> done;
    private final byte[] head = new byte[MAX_HEAD];
    private int headLength;
    private String key;
    private boolean finished;
    private ScheduledFuture<?> timer;
    private Channel channel;

    private Probe(Upstream upstream, Health.Active active, String hostHeader, Consumer<String> done) {
        this.upstream = upstream;
        this.active = active;
        this.hostHeader = hostHeader;
        this.done = done;
    }

    /** Starts one probe of {@code address} on {@code loop}; {@code done} runs on that loop. */
    static void run(EventLoop loop, UpstreamPool pool, Upstream upstream, Health.Active active, String target,
                    InetSocketAddress address, Consumer<String> done) {
        Probe p = new Probe(upstream, active, target, done);
        if (address.isUnresolved()) {
            p.finish("unknown host");
            return;
        }
        p.timer = loop.schedule(() -> p.finish("timed out after " + active.timeoutMs() + " ms"), active.timeoutMs(), TimeUnit.MILLISECONDS);
        ChannelFuture f = new Bootstrap().group(loop).channelFactory(() -> pool.transport().newSocketChannel(address))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, active.timeoutMs()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (upstream.tls()) ch.pipeline().addLast(pool.sslHandler(ch, upstream, address));
                        ch.pipeline().addLast(p);
                    }
                })
                .connect(address);
        p.channel = f.channel();
        f.addListener((ChannelFuture cf) -> {
            if (!cf.isSuccess()) {
                Throwable c = cf.cause();
                p.finish(c instanceof ConnectTimeoutException ? "connect timed out" : "connect failed (" + message(c) + ")");
            }
        });
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // With TLS this is the TCP connection only; the request written now is sent once the handshake is done.
        switch (active.type()) {
            case TCP -> finish(null);
            case HTTP -> ctx.writeAndFlush(request("GET " + active.path() + " HTTP/1.1\r\nHost: " + hostHeader
                    + "\r\nUser-Agent: switchyard-health\r\nAccept: */*\r\nConnection: close\r\n\r\n"));
            case WEBSOCKET -> {
                byte[] nonce = new byte[16];
                ThreadLocalRandom.current().nextBytes(nonce);
                key = Base64.getEncoder().encodeToString(nonce);
                ctx.writeAndFlush(request("GET " + active.path() + " HTTP/1.1\r\nHost: " + hostHeader
                        + "\r\nUser-Agent: switchyard-health\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"));
            }
        }
        ctx.fireChannelActive();
    }

    private static ByteBuf request(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (finished || !(msg instanceof ByteBuf b)) return;
            int n = Math.min(b.readableBytes(), MAX_HEAD - headLength);
            b.readBytes(head, headLength, n);
            headLength += n;
            int end = headEnd();
            if (end < 0) {
                if (headLength == MAX_HEAD) finish("answer head larger than " + MAX_HEAD + " bytes");
                return;
            }
            judge(new String(head, 0, end, StandardCharsets.ISO_8859_1));
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private int headEnd() {
        for (int i = 3; i < headLength; i++)
            if (head[i] == '\n' && head[i - 1] == '\r' && head[i - 2] == '\n' && head[i - 3] == '\r') return i - 3;
        return -1;
    }

    private void judge(String h) {
        String[] lines = h.split("\r\n");
        String[] status = lines[0].split(" ", 3);
        int code;
        try {
            if (status.length < 2 || !status[0].startsWith("HTTP/1.")) throw new NumberFormatException();
            code = Integer.parseInt(status[1]);
        } catch (NumberFormatException e) {
            finish("not an HTTP answer");
            return;
        }
        if (active.type() == Health.ProbeType.HTTP) {
            finish(active.expects(code) ? null : "answered " + code);
            return;
        }
        if (code != 101) {
            finish("handshake answered " + code);
            return;
        }
        String upgrade = null;
        String accept = null;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) continue;
            String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).trim();
            if (name.equals("upgrade")) upgrade = value;
            else if (name.equals("sec-websocket-accept")) accept = value;
        }
        if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
            finish("101 without Upgrade: websocket");
            return;
        }
        if (!acceptFor(key).equals(accept)) {
            finish("101 with a wrong Sec-WebSocket-Accept");
            return;
        }
        // A complete handshake: say goodbye properly (close 1000), then hang up once it is written.
        Channel ch = channel;
        finished = true;
        timer.cancel(false);
        ch.writeAndFlush(closeFrame()).addListener(f -> ch.close());
        done.accept(null);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        finish("closed the connection before answering");
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        finish("connection failed (" + message(cause) + ")");
    }

    private void finish(String why) {
        if (finished) return;
        finished = true;
        if (timer != null) timer.cancel(false);
        if (channel != null) channel.close();
        done.accept(why);
    }

    /** A masked close frame with status 1000 (RFC 6455 5.5.1; a client masks, 5.3). */
    private static ByteBuf closeFrame() {
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        ByteBuf b = Unpooled.buffer(8);
        b.writeByte(0x88).writeByte(0x80 | 2).writeBytes(mask);
        b.writeByte((1000 >> 8) ^ mask[0]).writeByte((1000 & 0xff) ^ mask[1]);
        return b;
    }

    private static String acceptFor(String key) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                    .digest((key + GUID).getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by every JDK", e);
        }
    }
}
