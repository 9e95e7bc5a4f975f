package io.switchyard.dataplane.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.switchyard.dataplane.internal.Context;
import io.switchyard.dataplane.internal.Serving;
import io.switchyard.dataplane.listener.HeadGuardHandler;
import io.switchyard.dataplane.tunnel.Tunnel;
import io.switchyard.dataplane.tunnel.TunnelHandler;
import io.switchyard.dataplane.upstream.IoTimeoutHandler;
import io.switchyard.dataplane.upstream.UpstreamHandler;
import io.switchyard.dataplane.upstream.UpstreamListener;
import io.switchyard.dataplane.upstream.UpstreamPool;
import io.switchyard.routing.CompiledRoute;
import io.switchyard.routing.TargetState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP side of a client connection: routes each request, leases an upstream connection on this
 * channel's event loop, and streams the request and the response through without buffering them.
 * A WebSocket handshake the upstream accepts turns the connection into a {@link Tunnel}: this handler
 * and the HTTP codecs leave both pipelines.
 *
 * <p>Backpressure: the client channel runs with AUTO_READ off. While a request body flows, the next
 * read from the client is asked for only once the previous chunk was written to the upstream; the
 * response is paced the same way in the other direction. Between requests, a pipelined request is held
 * in a queue (at most what one read brought) until the current exchange ends.
 *
 * <p>Confined to the channel's event loop (so is every upstream connection it uses), hence no locks.
 * Internal.
 */
public final class ProxyHandler extends ChannelInboundHandlerAdapter {
    public static final String NAME = "proxy";
    private static final Logger ACCESS = LoggerFactory.getLogger("switchyard.access");

    private final Context c;
    private final boolean tls;
    private final String serverCodecName;
    private final ArrayDeque<HttpObject> queue = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private Exchange current;
    private boolean closing;
    private String clientIp = "-";
    private byte[] clientIpBytes;

    /** Fired by the data plane at each connection when a graceful shutdown starts. */
    public enum Shutdown { EVENT }

