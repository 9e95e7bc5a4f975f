package io.switchyard.dataplane.upstream;

import io.switchyard.dataplane.channel.PipelineNames;
import io.switchyard.dataplane.channel.Transport;
import io.switchyard.dataplane.channel.IoTimeoutHandler;
import io.netty.bootstrap.ChannelFactory;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.PlatformDependent;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.switchyard.config.ConfigException;
import io.switchyard.config.Upstream;
import io.switchyard.config.Violation;
import io.switchyard.dataplane.tls.ServerCertificates;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Upstream connections: new ones on the caller's event loop (so the relay between a client and its
 * upstream never crosses threads), idle keep-alive ones pooled per event loop and per target. The pool
 * is a {@link FastThreadLocal}: only the owning loop ever touches its deque, so it needs no lock.
 * Internal.
 */
public final class UpstreamPool {
    private static final int MAX_IDLE_PER_TARGET = 64;
    /** What {@link #poll} finds for a target with no idle connection yet; always empty (nothing is ever added to it). */
    private static final ArrayDeque<Channel> NONE_IDLE = new ArrayDeque<>(0);
    /** An idle pooled connection is closed after this long (below common upstream keep-alive limits). */
    private static final long IDLE_TIMEOUT_MS = 50_000;

    private final Transport transport;
    private final FastThreadLocal<Map<String, ArrayDeque<Channel>>> idle = new FastThreadLocal<>() {
        @Override
        protected Map<String, ArrayDeque<Channel>> initialValue() {
            return new HashMap<>();
        }
    };
    // Client contexts are costly to build; one per distinct (sni, verify, ca) setting, reused by every loop.
    private final ConcurrentHashMap<String, SslContext> clientContexts = new ConcurrentHashMap<>();

    public UpstreamPool(Transport transport) {
        this.transport = transport;
    }

    /** Identifies connections that may be reused for one another: same address, same TLS setting. */
    public static String key(Upstream upstream, InetSocketAddress address) {
        if (!upstream.tls()) return address.toString();
        return "tls|" + upstream.sni() + "|" + upstream.verify() + "|"
                + (upstream.caPem() == null ? 0 : upstream.caPem().hashCode()) + "|" + address;
    }

    /** An idle pooled connection for {@code key}, or null. Must run on {@code loop}. */
    public Channel poll(EventLoop loop, String key) {
        assert loop.inEventLoop();
        // No null for a target not pooled yet (a loop's first request to it): compiled code that had only met pooled
        // targets treated null as impossible here, and a real node's first request to a target threw the request path away.
        ArrayDeque<Channel> q = idle.get().getOrDefault(key, NONE_IDLE);
        Channel ch;
        while ((ch = q.pollLast()) != null) {
            UpstreamHandler h = UpstreamHandler.of(ch);
            if (h != null) h.leftPool();
            // Bytes that arrived while it idled (a late body on HEAD, say) belong to no request: not reusable.
            if (ch.isActive() && h != null && h.decoder().buffered() == 0) return ch;
            ch.close();
        }
        return null;
    }

    /** Connects a new upstream connection on {@code loop}; the future fails with the connect error. */
    public Future<Channel> connect(EventLoop loop, Upstream upstream, InetSocketAddress address, long connectMs) {
        Promise<Channel> promise = loop.newPromise();
        if (address.isUnresolved()) {
            // Never resolve on an event loop (see Serving.resolve): an unresolvable name fails at once.
            return promise.setFailure(new UnknownHostException(address.getHostString() + ": unknown host"));
        }
        // No Bootstrap per connect (its option and attribute maps, an initializer, and a second TCP_NODELAY call): the
        // channel is made, configured and given its handlers here, then registered and connected on the loop.
        Channel ch = transport.newSocketChannel(address);
        ChannelConfig cfg = ch.config();
        cfg.setAutoRead(false);
        cfg.setAllocator(PooledByteBufAllocator.DEFAULT);
        // The connect limit lives in the channel's IoTimeoutHandler (its one timer), not in a Netty timer per connect.
        cfg.setConnectTimeoutMillis(0);
        // Netty's socket channels start with TCP_NODELAY on where the platform allows it; set it only otherwise.
        if (!PlatformDependent.canEnableTcpNoDelayByDefault()) cfg.setOption(ChannelOption.TCP_NODELAY, true);
        ChannelPipeline p = ch.pipeline();
        if (upstream.tls()) p.addLast(PipelineNames.UPSTREAM_SSL, sslHandler(ch, upstream, address));
        IoTimeoutHandler timeout = new IoTimeoutHandler().connectWithin(connectMs);
        UpstreamResponseDecoder decoder = new UpstreamResponseDecoder();
        p.addLast(PipelineNames.UPSTREAM_TIMEOUT, timeout);
        UpstreamRequestEncoder encoder = new UpstreamRequestEncoder(!upstream.tls());
        p.addLast(PipelineNames.UPSTREAM_ENCODER, encoder);
        p.addLast(PipelineNames.UPSTREAM_CODEC, decoder);
        p.addLast(PipelineNames.UPSTREAM_HANDLER, new UpstreamHandler(timeout, encoder, decoder));
        loop.register(ch).addListener((ChannelFuture r) -> {
            if (!r.isSuccess()) {
                if (ch.isRegistered()) ch.close();
                else ch.unsafe().closeForcibly();
                promise.setFailure(r.cause());
                return;
            }
            ch.connect(address).addListener((ChannelFuture f) -> {
                if (f.isSuccess()) {
                    promise.setSuccess(ch);
                } else {
                    ch.close();
                    promise.setFailure(f.cause());
                }
            });
        });
        return promise;
    }

