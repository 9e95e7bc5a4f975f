package io.switchyard.dataplane.listener;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;
import io.switchyard.dataplane.channel.IoTimeoutHandler;
import io.switchyard.dataplane.channel.PipelineNames;
import io.switchyard.dataplane.http.HeadGuardHandler;
import io.switchyard.dataplane.http.ProxyHandler;
import io.switchyard.dataplane.http.ResponseEncoder;
import io.switchyard.dataplane.internal.Context;

/**
 * Builds a client connection's pipeline, plain or TLS: {@code [sni/ssl] timeout guard codec proxy}, each step a
 * small method. Handler names are {@link PipelineNames} so the WebSocket switch removes exactly the HTTP parts.
 * Internal.
 */
public final class ProxyInitializer extends ChannelInitializer<SocketChannel> {
    private final Context c;
    private final boolean tls;

    public ProxyInitializer(Context c, boolean tls) {
        this.c = c;
        this.tls = tls;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        // Accepted just before the listener closed for a drain or handover: served like the rest (its answers carry
        // Connection: close), never dropped, since the client did nothing wrong.
        c.connections().add(ch);
        ChannelPipeline p = ch.pipeline();
        if (tls) addTlsHandlers(p);
        addHttpHandlers(p);
    }

    private void addTlsHandlers(ChannelPipeline p) {
        // The mapping reads the published state on each ClientHello: a certificate rotated by apply()
        // serves the next handshake, while sessions already established keep theirs.
        Mapping<String, SslContext> sni = host -> c.serving().get().certificates().select(host);
        p.addLast(PipelineNames.SSL, new SniHandler(sni));
    }

    private void addHttpHandlers(ChannelPipeline p) {
        // The guard is the request decoder (one strict parse per head); the codec only encodes the answers.
        ResponseEncoder encoder = new ResponseEncoder(!tls, c.metrics());
        p.addLast(PipelineNames.TIMEOUT, new IoTimeoutHandler());
        p.addLast(PipelineNames.GUARD, new HeadGuardHandler(c.headerTimeoutMs(), c.metrics(), encoder));
        p.addLast(PipelineNames.CODEC, encoder);
        p.addLast(PipelineNames.PROXY, new ProxyHandler(c, tls));
    }
}