    public ProxyHandler(Context c, boolean tls, String serverCodecName) {
        this.c = c;
        this.tls = tls;
        this.serverCodecName = serverCodecName;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (ctx.channel().remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null) {
            clientIp = a.getAddress().getHostAddress();
            clientIpBytes = a.getAddress().getAddress();
        }
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing || !(msg instanceof HttpObject o)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (current == null) {
            if (o instanceof HttpRequest req) {
                startExchange(req);
            } else {
                // The rest of a request already answered and forgotten (e.g. the body after a local reply).
                ReferenceCountUtil.release(o);
            }
        } else if (current.requestDone) {
            queue.add(o); // pipelined: waits for the current exchange to end
        } else {
            current.onRequestContent((HttpContent) o);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (closing) return;
        if (current != null) current.clientReadComplete();
        else if (queue.isEmpty()) ctx.read(); // a head is still incomplete: keep reading
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof HeadGuardHandler.BadHead bad) {
            c.metrics().badRequest();
            ACCESS.info("{} request head rejected: 400 {}", clientIp, bad.reason());
            if (current == null) {
                closing = true;
                sendLocal(HttpResponseStatus.BAD_REQUEST, bad.reason(), true, HttpVersion.HTTP_1_1);
            } else {
                current.closeAfter = true;
            }
            return;
        }
        if (evt instanceof IoTimeoutHandler.IoTimeout) {
            // The client has not taken our response bytes for the route's send_ms: give up on it.
            closing = true;
            Exchange e = current;
            if (e != null) e.clientClosed();
            ctx.close();
            return;
        }
        if (evt == Shutdown.EVENT) {
            if (current == null && !closing) {
                closing = true;
                ctx.close();
            } else if (current != null) {
                current.closeAfter = true;
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

    private HeadGuardHandler guard() {
        return ctx.pipeline().get(HeadGuardHandler.class);
    }

    private void startExchange(HttpRequest req) {
        HeadGuardHandler g = guard();
        if (g != null) g.headReceived();
        DecoderResult dr = req.decoderResult();
        if (dr.isFailure()) {
            c.metrics().badRequest();
            Throwable cause = dr.cause();
            HttpResponseStatus status = cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                    : cause instanceof TooLongHttpHeaderException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                    : HttpResponseStatus.BAD_REQUEST;
            closing = true;
            sendLocal(status, status == HttpResponseStatus.BAD_REQUEST ? cause.getMessage() : status.reasonPhrase(), true,
                    HttpVersion.HTTP_1_1);
            ACCESS.info("{} \"{} {} {}\" {} rejected: {}", clientIp, req.method(), loggable(req.uri()), req.protocolVersion(),
                    status.code(), cause.getMessage());
            return;
        }
        String problem = validate(req);
        if (problem != null) {
            c.metrics().badRequest();
            closing = true;
            sendLocal(HttpResponseStatus.BAD_REQUEST, problem, true, HttpVersion.HTTP_1_1);
            ACCESS.info("{} \"{} {} {}\" 400 rejected: {}", clientIp, req.method(), loggable(req.uri()), req.protocolVersion(), problem);
            return;
        }
        Exchange e = new Exchange(req);
        current = e;
        e.start();
    }

    /** Rejections the decoder does not make; null when the request is acceptable. */
    private static String validate(HttpRequest req) {
        HttpHeaders h = req.headers();
        List<String> te = h.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!te.isEmpty() && (te.size() != 1 || !te.get(0).trim().equalsIgnoreCase("chunked")))
            return "unsupported Transfer-Encoding " + te + " (expected: chunked)";
        List<String> hosts = h.getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1) return "more than one Host header";
        if (hosts.isEmpty() && req.protocolVersion().equals(HttpVersion.HTTP_1_1) && !req.uri().startsWith("http"))
            return "missing Host header";
        String uri = req.uri();
        if (!uri.startsWith("/") && !uri.startsWith("http://") && !uri.startsWith("https://"))
            return "request target " + (uri.length() > 64 ? uri.substring(0, 64) + "..." : uri) + " (expected: /path)";
        return null;
    }

    /** Writes a short text/plain answer made here (not by an upstream). */
    private ChannelFuture sendLocal(HttpResponseStatus status, String text, boolean close, HttpVersion version) {
        ByteBuf body = Unpooled.copiedBuffer(status.code() + " " + status.reasonPhrase()
                + (text == null || text.isEmpty() || text.equals(status.reasonPhrase()) ? "" : ": " + text) + "\n",
                StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(version, status, body);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        if (close) r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        c.metrics().request(status.code());
        ChannelFuture f = ctx.writeAndFlush(r);
        if (close) f.addListener(ChannelFutureListener.CLOSE);
        return f;
    }

    /** The current exchange ended; serve a pipelined request or wait for the next head. */
    private void next(Exchange ended, boolean close) {
        if (current == ended) current = null;
        if (close || closing) {
            closing = true;
            releaseQueue();
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.flush();
        // Feed the pipelined objects until an exchange has its whole request (its end marker included).
        while (!closing && !queue.isEmpty() && (current == null || !current.requestDone)) channelRead(ctx, queue.poll());
        if (current == null && !closing) {
            HeadGuardHandler g = guard();
            if (g != null) g.expectHead();
            ctx.read();
        }
    }

    /** One request and its response. Its callbacks ignore anything once it has ended. */
    private final class Exchange implements UpstreamListener {
        final HttpRequest req;
        final long startNanos = System.nanoTime();
        final boolean clientKeepAlive;
        final boolean ws;
        final boolean requestHasBody;
        final List<TargetState> tried = new ArrayList<>(2);
        final ArrayDeque<HttpContent> pendingBody = new ArrayDeque<>();
        String host;
        String pathAndQuery;
        CompiledRoute route;
        Serving serving;
        TargetState target;
        Channel up;
        String poolKey;
        boolean reused;
        boolean retried;
        HttpRequest upstreamRequest;
        boolean requestDone;
        boolean requestSent;
        boolean responseStarted;
        boolean responseDone;
        boolean upstreamReusable = true;
        boolean interim;
        boolean tunnelPending;
        HttpResponse upgradeResponse;
        boolean closeAfter;
        boolean finished;
        boolean local;
        int status;
        ChannelFuture lastUpWrite;
        ChannelFuture lastDownWrite;
        Throwable lastConnectError;

        Exchange(HttpRequest req) {
            this.req = req;
            this.clientKeepAlive = HttpUtil.isKeepAlive(req);
            this.ws = WebSocketHandshake.isHandshake(req);
            this.requestHasBody = HttpUtil.isTransferEncodingChunked(req) || HttpUtil.getContentLength(req, 0L) > 0;
        }

        void start() {
            String uri = req.uri();
            host = req.headers().get(HttpHeaderNames.HOST);
            if (!uri.startsWith("/")) {
                // absolute-form (RFC 9112 3.2.2): the target's authority replaces Host.
                try {
                    URI u = URI.create(uri);
                    host = u.getRawAuthority();
                    uri = (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath())
                            + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
                } catch (IllegalArgumentException e) {
                    c.metrics().badRequest();
                    local(HttpResponseStatus.BAD_REQUEST, "malformed request target", true);
                    return;
                }
            }
            pathAndQuery = uri;
            int q = uri.indexOf('?');
            String path = q < 0 ? uri : uri.substring(0, q);
            if (ws) c.metrics().handshake();
            serving = c.serving().get(); // read once: this exchange sees one table from start to end
            route = serving.table().match(host, path);
            if (route == null) {
                local(HttpResponseStatus.NOT_FOUND, "no route for " + (host == null ? "" : host) + path, false);
                return;
            }
            if (route.route().httpsOnly() && !tls) {
                int port = c.tlsPort().get();
                if (ws || port == 0 || host == null) {
                    local(HttpResponseStatus.FORBIDDEN, "this route is served over https only", false);
                } else {
                    String h = hostWithoutPort(host);
                    String location = "https://" + h + (port == 443 ? "" : ":" + port) + pathAndQuery;
                    localRedirect(location);
                }
                return;
            }
            IoTimeoutHandler t = ctx.pipeline().get(IoTimeoutHandler.class);
            if (t != null) t.arm(0, route.sendMs());
            pickAndConnect();
        }

        private void pickAndConnect() {
            TargetState t = route.balancer().pick(clientIpBytes, tried);
            if (t == null) {
                if (tried.isEmpty()) {
                    local(HttpResponseStatus.SERVICE_UNAVAILABLE, "no target for route " + route.name(), false);
                } else if (lastConnectError instanceof ConnectTimeoutException) {
                    local(HttpResponseStatus.GATEWAY_TIMEOUT, "connecting to upstream " + route.upstream().name() + " timed out", false);
                } else {
                    local(HttpResponseStatus.BAD_GATEWAY, "upstream " + route.upstream().name() + " unreachable", false);
                }
                return;
            }
            target = t;
            t.opened();
            tried.add(t);
            InetSocketAddress addr = serving.address(t);
            poolKey = UpstreamPool.key(route.upstream(), addr);
            Channel pooled = c.pool().poll(ctx.channel().eventLoop(), poolKey);
            if (pooled != null) {
                connected(pooled, true);
                return;
            }
            connect(addr);
        }

        private void connect(InetSocketAddress addr) {
            c.pool().connect(ctx.channel().eventLoop(), route.upstream(), addr, route.connectMs()).addListener(
                    (io.netty.util.concurrent.Future<Channel> f) -> {
                if (finished) {
                    if (f.isSuccess()) f.getNow().close();
                    return;
                }
                if (f.isSuccess()) {
                    connected(f.getNow(), false);
                    return;
                }
                // Nothing was sent yet, so another target may take this request.
                lastConnectError = f.cause();
                c.metrics().upstreamError(f.cause() instanceof ConnectTimeoutException ? "connect_timeout" : "connect_failed");
                target.closed();
                target = null;
                pickAndConnect();
            });
        }

        private void connected(Channel ch, boolean fromPool) {
            up = ch;
            reused = fromPool;
            ch.pipeline().get(UpstreamHandler.class).attach(this);
            ch.pipeline().get(IoTimeoutHandler.class).arm(route.readMs(), route.sendMs());
            if (upstreamRequest == null) upstreamRequest = upstreamRequest();
            lastUpWrite = ch.write(upstreamRequest);
            HttpContent p;
            while ((p = pendingBody.poll()) != null) writeUp(p);
            ch.flush();
            // Read the upstream from the start, not only once the body is sent: a 100 Continue (which the
            // client waits for before sending its body) or an early error answer must get through.
            ch.read();
            if (!requestSent) readClientAfter(lastUpWrite);
        }

        private void writeUp(HttpContent content) {
            boolean last = content instanceof LastHttpContent;
            lastUpWrite = up.write(content);
            if (last) {
                requestSent = true;
                up.flush();
                // Only now does the read timeout start to mean "the upstream is slow to answer".
                up.read();
            }
        }

        /** Asks the client for more body once {@code f} (the last write upstream) has gone out. */
        private void readClientAfter(ChannelFuture f) {
            if (requestDone) return;
            if (f == null || f.isDone()) {
                if (f == null || f.isSuccess()) ctx.read();
                return;
            }
            f.addListener(x -> {
                if (x.isSuccess() && !finished && !requestDone) ctx.read();
            });
        }

        void onRequestContent(HttpContent content) {
            if (content.decoderResult().isFailure()) {
                c.metrics().badRequest();
                content.release();
                requestDone = true;
                closeAfter = true;
                fail(HttpResponseStatus.BAD_REQUEST, "malformed body: " + content.decoderResult().cause().getMessage());
                return;
            }
            boolean last = content instanceof LastHttpContent;
            if (last) {
                requestDone = true;
                // Keep one read pending while the answer is awaited: a client that hangs up is noticed now
                // (and its upstream request abandoned, as nginx does), and at most one read of pipelined
                // requests is queued, since nothing asks for more until this exchange ends.
                if (queue.isEmpty() && !closing) ctx.read();
            }
            if (local || finished) {
                content.release();
                if (last) maybeFinish();
                return;
            }
            if (up == null) {
                pendingBody.add(content);
                return;
            }
            writeUp(content);
            if (last) maybeFinish();
        }

        void clientReadComplete() {
            if (finished || local || requestDone) return;
            if (up == null) return; // resumed when connected
            up.flush();
            readClientAfter(lastUpWrite);
        }

        private HttpRequest upstreamRequest() {
            DefaultHttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, req.method(), route.rewritePath(pathAndQuery));
            HttpHeaders h = r.headers();
            Hop.copyEndToEnd(req.headers(), h);
            h.remove(HttpHeaderNames.HOST);
            h.remove("X-Forwarded-Host");
            if (HttpUtil.isTransferEncodingChunked(req)) h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            h.set(HttpHeaderNames.HOST, route.route().preserveHost() && host != null ? host : target.address());
            h.set("X-Real-IP", clientIp);
            List<String> xff = req.headers().getAll("X-Forwarded-For");
            h.set("X-Forwarded-For", xff.isEmpty() ? clientIp : String.join(", ", xff) + ", " + clientIp);
            h.set("X-Forwarded-Proto", tls ? "https" : "http");
            if (host != null) h.set("X-Forwarded-Host", host);
            if (ws) {
                h.set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
                h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            }
            return r;
        }

        // ---- upstream callbacks ----

        @Override
        public void onResponse(HttpObject msg) {
            if (finished) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof HttpResponse resp) {
                onResponseHead(resp);
                if (msg instanceof HttpContent hc) onResponseContent(hc);
                return;
            }
            onResponseContent((HttpContent) msg);
        }

        private void onResponseHead(HttpResponse resp) {
            if (resp.decoderResult().isFailure()) {
                upstreamReusable = false;
                c.metrics().upstreamError("bad_response");
                fail(HttpResponseStatus.BAD_GATEWAY, "upstream sent a malformed response");
                return;
            }
            int code = resp.status().code();
            if (code == 101) {
                if (ws && WebSocketHandshake.accepted(req, resp)) {
                    tunnelPending = true;
                    upgradeResponse = resp;
                    return;
                }
                // A 101 we cannot trust: the upstream now speaks something we did not agree to.
                upstreamReusable = false;
                c.metrics().upstreamError("bad_handshake");
                fail(HttpResponseStatus.BAD_GATEWAY, "upstream answered 101 without a valid WebSocket accept");
                return;
            }
            if (code >= 100 && code < 200) {
                interim = true;
                DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, resp.status());
                Hop.copyEndToEnd(resp.headers(), r.headers());
                ctx.write(r);
                return;
            }
            status = code;
            responseStarted = true;
            if (!HttpUtil.isKeepAlive(resp)) upstreamReusable = false;
            DefaultHttpResponse out = new DefaultHttpResponse(req.protocolVersion().equals(HttpVersion.HTTP_1_0)
                    ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1, resp.status());
            HttpHeaders h = out.headers();
            Hop.copyEndToEnd(resp.headers(), h);
            boolean bodyless = req.method().equals(HttpMethod.HEAD) || code == 204 || code == 304;
            if (HttpUtil.isTransferEncodingChunked(resp)) {
                h.remove(HttpHeaderNames.CONTENT_LENGTH);
                if (req.protocolVersion().equals(HttpVersion.HTTP_1_0)) closeAfter = true; // 1.0 has no chunking: end by close
                else h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            } else if (!bodyless && !resp.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
                // The upstream ends its body by closing: re-frame for the client (chunked, or close for 1.0).
                upstreamReusable = false;
                if (req.protocolVersion().equals(HttpVersion.HTTP_1_0)) closeAfter = true;
                else h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
            if (!clientKeepAlive || c.draining().on()) closeAfter = true;
            if (closeAfter) h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            else if (req.protocolVersion().equals(HttpVersion.HTTP_1_0)) h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            lastDownWrite = ctx.write(out);
        }

        private void onResponseContent(HttpContent content) {
            boolean last = content instanceof LastHttpContent;
            if (tunnelPending) {
                content.release();
                if (last) switchToTunnel();
                return;
            }
            if (interim) {
                content.release();
                if (last) interim = false;
                return;
            }
            if (!responseStarted || finished) {
                content.release();
                return;
            }
            if (content.decoderResult().isFailure()) {
                content.release();
                upstreamReusable = false;
                abort();
                return;
            }
            lastDownWrite = ctx.write(content);
            if (last) {
                responseDone = true;
                ctx.flush();
                maybeFinish();
            }
        }

        @Override
        public void onUpstreamReadComplete() {
            if (finished || tunnelPending) return;
            ctx.flush();
            ChannelFuture f = lastDownWrite;
            Channel u = up;
            if (f == null || f.isDone()) {
                if (f == null || f.isSuccess()) u.read();
                return;
            }
            f.addListener(x -> {
                if (x.isSuccess() && !finished && !tunnelPending) u.read();
            });
        }

        @Override
        public void onUpstreamClosed(Throwable cause) {
            if (finished) return;
            upstreamReusable = false;
            if (!responseStarted && !tunnelPending && reused && !retried && requestSent && !requestHasBody) {
                // A pooled connection the upstream closed while idle (the race every keep-alive pool has):
                // nothing reached the client and the request had no body, so send it again on a new one.
                retried = true;
                up = null;
                requestSent = false;
                pendingBody.add(LastHttpContent.EMPTY_LAST_CONTENT); // the bodyless request's end, written again
                connect(serving.address(target));
                return;
            }
            c.metrics().upstreamError("reset");
            fail(HttpResponseStatus.BAD_GATEWAY, "upstream closed the connection"
                    + (cause == null ? "" : " (" + cause.getClass().getSimpleName() + ")"));
        }

        @Override
        public void onUpstreamTimeout(IoTimeoutHandler.IoTimeout which) {
            if (finished) return;
            if (which == IoTimeoutHandler.IoTimeout.READ && !requestSent) return; // still sending: not waiting yet
            c.metrics().upstreamError(which == IoTimeoutHandler.IoTimeout.READ ? "read_timeout" : "send_timeout");
            upstreamReusable = false;
            fail(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream " + route.upstream().name() + " timed out ("
                    + (which == IoTimeoutHandler.IoTimeout.READ ? "read_ms " + route.readMs() : "send_ms " + route.sendMs()) + ")");
        }

        void clientClosed() {
            if (finished) return;
            upstreamReusable = false;
            status = responseStarted ? status : 499; // nginx's "client closed request"
            closeAfter = true;
            end();
        }

        // ---- endings ----

        /** A reply made here (404, 503...) before any upstream was involved. */
        private void local(HttpResponseStatus s, String text, boolean close) {
            local = true;
            status = s.code();
            responseStarted = true;
            responseDone = true;
            // A body we are not going to read would have to be drained first; closing is simpler and safe.
            if (close || requestHasBody && !requestDone || !clientKeepAlive || c.draining().on()) closeAfter = true;
            lastDownWrite = sendLocalResponse(s, text);
            maybeFinish();
        }

        private void localRedirect(String location) {
            local = true;
            status = 308;
            responseStarted = true;
            responseDone = true;
            if (requestHasBody && !requestDone || !clientKeepAlive || c.draining().on()) closeAfter = true;
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PERMANENT_REDIRECT);
            r.headers().set(HttpHeaderNames.LOCATION, location);
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            if (closeAfter) r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            c.metrics().request(308);
            lastDownWrite = ctx.writeAndFlush(r);
            maybeFinish();
        }

        private ChannelFuture sendLocalResponse(HttpResponseStatus s, String text) {
            ByteBuf body = Unpooled.copiedBuffer(s.code() + " " + s.reasonPhrase() + ": " + text + "\n", StandardCharsets.UTF_8);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, s, body);
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            if (closeAfter) r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            c.metrics().request(s.code());
            return ctx.writeAndFlush(r);
        }

        /** An upstream failure: an error reply if the client has seen nothing yet, else a cut connection. */
        private void fail(HttpResponseStatus s, String text) {
            if (finished) return;
            if (responseStarted) {
                abort();
                return;
            }
            upstreamReusable = false;
            tunnelPending = false;
            local = true;
            status = s.code();
            responseStarted = true;
            responseDone = true;
            if ((requestHasBody && !requestDone) || !clientKeepAlive || c.draining().on()) closeAfter = true;
            lastDownWrite = sendLocalResponse(s, text);
            maybeFinish();
        }

        private void abort() {
            upstreamReusable = false;
            closeAfter = true;
            end();
        }

        private void maybeFinish() {
            if (!responseDone || finished) return;
            if (!requestDone) {
                // A bodyless request's end marker is already decoded and on its way: wait for it. A body
                // still streaming in is not worth reading to the end: close after the response instead.
                if (!requestHasBody) return;
                closeAfter = true;
            }
            end();
        }

        private void end() {
            if (finished) return;
            finished = true;
            releasePending();
            if (target != null) target.closed();
            if (up != null) {
                UpstreamHandler h = up.pipeline().get(UpstreamHandler.class);
                if (h != null) h.detach();
                if (upstreamReusable && requestSent && responseDone && !local) c.pool().release(up, poolKey);
                else up.close();
            }
            if (!local && status != 499) c.metrics().request(status);
            log();
            next(this, closeAfter);
        }

        private void releasePending() {
            HttpContent p;
            while ((p = pendingBody.poll()) != null) p.release();
        }

        private void log() {
            if (!ACCESS.isInfoEnabled()) return; // per request: build nothing when the access log is off
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
            ACCESS.info("{} \"{} {} {}\" {} route={} target={} duration_ms={}", clientIp, req.method(), loggable(req.uri()),
                    req.protocolVersion(), status, route == null ? "-" : route.name(),
                    target == null ? "-" : target.address(), ms);
        }

        /** The upstream accepted the WebSocket handshake: hand both connections to a tunnel. */
        private void switchToTunnel() {
            finished = true;
            if (current == this) current = null;
            Channel client = ctx.channel();
            if (!client.isActive() || !up.isActive() || !queue.isEmpty()) {
                // The client went away, or sent more before the 101 (RFC 6455 4.1 forbids it): no tunnel.
                target.closed();
                up.close();
                client.close();
                closing = true;
                return;
            }
            Tunnel tunnel = new Tunnel(client, up, route.name(), route.route(), target, clientIp, loggable(req.uri()),
                    route.readMs(), route.sendMs(), c.metrics(), c.tunnels());
            // Order matters: removing a decoder hands the bytes it still holds (frames that came in the same
            // read as the 101, or early client frames) to the next handler at once. So both tunnel handlers
            // must be in place, the 101 written and the upstream encoder passing raw bytes before either
            // codec goes.
            var upPipeline = up.pipeline();
            upPipeline.get(UpstreamHandler.class).detach();
            ((HttpClientCodec) upPipeline.get(UpstreamPool.CODEC)).prepareUpgradeFrom(upPipeline.context(UpstreamPool.CODEC));
            upPipeline.addAfter(UpstreamPool.CODEC, TunnelHandler.NAME, tunnel.upstreamHandler());
            upPipeline.remove(UpstreamPool.HANDLER);

            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
            Hop.copyEndToEnd(upgradeResponse.headers(), r.headers());
            r.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
            r.headers().set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            c.metrics().request(101);
            ctx.writeAndFlush(r);
            var p = client.pipeline();
            p.addAfter(serverCodecName, TunnelHandler.NAME, tunnel.clientHandler());
            closing = true; // this handler is done with the connection
            tunnel.start();
            p.remove(ProxyHandler.this);
            p.remove(serverCodecName);
            if (p.get(HeadGuardHandler.class) != null) p.remove(HeadGuardHandler.class);
            upPipeline.remove(UpstreamPool.CODEC);
        }
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

    private static String hostWithoutPort(String host) {
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end > 0 ? host.substring(0, end + 1) : host;
        }
        int colon = host.indexOf(':');
        return (colon < 0 ? host : host.substring(0, colon)).toLowerCase(Locale.ROOT);
    }
}
