package io.switchyard.dataplane.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.switchyard.config.Config;
import io.switchyard.dataplane.accesslog.AccessLog;
import io.switchyard.config.OriginPolicy;
import io.switchyard.dataplane.channel.IoTimeoutHandler;
import io.switchyard.dataplane.internal.Context;
import io.switchyard.dataplane.internal.Serving;
import io.switchyard.dataplane.reply.LocalReply;
import io.switchyard.dataplane.status.UpstreamError;
import io.switchyard.dataplane.tunnel.Tunnel;
import io.switchyard.dataplane.upstream.UpstreamHandler;
import io.switchyard.dataplane.upstream.UpstreamListener;
import io.switchyard.dataplane.upstream.UpstreamPool;
import io.switchyard.dataplane.upstream.UpstreamRequestEncoder;
import io.switchyard.dataplane.upstream.ResponseHead;
import io.switchyard.dataplane.upstream.UpstreamResponseDecoder;
import io.switchyard.routing.CompiledRoute;
import io.switchyard.routing.TargetState;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One request and its response, from the decoded head to the last byte of the answer (or to the switch
 * into a {@link Tunnel}). Its life is an explicit {@link Phase}; what the client sent so far
 * ({@code requestDone}) runs beside it, since a body may still stream in while the answer streams out.
 * Whether the client connection must close afterwards is decided in one place, {@link #mustClose()}.
 *
 * <p>Confined to the client channel's event loop, like the upstream connection it leases. Callbacks that
 * arrive after {@link Phase#DONE} only release what they carry.
 */
final class Exchange implements UpstreamListener {
    /** Where an exchange is. Moves forward only. */
    enum Phase {
        /** The request is read and checked, a route chosen; no upstream yet. */
        ROUTING,
        /** A target was picked and its connection is being made or leased. */
        CONNECTING,
        /** The request head went upstream; waiting for the response head (1xx answers pass through). */
        AWAITING,
        /** The response head went to the client; its body streams. */
        STREAMING,
        /** The upstream accepted the WebSocket handshake; the switch happens at the response's end. */
        UPGRADING,
        /** Answered (or abandoned); nothing more is written for this exchange. */
        DONE
    }

    private static final AsciiString X_REAL_IP = AsciiString.cached("X-Real-IP");
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("X-Forwarded-For");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("X-Forwarded-Proto");
    private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("X-Forwarded-Host");
    private static final AsciiString X_FORWARDED_PORT = AsciiString.cached("X-Forwarded-Port");
    private static final AsciiString FORWARDED = AsciiString.cached("Forwarded");
    static final AsciiString X_REQUEST_ID = AsciiString.cached("X-Request-Id");

    private final ProxyHandler conn;
    private final ChannelHandlerContext ctx;
    private final Context c;
    final ClientRequest req;
    private final RequestTarget target;
    private final boolean ws;
    private final boolean clientKeepAlive;
    private final boolean requestHasBody;
    private final long startNanos = System.nanoTime();
    final String requestId;
    private final String origin;
    private final String wsKey;
    private String note;
    private long bytesIn;
    private long bytesOut;
    private long connectStartNanos = -1;
    private long connectedNanos = -1;
    private long firstByteNanos = -1;
    private final List<TargetState> tried = new ArrayList<>(2);
    /** Body parts that came before the upstream connection; made on first use (a pooled connection needs none). */
    private ArrayDeque<HttpContent> pendingBody;
    /** Whether the request goes upstream chunked (its end then writes the last chunk). */
    private boolean upChunked;

    Phase phase = Phase.ROUTING;
    boolean requestDone;
    private boolean requestSent;
    private boolean closeRequested;
    private boolean closeAnnounced;
    private boolean local;
    private boolean interim;
    private boolean upstreamReusable = true;
    private boolean reused;
    private boolean retried;
    private Serving serving;
    private CompiledRoute route;
    private TargetState picked;
    private Channel up;
    private String poolKey;
    private ResponseHead upgradeHead;
    private ChannelFuture lastUpWrite;
    private ChannelFuture lastDownWrite;
    /**
     * The answer's head, held back (not yet written) in the hope that the whole body follows in the same read: then
     * head and body go out in one send ({@link ResponseEncoder#sendWhole}). Written through the pipeline before
     * anything else goes to the client, at the latest when the read ends.
     */
    private ResponseEncoder.Relayed heldHead;
    private Throwable lastConnectError;
    private int status;

    Exchange(ProxyHandler conn, ChannelHandlerContext ctx, Context c, ClientRequest req, RequestTarget target, boolean ws) {
        this.conn = conn;
        this.ctx = ctx;
        this.c = c;
        this.req = req;
        this.target = target;
        this.ws = ws;
        this.clientKeepAlive = req.keepAlive(); // framing and persistence as the guard's parse settled them
        this.requestHasBody = req.hasBody();
        this.requestId = RequestIds.of(req.headers().get(X_REQUEST_ID));
        // Read once from the client's head (its headers are never edited: the target's head is written from them as bytes).
        this.origin = req.headers().get(HttpHeaderNames.ORIGIN);
        this.wsKey = ws ? req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_KEY) : null;
    }

    /** Why the request was refused, for the access log. */
    void note(String why) {
        this.note = why;
    }

    /**
     * Whether the client connection closes after this exchange: the client asked for it, a graceful shutdown
     * runs, something went wrong mid-message, or a request body was left unread (draining it for the next request
     * would cost more than a new connection).
     */
    boolean mustClose() {
        return closeRequested || !clientKeepAlive || c.draining().on() || (requestHasBody && !requestDone);
    }

    /**
     * Whether the connection closes when this exchange ends. A drain that began after the answer went out without
     * {@code Connection: close} does not cut the connection under a client about to reuse it: it takes one more request.
     */
    private boolean closeAtEnd() {
        if (!mustClose()) return false;
        boolean onlyDraining = !closeRequested && clientKeepAlive && !(requestHasBody && !requestDone);
        return closeAnnounced || !onlyDraining;
    }

    /** Closes the client connection once this exchange ends. */
    void closeAfter() {
        closeRequested = true;
    }

    // ---- ROUTING ----

    void start() {
        if (ws) c.metrics().handshake();
        serving = c.serving().get(); // read once: this exchange sees one table from start to end
        if (serving.table().version() < 0) {
            // Nothing applied yet: a node still starting, not a missing route.
            local(HttpResponseStatus.SERVICE_UNAVAILABLE, "no configuration applied yet", false, "1");
            return;
        }
        route = serving.table().match(target.host(), target.path());
        if (route == null) {
            local(HttpResponseStatus.NOT_FOUND, "no route for " + (target.host() == null ? "" : target.host()) + target.path(), false, null);
            return;
        }
        Config config = serving.table().config();
        if (ws && config.maxTunnels() > 0 && c.tunnels().size() >= config.maxTunnels()) {
            c.metrics().refused("max_tunnels");
            local(HttpResponseStatus.SERVICE_UNAVAILABLE, "too many open tunnels on this node", false, "1");
            return;
        }
        if (route.route().httpsOnly() && !conn.tls()) {
            int port = c.tlsPort().get();
            if (ws || port == 0 || target.host() == null) {
                local(HttpResponseStatus.FORBIDDEN, "this route is served over https only", false, null);
            } else {
                String location = "https://" + hostForUrl(target.host()) + (port == 443 ? "" : ":" + port)
                        + target.originForm(target.path());
                redirect(location);
            }
            return;
        }
        OriginPolicy origin = route.route().origin();
        if (origin != null && !OriginCheck.admit(this, route.name(), origin, target, ws, conn.tls(), c.metrics()))
            return; // answered here: a preflight, or a refused origin
        IoTimeoutHandler t = conn.clientTimeout();
        // While a body streams in, a client that stops sending for client_body_timeout gets 408 (nginx's).
        if (t != null) t.arm(requestHasBody && !requestDone ? config.clientBodyTimeoutMs() : 0, route.sendMs());
        pickAndConnect();
    }

    private static String hostForUrl(String host) {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    // ---- CONNECTING ----

    private void pickAndConnect() {
        TargetState t = route.balancer().pick(conn.clientIpBytes(), tried);
        if (t == null) {
            if (tried.isEmpty()) {
                if (route.upstream().targets().isEmpty())
                    local(HttpResponseStatus.SERVICE_UNAVAILABLE, "no target for route " + route.name(), false, null);
                else
                    local(HttpResponseStatus.SERVICE_UNAVAILABLE, "no available target in upstream " + route.upstream().name()
                            + " (unhealthy, draining or disabled)", false, "1");
            } else if (lastConnectError instanceof ConnectTimeoutException) {
                local(HttpResponseStatus.GATEWAY_TIMEOUT, "connecting to upstream " + route.upstream().name() + " timed out", false, null);
            } else {
                local(HttpResponseStatus.BAD_GATEWAY, "upstream " + route.upstream().name() + " unreachable", false, null);
            }
            return;
        }
        phase = Phase.CONNECTING;
        if (connectStartNanos < 0) connectStartNanos = System.nanoTime();
        picked = t;
        t.opened();
        tried.add(t);
        InetSocketAddress addr = serving.address(t);
        poolKey = serving.poolKey(t, route.upstream(), UpstreamPool::key);
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
                    if (phase == Phase.DONE) {
                        if (f.isSuccess()) f.getNow().close();
                        return;
                    }
                    if (f.isSuccess()) {
                        connected(f.getNow(), false);
                        return;
                    }
                    // Nothing was sent yet, so another target may take this request.
                    lastConnectError = f.cause();
                    boolean timedOut = f.cause() instanceof ConnectTimeoutException;
                    c.metrics().upstreamError(timedOut ? UpstreamError.CONNECT_TIMEOUT : UpstreamError.CONNECT_FAILED);
                    c.health().failed(picked, timedOut ? "connect timed out" : "connect failed");
                    picked.closed();
                    picked = null;
                    pickAndConnect();
                });
    }

    private void connected(Channel ch, boolean fromPool) {
        connectedNanos = System.nanoTime();
        if (!fromPool) c.metrics().latency().connect(route.upstream().name(), connectedNanos - connectStartNanos);
        // A handshake counts as a success only once the upstream accepts it (a target that connects and refuses every
        // upgrade must not have its failures forgiven by each connect).
        if (!ws) c.health().succeeded(picked);
        up = ch;
        reused = fromPool;
        phase = Phase.AWAITING;
        UpstreamHandler handler = UpstreamHandler.of(ch);
        handler.attach(this);
        handler.timeout().arm(route.readMs(), route.sendMs());
        handler.decoder().expectResponseTo(req.method().equals(HttpMethod.HEAD));
        // Written again, whole, on a retried connection. Straight to the socket when nothing waits there (a pooled or
        // fresh connection always: the previous exchange's bytes are gone or it was not reused); its body follows.
        UpstreamRequestEncoder.Head head = upstreamRequest();
        lastUpWrite = handler.encoder().sendHead(head) ? null : ch.write(head);
        boolean written = lastUpWrite != null;
        HttpContent p;
        while (pendingBody != null && (p = pendingBody.poll()) != null) {
            writeUp(p);
            written = true;
        }
        if (written) ch.flush();
        // Read the upstream from the start, not only once the body is sent: a 100 Continue (which the
        // client waits for before sending its body) or an early error answer must get through.
        ch.read();
        if (!requestSent) readClientAfter(lastUpWrite);
    }

    /**
     * The request as the target gets it, as bytes ({@link UpstreamHead}): origin-form from our own parse, framing from
     * our own parse (exactly one of Content-Length or chunked when there is a body, neither when there is none), Host
     * per {@code preserve_host}, and the forwarding headers the proxy vouches for. The client's headers are only read.
     */
    private UpstreamRequestEncoder.Head upstreamRequest() {
        String path = route.route().mergeSlashes() ? target.path() : target.unmergedPath();
        RequestFields h = req.headers();
        boolean chunked = req.chunked();
        upChunked = chunked;
        long length = chunked ? 0 : Math.max(0, req.contentLength());
        ProxyHandler.Forwarding f = conn.forwarding(serving.table().config(), h);
        String proto = conn.tls() ? "https" : "http";
        int[] dropped = new int[1];
        UpstreamHead u = UpstreamHead.start(up.alloc(), req.method(), route.rewritePath(target.originForm(path)), h, dropped);
        // Counted once per request, not again for the head written a second time on a retried connection.
        if (dropped[0] > 0 && !retried) c.metrics().headersDropped(dropped[0]);
        if (chunked) {
            u.field(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        } else if (length > 0) {
            u.field(HttpHeaderNames.CONTENT_LENGTH, Long.toString(length));
        }
        u.field(HttpHeaderNames.HOST, route.route().preserveHost() && target.authority() != null
                ? target.authority().toString() : picked.address());
        u.field(X_REAL_IP, f.realIp());
        u.field(X_FORWARDED_FOR, f.forwardedFor());
        String authority = target.authority() == null ? null : target.authority().toString();
        if (f.trusted()) {
            // A trusted proxy in front said what its client used; keep its word, else say ours.
            String fproto = h.get(X_FORWARDED_PROTO);
            String fhost = h.get(X_FORWARDED_HOST);
            String fport = h.get(X_FORWARDED_PORT);
            u.field(X_FORWARDED_PROTO, fproto != null ? fproto : proto);
            if (fhost != null) u.field(X_FORWARDED_HOST, fhost);
            else if (authority != null) u.field(X_FORWARDED_HOST, authority);
            u.field(X_FORWARDED_PORT, fport != null ? fport : conn.localPortText());
            if (h.contains(FORWARDED)) for (String v : h.getAll(FORWARDED)) u.field(FORWARDED, v);
        } else {
            u.field(X_FORWARDED_PROTO, proto);
            if (authority != null) u.field(X_FORWARDED_HOST, authority);
            u.field(X_FORWARDED_PORT, conn.localPortText());
        }
        u.field(X_REQUEST_ID, requestId);
        if (ws) {
            u.field(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
            u.field(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        }
        return new UpstreamRequestEncoder.Head(u.end(), chunked);
    }

    private void pend(HttpContent content) {
        if (pendingBody == null) pendingBody = new ArrayDeque<>(4);
        pendingBody.add(content);
    }

    private void writeUp(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (last && !((LastHttpContent) content).trailingHeaders().isEmpty()) {
            // Request trailers are not forwarded (nginx drops them too): fields the proxy never checked could say
            // what the head was refused for saying. The chunk's bytes still go; only the trailer section is dropped.
            LastHttpContent l = (LastHttpContent) content;
            HttpContent bare = l.content().isReadable()
                    ? new io.netty.handler.codec.http.DefaultLastHttpContent(l.content().retain()) : LastHttpContent.EMPTY_LAST_CONTENT;
            l.release();
            content = bare;
        }
        if (last && !upChunked && !content.content().isReadable()) {
            // The end of a request framed by its length (or bodyless) carries no bytes: nothing to write, no promise.
            content.release();
        } else {
            lastUpWrite = up.write(content);
        }
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
            if (x.isSuccess() && phase != Phase.DONE && !requestDone) ctx.read();
        });
    }

    // ---- the client's side while the exchange runs ----

    void onRequestContent(HttpContent content) {
        if (content.decoderResult().isFailure()) {
            c.metrics().badRequest();
            content.release();
            badBody("malformed body: " + content.decoderResult().cause().getMessage());
            return;
        }
        boolean last = content instanceof LastHttpContent;
        bytesIn += content.content().readableBytes();
        if (last) {
            requestDone = true;
            IoTimeoutHandler t = conn.clientTimeout();
            if (t != null && route != null) t.arm(0, route.sendMs()); // the body is in: no more body clock
            // Keep one read pending while the answer is awaited: a client that hangs up is noticed now (and its
            // upstream request abandoned, as nginx does); nothing asks for more until this exchange ends.
            conn.readWhileAwaiting();
        }
        if (local || phase == Phase.DONE) {
            content.release();
            if (last) maybeFinish();
            return;
        }
        if (up == null) {
            pend(content);
            return;
        }
        writeUp(content);
        if (last) maybeFinish();
    }

    void clientReadComplete() {
        if (phase == Phase.DONE || local || requestDone) return;
        if (up == null) return; // resumed when connected
        up.flush();
        readClientAfter(lastUpWrite);
    }

    /** The body's framing broke mid-message (refused by the head guard, or undecodable): never finish it upstream. */
    void badBody(String why) {
        requestDone = true;
        closeRequested = true;
        upstreamReusable = false;
        fail(HttpResponseStatus.BAD_REQUEST, why);
    }

    /** The client stopped sending its body for client_body_timeout. */
    void bodyTimedOut() {
        if (phase == Phase.DONE) return;
        closeRequested = true;
        upstreamReusable = false;
        if (up != null) up.close();
        fail(HttpResponseStatus.REQUEST_TIMEOUT, "request body timed out");
    }

    void clientClosed() {
        if (phase == Phase.DONE) return;
        upstreamReusable = false;
        if (phase != Phase.STREAMING) status = 499; // nginx's "client closed request"
        closeRequested = true;
        end();
    }

    // ---- upstream callbacks ----

    @Override
    public void onResponse(Object msg) {
        if (phase == Phase.DONE) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof ResponseHead head) {
            onResponseHead(head);
        } else if (msg instanceof UpstreamResponseDecoder.Malformed m) {
            upstreamReusable = false;
            if (phase != Phase.AWAITING) {
                abort(); // the client has the head already: cut, so it sees the answer is incomplete
                return;
            }
            c.metrics().upstreamError(UpstreamError.BAD_RESPONSE);
            note("upstream response refused: " + m.reason());
            fail(HttpResponseStatus.BAD_GATEWAY, "upstream sent a malformed response");
        } else {
            onResponseContent((HttpContent) msg);
        }
    }

    private void onResponseHead(ResponseHead head) {
        if (phase != Phase.AWAITING) {
            // A second head where a body or nothing was due: the upstream is out of step with us.
            upstreamReusable = false;
            abort();
            return;
        }
        int code = head.code();
        if (code == 101) {
            if (ws && WebSocketHandshake.accepted(wsKey, head)) {
                c.health().succeeded(picked);
                phase = Phase.UPGRADING;
                upgradeHead = head;
                return;
            }
            if (ws) c.health().failed(picked, "101 without a valid WebSocket accept");
            // A 101 we cannot trust: the upstream now speaks something we did not agree to.
            upstreamReusable = false;
            if (!ws) closeRequested = true; // switched without being asked: nothing more on this connection is trusted
            c.metrics().upstreamError(UpstreamError.BAD_HANDSHAKE);
            fail(HttpResponseStatus.BAD_GATEWAY, ws ? "upstream answered 101 without a valid WebSocket accept"
                    : "upstream switched protocols without being asked");
            return;
        }
        if (code < 200) {
            interim = true;
            // HTTP/1.0 clients must not get 1xx answers (RFC 9110 15.2).
            if (!req.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
                HttpResponse resp = head.toResponse();
                Hop.stripResponseHeaders(resp.headers());
                DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, resp.status());
                r.headers().set(resp.headers());
                ctx.write(r);
            }
            return;
        }
        if (ws && refusesUpgrades(code)) c.health().failed(picked, "handshake answered " + code);
        status = code;
        phase = Phase.STREAMING;
        firstByteNanos = System.nanoTime();
        if (!head.keepAlive()) upstreamReusable = false;
        boolean http10 = req.protocolVersion().equals(HttpVersion.HTTP_1_0);
        // Framing for the client, from the decoder's parse of the target's head (never from its bytes as they are).
        boolean isHead = req.method().equals(HttpMethod.HEAD);
        boolean bodyless = isHead || code == 204 || code == 304;
        boolean chunkedOut = false;
        long length = -1;
        if (head.chunked()) {
            if (http10) closeRequested = true; // 1.0 has no chunking: the body ends by close
            else chunkedOut = true;
        } else if (head.contentLength() >= 0) {
            if (code != 204) length = head.contentLength();
        } else if (!bodyless) {
            // The upstream ends its body by closing: re-frame for the client (chunked, or close for 1.0).
            upstreamReusable = false;
            if (http10) closeRequested = true;
            else chunkedOut = true;
        }
        ResponseEncoder.Body body = chunkedOut ? ResponseEncoder.Body.CHUNKED : ResponseEncoder.Body.RAW;
        if (bodyless || code == 205) {
            // Answers that never carry a body (RFC 9110 6.4.1): no body bytes, no framing on a 204, a zero length on a 205.
            body = ResponseEncoder.Body.NONE;
            if (code == 204) {
                chunkedOut = false;
                length = -1;
            } else if (code == 205) {
                chunkedOut = false;
                length = 0;
            }
        } else if (req.method().equals(HttpMethod.CONNECT) && code < 300) {
            chunkedOut = false; // RFC 9112 6.1
        }
        AsciiString connection = null;
        if (mustClose()) {
            connection = HttpHeaderValues.CLOSE;
            closeAnnounced = true;
        } else if (http10) connection = HttpHeaderValues.KEEP_ALIVE;
        ResponseEncoder.Relayed relayed = new ResponseEncoder.Relayed(
                RelayedHead.write(ctx.alloc(), head, http10, requestId, route.route().origin(), origin, chunkedOut, length, connection), body);
        if (conn.encoder().sendsWhole()) heldHead = relayed;
        else lastDownWrite = ctx.write(relayed);
    }

    /** Writes the held answer head through the pipeline (the body did not come whole with it). */
    private void writeHeldHead() {
        ResponseEncoder.Relayed h = heldHead;
        if (h == null) return;
        heldHead = null;
        lastDownWrite = ctx.write(h);
    }

    private void onResponseContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (phase == Phase.UPGRADING) {
            content.release();
            if (last) switchToTunnel();
            return;
        }
        if (interim) {
            content.release();
            if (last) interim = false;
            return;
        }
        if (phase != Phase.STREAMING) {
            content.release();
            return;
        }
        if (content.decoderResult().isFailure()) {
            content.release();
            upstreamReusable = false;
            abort();
            return;
        }
        bytesOut += content.content().readableBytes();
        ResponseEncoder.Relayed h = heldHead;
        if (h != null && last && conn.encoder().canSendWhole(h, (LastHttpContent) content)) {
            heldHead = null;
            lastDownWrite = conn.encoder().sendWhole(h, (LastHttpContent) content);
            responseDone();
            return;
        }
        writeHeldHead();
        lastDownWrite = ctx.write(content);
        if (last) {
            ctx.flush();
            responseDone();
        }
    }

    @Override
    public void onUpstreamReadComplete() {
        if (phase != Phase.AWAITING && phase != Phase.STREAMING) return;
        writeHeldHead();
        ctx.flush();
        ChannelFuture f = lastDownWrite;
        Channel u = up;
        if (f == null || f.isDone()) {
            if (f == null || f.isSuccess()) u.read();
            return;
        }
        f.addListener(x -> {
            if (x.isSuccess() && (phase == Phase.AWAITING || phase == Phase.STREAMING)) u.read();
        });
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        if (phase == Phase.DONE) return;
        upstreamReusable = false;
        if (waitingForRequestEnd) return; // the answer is complete; only the connection is lost
        if (phase == Phase.AWAITING && reused && !retried && requestSent && !requestHasBody && idempotent(req.method())) {
            // A pooled connection the upstream closed while idle (the race every keep-alive pool has): nothing
            // reached the client, the request had no body and may be repeated (nginx never repeats a
            // non-idempotent request once it may have been sent), so send it again on a new connection.
            retried = true;
            up = null;
            requestSent = false;
            phase = Phase.CONNECTING;
            pend(LastHttpContent.EMPTY_LAST_CONTENT); // the bodyless request's end, written again
            connect(serving.address(picked));
            return;
        }
        c.metrics().upstreamError(UpstreamError.RESET);
        if (ws && phase == Phase.AWAITING) c.health().failed(picked, "closed during the handshake");
        fail(HttpResponseStatus.BAD_GATEWAY, "upstream closed the connection"
                + (cause == null ? "" : " (" + cause.getClass().getSimpleName() + ")"));
    }

    /**
     * Whether a final answer other than 101 to a WebSocket handshake says the target cannot take tunnels (a passive
     * failure): a 2xx (the upgrade ignored), 400 or 426 (no WebSocket here), or any 5xx. Other 3xx and 4xx answers
     * (a redirect, credentials, a path, a rate) speak of this client's request, not of the target.
     */
    private static boolean refusesUpgrades(int code) {
        return code < 300 || code == 400 || code == 426 || code >= 500;
    }

    private static boolean idempotent(HttpMethod m) {
        return m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD) || m.equals(HttpMethod.OPTIONS)
                || m.equals(HttpMethod.TRACE) || m.equals(HttpMethod.PUT) || m.equals(HttpMethod.DELETE);
    }

    @Override
    public void onUpstreamTimeout(IoTimeoutHandler.IoTimeout which) {
        if (phase == Phase.DONE) return;
        if (which == IoTimeoutHandler.IoTimeout.READ && !requestSent) return; // still sending: not waiting yet
        c.metrics().upstreamError(UpstreamError.of(which));
        if (ws && phase == Phase.AWAITING) c.health().failed(picked, "handshake timed out");
        upstreamReusable = false;
        fail(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream " + route.upstream().name() + " timed out ("
                + (which == IoTimeoutHandler.IoTimeout.READ ? "read_ms " + route.readMs() : "send_ms " + route.sendMs()) + ")");
    }

    // ---- endings ----

    /** An answer made here, before or instead of an upstream's. */
    void local(HttpResponseStatus s, String text, boolean close, String retryAfter) {
        if (close) closeRequested = true;
        local = true;
        status = s.code();
        phase = Phase.STREAMING;
        closeAnnounced = mustClose();
        FullHttpResponse r = LocalReply.text(ctx.alloc(), s, text, closeAnnounced);
        if (retryAfter != null) r.headers().set(HttpHeaderNames.RETRY_AFTER, retryAfter);
        r.headers().set(X_REQUEST_ID, requestId);
        bytesOut += r.content().readableBytes();
        if (s.code() == 426) r.headers().set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "13");
        c.metrics().request(s.code());
        lastDownWrite = ctx.writeAndFlush(r);
        responseDone();
    }

    /** A body-less answer made here with {@code headers} (a CORS preflight's 204). */
    void localEmpty(HttpResponseStatus s, HttpHeaders headers) {
        local = true;
        status = s.code();
        phase = Phase.STREAMING;
        FullHttpResponse r = LocalReply.empty(ctx.alloc(), s, mustClose());
        if (s.code() == 204) r.headers().remove(HttpHeaderNames.CONTENT_LENGTH); // RFC 9110 8.6: never on a 204
        r.headers().add(headers);
        c.metrics().request(s.code());
        lastDownWrite = ctx.writeAndFlush(r);
        responseDone();
    }

    /** {@code OPTIONS *}: what this proxy serves, answered here. */
    void localOptions() {
        local = true;
        status = 200;
        phase = Phase.STREAMING;
        closeAnnounced = mustClose();
        FullHttpResponse r = LocalReply.empty(ctx.alloc(), HttpResponseStatus.OK, closeAnnounced);
        r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS");
        c.metrics().request(200);
        lastDownWrite = ctx.writeAndFlush(r);
        responseDone();
    }

    private void redirect(String location) {
        local = true;
        status = 308;
        phase = Phase.STREAMING;
        closeAnnounced = mustClose();
        FullHttpResponse r = LocalReply.empty(ctx.alloc(), HttpResponseStatus.PERMANENT_REDIRECT, closeAnnounced);
        r.headers().set(HttpHeaderNames.LOCATION, location);
        c.metrics().request(308);
        lastDownWrite = ctx.writeAndFlush(r);
        responseDone();
    }

    /** An upstream failure: an error answer if the client has seen nothing yet, else a cut connection. */
    private void fail(HttpResponseStatus s, String text) {
        if (phase == Phase.DONE) return;
        if (phase == Phase.STREAMING) {
            abort();
            return;
        }
        upstreamReusable = false;
        interim = false;
        local(s, text, false, null);
    }

    private void abort() {
        upstreamReusable = false;
        closeRequested = true;
        end();
    }

    private void responseDone() {
        if (phase == Phase.DONE) return;
        if (!requestDone) {
            // A bodyless request's end marker is already decoded and on its way: wait for it. A body still
            // streaming in is not worth reading to the end: the connection closes after the answer (mustClose).
            if (!requestHasBody && !closeRequested) {
                waitingForRequestEnd = true;
                return;
            }
        }
        end();
    }

    private boolean waitingForRequestEnd;

    private void maybeFinish() {
        if (waitingForRequestEnd && requestDone) end();
    }

    private void end() {
        if (phase == Phase.DONE) return;
        writeHeldHead(); // an answer cut short: the client gets its head, then the connection's end
        boolean responseComplete = phase == Phase.STREAMING;
        phase = Phase.DONE;
        HttpContent p;
        while (pendingBody != null && (p = pendingBody.poll()) != null) p.release();
        if (picked != null) picked.closed();
        if (up != null) {
            UpstreamHandler h = UpstreamHandler.of(up);
            boolean reusable = upstreamReusable && requestSent && requestDone && responseComplete && !local;
            if (h == null || !reusable) {
                if (h != null) h.detach();
                up.close();
            } else {
                // Reused only if the answer was framed exactly: the handler hands the connection back at the end
                // of this read, unless more bytes followed the response in it (a body on HEAD, bytes past
                // Content-Length), in which case it closes the connection instead.
                h.releaseAfterRead(c.pool(), poolKey);
            }
        }
        if (!local && status != 499) c.metrics().request(status);
        c.metrics().latency().request(route == null ? null : route.name(), status, System.nanoTime() - startNanos);
        if (c.accessLog().on()) c.accessLog().log(accessEntry());
        conn.exchangeEnded(this, closeAtEnd());
    }

    private AccessLog.Request accessEntry() {
        long now = System.nanoTime();
        return new AccessLog.Request(System.currentTimeMillis(), requestId, conn.clientAddressForLog(), req.method().name(),
                target == null ? null : target.host(), ProxyHandler.loggable(target == null ? req.uri() : target.originForm(target.path())),
                req.protocolVersion().text(), status, route == null ? null : route.name(),
                route == null ? null : route.upstream().name(), picked == null ? null : picked.address(), bytesIn, bytesOut,
                connectedNanos < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(connectedNanos - connectStartNanos),
                firstByteNanos < 0 || connectedNanos < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(firstByteNanos - connectedNanos),
                TimeUnit.NANOSECONDS.toMillis(now - startNanos), note);
    }

    /** The upstream accepted the WebSocket handshake: hand both connections to a tunnel. */
    private void switchToTunnel() {
        phase = Phase.DONE;
        Channel client = ctx.channel();
        if (!client.isActive() || !up.isActive() || conn.hasQueued()) {
            // The client went away, or sent more before the 101 (RFC 6455 4.1 forbids it): no tunnel.
            picked.closed();
            up.close();
            conn.abandon();
            return;
        }
        Tunnel tunnel = new Tunnel(client, up, new Tunnel.Opened(route.name(), route.route(), picked, conn.clientAddressForLog(),
                ProxyHandler.loggable(target.originForm(target.path())), route.readMs(), route.sendMs(), requestId, target.host()),
                c.metrics(), c.tunnels(), c.accessLog());
        c.metrics().request(101);
        c.metrics().latency().handshake(route.name(), System.nanoTime() - startNanos);
        conn.handOver();
        // The 101 is relayed as bytes from the decoder's parse, as any other answer (RelayedHead), with no body after it.
        tunnel.install(new ResponseEncoder.Relayed(RelayedHead.switching(ctx.alloc(), upgradeHead, requestId), ResponseEncoder.Body.NONE));
    }
}
