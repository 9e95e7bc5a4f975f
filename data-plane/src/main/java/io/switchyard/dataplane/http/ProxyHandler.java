package io.switchyard.dataplane.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.switchyard.config.Cidr;
import io.switchyard.config.Config;
import io.switchyard.dataplane.accesslog.AccessLog;
import io.switchyard.dataplane.channel.IoTimeoutHandler;
import io.switchyard.dataplane.internal.Context;
import io.switchyard.dataplane.reply.LocalReply;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The HTTP side of one client connection: the connection's own concerns (the queue of pipelined requests,
 * refusals from the {@link HeadGuardHandler}, limits, graceful shutdown, the access log). Each request is an
 * {@link Exchange}; one runs at a time, in order. When an exchange becomes a tunnel this handler, the HTTP codec
 * and the guard leave the pipeline.
 *
 * <p>Backpressure: the client channel runs with AUTO_READ off. While a request body flows, the next read from the
 * client is asked for only once the previous chunk was written to the upstream; the response is paced the same way
 * in the other direction. Between requests, a pipelined request is held in a queue (at most what one read brought)
 * until the current exchange ends.
 *
 * <p>Confined to the channel's event loop (so is every upstream connection it uses), hence no locks. Internal.
 */
public final class ProxyHandler extends ChannelInboundHandlerAdapter {

    private final Context c;
    private final boolean tls;
    private final ArrayDeque<HttpObject> queue = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private HeadGuardHandler guard;
    private IoTimeoutHandler clientTimeout;
    private ResponseEncoder encoder;
    private Exchange current;
    private boolean closing;
    /** The last exchange ended with more answer bytes waiting than the high watermark: the next waits for them. */
    private boolean awaitingWritable;
    /** The next pipelined request starts in a task of its own ({@link #exchangeEnded}); until then nothing starts. */
    private boolean nextQueued;
    private HeadGuardHandler.BadHead pendingBad;
    private boolean overLimit;
    private String clientIp = "-";
    private byte[] clientIpBytes;
    private int localPort;
    private String localPortText = "0";

    /** How long an idle keep-alive connection stays open for one last request once a drain starts. */
    static final long DRAIN_IDLE_MS = 1000;

    /** Fired by the data plane at each connection when a graceful shutdown starts. */
    public enum Shutdown { EVENT }

    public ProxyHandler(Context c, boolean tls) {
        this.c = c;
        this.tls = tls;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.guard = ctx.pipeline().get(HeadGuardHandler.class);
        this.clientTimeout = ctx.pipeline().get(IoTimeoutHandler.class);
        this.encoder = ctx.pipeline().get(ResponseEncoder.class);
    }