    /** Puts a connection whose exchange ended cleanly back for reuse. Event loop only. */
    public void release(Channel ch, String key) {
        UpstreamHandler h = UpstreamHandler.of(ch);
        // Bytes the decoder holds past the last response: an upstream out of step with us is never reused.
        if (h == null || h.decoder().buffered() > 0 || !ch.isActive()) {
            ch.close();
            return;
        }
        h.detach();
        h.timeout().disarm();
        ArrayDeque<Channel> q = idle.get().computeIfAbsent(key, k -> new ArrayDeque<>());
        if (q.size() >= MAX_IDLE_PER_TARGET) {
            ch.close();
            return;
        }
        q.addLast(ch);
        if (h.enteredPool(q)) {
            // Once per connection (not per release, or listeners would pile up on a long-lived one).
            ch.closeFuture().addListener(f -> q.remove(ch));
        }
        h.armIdleTimer(IDLE_TIMEOUT_MS);
        // Keep a read pending so an upstream closing the idle connection is noticed now, not on reuse.
        ch.read();
    }

    /**
     * Builds the client TLS context of every {@code tls} upstream now, so a bad {@code ca_pem} rejects the
     * snapshot at apply time instead of failing connections later.
     *
     * @throws ConfigException naming each upstream whose TLS settings cannot be used
     */
    public void prepare(List<Upstream> upstreams) {
        List<Violation> bad = new ArrayList<>();
        for (int i = 0; i < upstreams.size(); i++) {
            Upstream u = upstreams.get(i);
            if (!u.tls()) continue;
            try {
                clientContext(u);
            } catch (IllegalStateException e) {
                bad.add(new Violation("upstreams[" + i + "].ca_pem", e.getMessage()));
            }
        }
        if (!bad.isEmpty()) throw new ConfigException(bad);
    }

    private SslContext clientContext(Upstream u) {
        String cacheKey = u.verify() + "|" + u.caPem();
        return clientContexts.computeIfAbsent(cacheKey, k -> {
            try {
                SslContextBuilder b = SslContextBuilder.forClient().sslProvider(ServerCertificates.provider())
                        .protocols("TLSv1.3", "TLSv1.2");
                if (!u.verify()) b.trustManager(InsecureTrustManagerFactory.INSTANCE);
                else if (u.caPem() != null)
                    b.trustManager(new ByteArrayInputStream(u.caPem().getBytes(StandardCharsets.US_ASCII)));
                return b.build();
            } catch (Exception e) {
                throw new IllegalStateException("upstream " + u.name() + ": TLS trust settings unusable ("
                        + e.getMessage() + ") (expected: PEM CA certificates)", e);
            }
        });
    }

    /** The transport connections are made with (health probes use the same). */
    public Transport transport() {
        return transport;
    }

    /** A TLS client handler for a connection to {@code address} of {@code u}, verified as its settings say. */
    public SslHandler sslHandler(Channel ch, Upstream u, InetSocketAddress address) {
        SslContext ctx = clientContext(u);
        // The name we expect the upstream to present: sni when set, else the target's host.
        String peer = u.sni() != null ? u.sni() : address.getHostString();
        SSLEngine engine = ctx.newEngine(ch.alloc(), peer, address.getPort());
        if (u.verify()) {
            SSLParameters params = engine.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            engine.setSSLParameters(params);
        }
        return new SslHandler(engine);
    }
}
