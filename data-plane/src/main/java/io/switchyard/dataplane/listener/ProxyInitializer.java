package io.switchyard.dataplane.listener;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;
import io.switchyard.dataplane.http.ProxyHandler;
import io.switchyard.dataplane.internal.Context;
import io.switchyard.dataplane.upstream.IoTimeoutHandler;

/**
 * Builds a client connection's pipeline, plain or TLS: {@code [sni/ssl] guard timeout codec proxy}.
 * Handler names are constants so the WebSocket switch can remove exactly the HTTP parts. Internal.
 */
public final class ProxyInitializer extends ChannelInitializer<SocketChannel> {
    public static final String SSL = "ssl";
    public static final String GUARD = "head-guard";
    public static final String TIMEOUT = "timeout";
    public static final String CODEC = "http-codec";
    /** Request line limit (414 beyond) and header block limit (431 beyond). */
    public static final int MAX_REQUEST_LINE = 8 * 1024;
    public static final int MAX_HEADERS = 32 * 1024;

    private final Context c;
    private final boolean tls;

    public ProxyInitializer(Context c, boolean tls) {
        this.c = c;
        this.tls = tls;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        c.connections().add(ch);
        // Accepted while a graceful shutdown began: close it. Added to the group first, checked second, so a
        // connection is either seen by the shutdown's broadcast or sees the flag here.
        if (c.draining().on()) {
            ch.close();
            return;
        }
        ChannelPipeline p = ch.pipeline();
        if (tls) addTlsHandlers(p);
        addHttpHandlers(p);
    }

    private void addTlsHandlers(ChannelPipeline p) {
        // The mapping reads the published state on each ClientHello: a certificate rotated by apply()
        // serves the next handshake, while sessions already established keep theirs.
        Mapping<String, SslContext> sni = host -> c.serving().get().certificates().select(host);
        p.addLast(SSL, new SniHandler(sni));
    }

    private void addHttpHandlers(ChannelPipeline p) {
        p.addLast(GUARD, new HeadGuardHandler(c.headerTimeoutMs(), c.metrics()));
        p.addLast(TIMEOUT, new IoTimeoutHandler());
        p.addLast(CODEC, new HttpServerCodec(MAX_REQUEST_LINE, MAX_HEADERS, 8192));
        p.addLast(ProxyHandler.NAME, new ProxyHandler(c, tls, CODEC));
    }
}