    /** The connection's response encoder. */
    ResponseEncoder encoder() {
        return encoder;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (ctx.channel().remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null) {
            clientIp = a.getAddress().getHostAddress();
            clientIpBytes = a.getAddress().getAddress();
        }
        if (ctx.channel().localAddress() instanceof InetSocketAddress l) {
            localPort = l.getPort();
            localPortText = Integer.toString(localPort);
        }
        int max = c.serving().get().table().config().maxConnections();
        if (max > 0 && c.connections().size() > max) {
            // Over the limit: this connection's requests get 503 with Retry-After (counted), never a refused listener.
            overLimit = true;
            c.metrics().refused("max_connections");
        }
        // Accepted as a graceful shutdown began: the drain pass (another thread, over the connections it saw) may have
        // missed this one, so it drains as they do: one request within the last-request window, or closed when idle.
        if (c.draining().on() && guard != null) guard.expectHead(DRAIN_IDLE_MS);
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing || !(msg instanceof HttpObject o)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (current == null && !waitingToServe()) {
            if (o instanceof ClientRequest req) {
                startExchange(req);
            } else {
                // The rest of a request already answered and forgotten (e.g. the body after a local reply).
                ReferenceCountUtil.release(o);
            }
        } else if (current == null || current.requestDone) {
            queue.add(o); // pipelined: waits for the current exchange to end, or for the client to take the answers
        } else {
            current.onRequestContent((HttpContent) o);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (closing) return;
        if (current != null) current.clientReadComplete();
        else if (queue.isEmpty() && !waitingToServe()) ctx.read(); // a head is still incomplete: keep reading
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof HeadGuardHandler.BadHead bad) {
            c.metrics().badRequest();
            if (current != null && bad.inBody() && !current.requestDone) {
                current.badBody(bad.reason()); // the running exchange's own body broke: abandon it upstream
            } else if (current == null && queue.isEmpty()) {
                refuseAndClose(bad);
            } else {
                pendingBad = bad; // answered in order, after the requests ahead of it, then the connection closes
            }
            return;
        }
        if (evt instanceof IoTimeoutHandler.IoTimeout t) {
            Exchange e = current;
            if (t == IoTimeoutHandler.IoTimeout.READ && e != null && !e.requestDone) {
                e.bodyTimedOut(); // client_body_timeout: 408, both connections closed
                return;
            }
            // The client has not taken our response bytes for the route's send_ms: give up on it.
            closing = true;
            if (e != null) e.clientClosed();
            ctx.close();
            return;
        }
        if (evt == Shutdown.EVENT) {
            // An idle keep-alive connection is not cut under a client that may be sending on it right now: it takes
            // one more request (answered with Connection: close, as every answer while draining) or closes when idle.
            if (current == null && !closing && guard != null) guard.expectHead(DRAIN_IDLE_MS);
            else if (current == null && !closing) {
                closing = true;
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        Exchange e = current;
        if (e != null) e.clientClosed();
        releaseQueue();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseQueue();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        closing = true;
        Exchange e = current;
        if (e != null) e.clientClosed();
        ctx.close();
    }

    private void releaseQueue() {
        HttpObject o;
        while ((o = queue.poll()) != null) ReferenceCountUtil.release(o);
    }

    private void refuseAndClose(HeadGuardHandler.BadHead bad) {
        closing = true;
        FullHttpResponse r = LocalReply.text(ctx.alloc(), HttpResponseStatus.valueOf(bad.status()), bad.reason(), true);
        c.metrics().request(bad.status());
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        if (c.accessLog().on())
            c.accessLog().log(new AccessLog.Request(System.currentTimeMillis(), null, clientAddressForLog(), "-", null, "-", "-",
                    bad.status(), null, null, null, 0, r.content().readableBytes(), -1, -1, 0, bad.reason()));
    }

    private void startExchange(ClientRequest req) {
        DecoderResult dr = req.decoderResult();
        if (dr.isFailure()) {
            // The guard refuses first what it can see; this is what only the decoder noticed.
            Throwable cause = dr.cause();
            HttpResponseStatus s = cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                    : cause instanceof TooLongHttpHeaderException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                    : HttpResponseStatus.BAD_REQUEST;
            refuse(req, s, s == HttpResponseStatus.BAD_REQUEST ? String.valueOf(cause.getMessage()) : s.reasonPhrase());
            return;
        }
        if (req.uri().equals("*") && req.method().equals(io.netty.handler.codec.http.HttpMethod.OPTIONS)) {
            // Server-wide options (RFC 9110 9.3.7) are the proxy's to answer; never forwarded.
            Exchange e = new Exchange(this, ctx, c, req, null, false);
            current = e;
            e.localOptions();
            return;
        }
        Object parsed = RequestTarget.parse(req);
        if (parsed instanceof RequestTarget.Refusal r) {
            refuse(req, r.status(), r.reason());
            return;
        }
        RequestTarget target = (RequestTarget) parsed;
        boolean ws = WebSocketHandshake.asks(req);
        if (ws) {
            RequestTarget.Refusal r = WebSocketHandshake.problem(req);
            if (r != null) {
                refuse(req, r.status(), r.reason());
                return;
            }
        }
        Exchange e = new Exchange(this, ctx, c, req, target, ws);
        current = e;
        if (overLimit) {
            e.local(HttpResponseStatus.SERVICE_UNAVAILABLE, "too many connections to this node", true, "1");
            return;
        }
        e.start();
    }

    /** A request refused before routing: answered, then the connection closes. */
    private void refuse(ClientRequest req, HttpResponseStatus s, String reason) {
        if (s.code() == 400) c.metrics().badRequest();
        Exchange e = new Exchange(this, ctx, c, req, null, false);
        e.note(reason);
        current = e;
        e.local(s, reason, true, null);
    }

    /** The current exchange ended; serve a pipelined request or wait for the next head. */
    void exchangeEnded(Exchange ended, boolean close) {
        if (current == ended) current = null;
        if (pendingBad != null && !close && !closing && queue.isEmpty()) {
            ctx.flush();
            refuseAndClose(pendingBad);
            return;
        }
        if (close || closing) {
            closing = true;
            releaseQueue();
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.flush();
        if (!ctx.channel().isWritable()) {
            // The client has not taken the answers so far (more than the high watermark waits): no next request, and
            // no more reading, until it does. Else a client that pipelines requests and never reads would have the
            // proxy hold every answer; the send limit closes the connection if it never reads again.
            awaitingWritable = true;
            return;
        }
        if (!queue.isEmpty()) {
            // A pipelined request waits: it starts in a task after this one, when the read under way has ended and the
            // ended exchange's upstream connection (handed back at the end of that read) is in the pool for it.
            nextQueued = true;
            ctx.executor().execute(this::serveQueued);
            return;
        }
        serveNext();
    }

    /** Whether no next request may start now: the client has answers to take first, or the next one's task is queued. */
    private boolean waitingToServe() {
        return awaitingWritable || nextQueued;
    }

    private void serveQueued() {
        nextQueued = false;
        if (!closing && !awaitingWritable && current == null) serveNext();
    }

    /** Feeds the pipelined objects until an exchange has its whole request (its end marker included), or reads on. */
    private void serveNext() {
        while (!closing && !queue.isEmpty() && (current == null || !current.requestDone)) channelRead(ctx, queue.poll());
        if (current == null && !closing) {
            if (pendingBad != null) {
                refuseAndClose(pendingBad);
                return;
            }
            if (guard != null) {
                if (c.draining().on()) guard.expectHead(DRAIN_IDLE_MS);
                else guard.expectHead();
            }
            ctx.read();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (awaitingWritable && ctx.channel().isWritable() && !closing) {
            awaitingWritable = false;
            serveNext();
        }
        ctx.fireChannelWritabilityChanged();
    }

    // ---- what an exchange asks of its connection ----

    boolean tls() {
        return tls;
    }

    int localPort() {
        return localPort;
    }

    /** The listener's port as X-Forwarded-Port says it, made once per connection. */
    String localPortText() {
        return localPortText;
    }

    byte[] clientIpBytes() {
        return clientIpBytes;
    }

    IoTimeoutHandler clientTimeout() {
        return clientTimeout;
    }

    boolean hasQueued() {
        return !queue.isEmpty();
    }

    /** Keeps one client read pending while an answer is awaited (a hang-up is noticed at once). */
    void readWhileAwaiting() {
        if (queue.isEmpty() && !closing) ctx.read();
    }

    /** The exchange became a tunnel: this handler is done with the connection. */
    void handOver() {
        closing = true;
    }

    /** The exchange could not become a tunnel: close the client. */
    void abandon() {
        closing = true;
        ctx.close();
    }

    private String lastRealIp;
    private static final io.netty.util.AsciiString X_FORWARDED_FOR = io.netty.util.AsciiString.cached("X-Forwarded-For");

    String clientAddressForLog() {
        return lastRealIp != null ? lastRealIp : clientIp;
    }

    /**
     * Who the client is, per {@code trusted_proxies} (nginx's {@code real_ip_recursive on}): the peer itself unless it
     * is a trusted proxy; then the rightmost address of {@code X-Forwarded-For} that is not one.
     */
    Forwarding forwarding(Config config, HttpHeaders h) {
        // Looked up once by a cached name; no list unless the client sent the field.
        List<String> xff = h.contains(X_FORWARDED_FOR) ? h.getAll(X_FORWARDED_FOR) : List.of();
        String joined = xff.isEmpty() ? null : String.join(", ", xff);
        String forwardedFor = joined == null ? clientIp : joined + ", " + clientIp;
        List<Cidr> trusted = config.trustedProxyCidrs();
        if (trusted.isEmpty() || clientIpBytes == null || !anyContains(trusted, clientIpBytes)) {
            lastRealIp = clientIp;
            return new Forwarding(clientIp, forwardedFor, false);
        }
        String real = clientIp;
        if (joined != null) {
            String[] hops = joined.split(",");
            for (int i = hops.length - 1; i >= 0; i--) {
                String a = hops[i].trim();
                byte[] bytes = NetUtil.createByteArrayFromIpAddressString(a); // a literal only, never DNS
                if (bytes == null) break; // not an address: believe nothing further left
                real = NetUtil.bytesToIpAddress(bytes);
                if (!anyContains(trusted, bytes)) break;
            }
        }
        lastRealIp = real;
        return new Forwarding(real, forwardedFor, true);
    }

    private static boolean anyContains(List<Cidr> cidrs, byte[] address) {
        for (Cidr cidr : cidrs) if (cidr.contains(address)) return true;
        return false;
    }

    /** @param trusted whether the peer is a trusted proxy (its X-Forwarded-* are kept) */
    record Forwarding(String realIp, String forwardedFor, boolean trusted) {
    }

    /** A request target fit for one log line: bounded, without control characters. */
    static String loggable(String uri) {
        String u = uri.length() > 256 ? uri.substring(0, 256) + "..." : uri;
        // Per request: scan first, and copy only the rare target that needs cleaning (no regex).
        int i = 0;
        while (i < u.length() && !needsCleaning(u.charAt(i))) i++;
        if (i == u.length()) return u;
        char[] cs = u.toCharArray();
        for (; i < cs.length; i++) if (needsCleaning(cs[i])) cs[i] = '?';
        return new String(cs);
    }

    private static boolean needsCleaning(char c) {
        return c < 0x20 || c == 0x7f || c == '"';
    }
}
