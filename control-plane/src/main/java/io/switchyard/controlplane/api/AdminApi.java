package io.switchyard.controlplane.api;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.router.JavalinDefaultRouting;
import io.switchyard.config.Certificate;
import io.switchyard.config.Config;
import io.switchyard.config.ConfigMapper;
import io.switchyard.config.ConfigException;
import io.switchyard.config.Route;
import io.switchyard.config.Target;
import io.switchyard.config.Timeouts;
import io.switchyard.config.Upstream;
import io.switchyard.config.Violation;
import io.switchyard.controlplane.certificate.CertificateInspector;
import io.switchyard.controlplane.fleet.FleetHub;
import io.switchyard.controlplane.snapshot.ConfigDiff;
import io.switchyard.controlplane.store.ConfigStore;
import io.switchyard.controlplane.store.Database;
import io.switchyard.fleet.FleetMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static io.switchyard.controlplane.api.Http.MAX_BODY_BYTES;
import static io.switchyard.controlplane.api.Http.entity;
import static io.switchyard.controlplane.api.Http.enc;
import static io.switchyard.controlplane.api.Http.fromJavalin;
import static io.switchyard.controlplane.api.Http.json;
import static io.switchyard.controlplane.api.Http.parse;
import static io.switchyard.controlplane.api.Http.problem;
import static io.switchyard.controlplane.api.Http.problemBody;
import static io.switchyard.controlplane.api.Http.queryLong;
import static io.switchyard.controlplane.api.Http.remote;
import static io.switchyard.controlplane.api.Http.truncate;

/**
 * The admin REST API ({@code /api/v1}) and the fleet channel, as Javalin routes. Every write goes
 * through {@link ConfigStore#write}, so validation, {@code If-Match} checks ({@link Preconditions})
 * and the new version happen atomically under the store's write lock. The named collections are
 * served by one {@link NamedCollection} each; the fleet channel hands each session to the
 * {@link FleetHub} as a {@link JavalinNodeLink}. Every error is one problem+json shape.
 * Thread-safe (holds no per-request state).
 */
public final class AdminApi {
    private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);

    public static final String BASE = "/api/v1";
    private static final long MAX_WAIT_MS = 300_000;
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}");
    private static final java.time.Duration FLEET_IDLE_TIMEOUT = java.time.Duration.ofSeconds(30);
    private static final int MAX_PAGE = 500;

    private final ConfigStore store;
    private final VersionedStore versions;
    private final NamedCollection<Upstream> upstreams = NamedCollection.upstreams();
    private final NamedCollection<Route> routes = NamedCollection.routes();
    private final NamedCollection<Certificate> certificates = NamedCollection.certificates();
    private final FleetHub fleet;
    private final byte[] adminToken;
    private final byte[] clusterToken;
    private final boolean loopback;
    private final byte[] openapi;
    /** The dashboard's files by path; served without the token (they hold no data; the page asks for the token). */
    private final Map<String, Dashboard> dashboard = new LinkedHashMap<>();
    private final EventStream events;
    /** Certificate validity is judged by this clock (tests move it instead of waiting for expiry). */
    private final Clock clock;
    /** HTTPS/WSS instead of plain HTTP, or null; set before {@link #create}. */
    private org.eclipse.jetty.util.ssl.SslContextFactory.Server tls;
    private InetSocketAddress tlsBind;
    /** Mutual TLS: a node's client certificate must name its node id. */
    private boolean clientCertificates;

    public AdminApi(ConfigStore store, FleetHub fleet, String adminToken, String clusterToken, boolean loopback, Clock clock) {
        this.store = store;
        this.versions = new VersionedStore(store);
        this.clock = clock;
        this.fleet = fleet;
        this.adminToken = adminToken == null ? null : adminToken.getBytes(StandardCharsets.UTF_8);
        this.clusterToken = clusterToken == null ? null : clusterToken.getBytes(StandardCharsets.UTF_8);
        this.loopback = loopback;
        this.openapi = loadOpenapi();
        dashboard.put("/", new Dashboard("text/html; charset=utf-8", resource("/dashboard/index.html")));
        dashboard.put("/dashboard.css", new Dashboard("text/css; charset=utf-8", resource("/dashboard/dashboard.css")));
        dashboard.put("/dashboard.js", new Dashboard("text/javascript; charset=utf-8", resource("/dashboard/dashboard.js")));
        this.events = new EventStream(() -> store.current().version());
        store.onCommit(c -> events.versionCommitted(c.version()));
        fleet.onChange(events::fleetChanged);
    }

    /** Ends the open event streams; the control plane calls it before stopping Javalin. Idempotent. */
    public void close() {
        events.close();
    }

    /**
     * Serve HTTPS and WSS on {@code bind} with {@code ssl} instead of plain HTTP; with
     * {@code clientCertificates} the fleet channel admits a node only when its certificate names its id.
     */
    public AdminApi tls(org.eclipse.jetty.util.ssl.SslContextFactory.Server ssl, InetSocketAddress bind, boolean clientCertificates) {
        this.tls = ssl;
        this.tlsBind = bind;
        this.clientCertificates = clientCertificates;
        return this;
    }

    /**
     * A configured, not yet started Javalin. {@code registered} receives every HTTP route as
     * {@code "METHOD /path"} (the WebSocket endpoint as {@code "GET /path"}), so tests can hold
     * the OpenAPI document against what is really served.
     */
    public Javalin create(List<String> registered) {
        // Javalin's start-up chatter (version age, "listening on") would bury the process's own
        // one "ready" line, which the launcher prints. Process-wide, but only Javalin reads it.
        io.javalin.util.JavalinLogger.startupInfo = false;
        return Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.startupWatcherEnabled = false;
            cfg.http.maxRequestSize = MAX_BODY_BYTES;
            cfg.http.prefer405over404 = true;
            cfg.jsonMapper(new io.javalin.json.JavalinJackson(ConfigMapper.newMapper(), false));
            cfg.jetty.modifyWebSocketServletFactory(ws -> {
                // Nodes heartbeat every few seconds; one silent for this long has lost its connection.
                ws.setIdleTimeout(FLEET_IDLE_TIMEOUT);
                // Node messages are small (hello, ack, nack, heartbeat) but for a tunnel listing, which a node caps
                // at 20,000 rows (about 5 MB); snapshots only flow outwards.
                ws.setMaxTextMessageSize(8 * 1024 * 1024);
            });
            cfg.events.handlerAdded(h -> {
                if (h.getHttpMethod().isHttpMethod()) registered.add(h.getHttpMethod().name() + " " + h.getPath());
            });
            cfg.events.wsHandlerAdded(h -> registered.add("GET " + h.getPath()));
            if (tls != null) addTlsConnector(cfg);
            cfg.router.mount(this::routes);
        });
    }

    /**
     * The only connector when TLS is on (Javalin adds its plain one only when none was added), so plain
     * HTTP on this port fails the TLS handshake. SNI host checks are off: operators and nodes reach the
     * API by IP as often as by name, and the client already verified the certificate.
     */
    private void addTlsConnector(io.javalin.config.JavalinConfig cfg) {
        cfg.jetty.addConnector((server, httpConfig) -> {
            org.eclipse.jetty.server.SecureRequestCustomizer secure = new org.eclipse.jetty.server.SecureRequestCustomizer();
            secure.setSniHostCheck(false);
            httpConfig.addCustomizer(secure);
            httpConfig.setSecureScheme("https");
            org.eclipse.jetty.server.ServerConnector c = new org.eclipse.jetty.server.ServerConnector(server,
                    new org.eclipse.jetty.server.SslConnectionFactory(tls, "http/1.1"),
                    new org.eclipse.jetty.server.HttpConnectionFactory(httpConfig));
            c.setHost(tlsBind.getHostString());
            c.setPort(tlsBind.getPort());
            return c;
        });
    }

    private record Dashboard(String contentType, byte[] body) {
    }

    private void routes(JavalinDefaultRouting r) {
        r.before(this::guard);
        r.exception(ApiException.class, (e, ctx) -> problem(ctx, e));
        r.exception(ConfigException.class, (e, ctx) -> problem(ctx, ApiException.invalid(e)));
        r.exception(HttpResponseException.class, (e, ctx) -> problem(ctx, fromJavalin(e)));
        r.exception(Exception.class, (e, ctx) -> {
            if (Database.unreachable(e)) {
                String why = Database.rootMessage(e);
                LOG.warn("{} {}: database unreachable: {}", ctx.method(), ctx.path(), why);
                problem(ctx, databaseUnavailable(ctx,
                        "the control plane could not reach its database (" + why + "); read the current version before repeating a write"));
                return;
            }
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            problem(ctx, new ApiException(500, "internal", "Internal error", "the control plane failed to answer; see its log"));
        });

        r.get("/openapi.yaml", ctx -> ctx.contentType("application/yaml").result(openapi));
        r.get(READY_PATH, this::ready);
        for (Map.Entry<String, Dashboard> file : dashboard.entrySet()) {
            r.get(file.getKey(), ctx -> ctx
                    // Its own files only: no inline script, no other origin, no framing.
                    .header("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; "
                            + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
                    .header("Referrer-Policy", "no-referrer")
                    .contentType(file.getValue().contentType()).result(file.getValue().body()));
        }
        io.javalin.http.sse.SseHandler sse = new io.javalin.http.sse.SseHandler(events::subscribe);
        r.get(BASE + "/events", ctx -> {
            // Javalin opens the stream only for exactly this Accept; anything else would get an empty 200.
            if (!"text/event-stream".equals(ctx.header("Accept")))
                throw new ApiException(406, "not-acceptable", "Not acceptable",
                        "this is a server-sent event stream: send Accept: text/event-stream");
            sse.handle(ctx);
        });

        upstreams.register(r, BASE, versions, clock);
        r.post(BASE + "/upstreams/{name}/targets", this::addTarget);
        r.delete(BASE + "/upstreams/{name}/targets/{address}", this::removeTarget);
        routes.register(r, BASE, versions, clock);
        certificates.register(r, BASE, versions, clock);

        r.get(BASE + "/timeouts", ctx -> {
            Timeouts t = read(ctx).config().timeouts();
            entity(ctx, 200, t, t);
        });
        r.put(BASE + "/timeouts", this::replaceTimeouts);

        r.get(BASE + "/settings", ctx -> {
            Views.Settings s = Views.Settings.of(read(ctx).config());
            entity(ctx, 200, s, s);
        });
        r.put(BASE + "/settings", this::replaceSettings);

        r.get(BASE + "/config", ctx -> {
            ConfigStore.Current c = read(ctx);
            ctx.header("ETag", Preconditions.versionTag(c.version()));
            json(ctx, c.config().redacted());
        });
        r.put(BASE + "/config", this::replaceConfig);

        r.get(BASE + "/snapshots", this::history);
        // Registered before /snapshots/{version}: Javalin takes the first matching route.
        r.get(BASE + "/snapshots/current", ctx -> json(ctx, currentView(read(ctx))));
        r.get(BASE + "/snapshots/{version}", ctx -> {
            ConfigStore.Stored s = stored(ctx.pathParam("version"), "version");
            json(ctx.header(VersionedStore.VERSION_HEADER, Long.toString(s.version())), s.config().redacted());
        });
        r.post(BASE + "/snapshots/{version}/rollback", this::rollback);
        r.get(BASE + "/snapshots/{from}/diff/{to}", this::diff);

        r.get(BASE + "/fleet/nodes", this::fleetNodes);
        // Live tunnels, per-node target health and a target's state: see FleetQueriesApi.
        new FleetQueriesApi(versions, upstreams, fleet).register(r, BASE);

        r.wsBeforeUpgrade(FleetMessage.STREAM_PATH, this::admitNode);
        r.ws(FleetMessage.STREAM_PATH, ws -> {
            ws.onConnect(ctx -> fleet.connected(new JavalinNodeLink(ctx), ctx.queryParam("node_id"), remote(ctx.session.getRemoteAddress())));
            ws.onMessage(ctx -> fleet.message(new JavalinNodeLink(ctx), ctx.message()));
            ws.onClose(ctx -> fleet.closed(new JavalinNodeLink(ctx), ctx.status(), ctx.reason()));
            ws.onError(ctx -> LOG.debug("fleet: connection error", ctx.error()));
        });
    }

    /** Readiness for a load balancer or an orchestrator in front of control planes: no token, nothing secret. */
    static final String READY_PATH = "/ready";
    /** How long the readiness check waits for the database's answer. */
    private static final int READY_DATABASE_MS = 2_000;

    record Ready(String status, String database, long version) {
    }

    /** The one answer for a database out of reach: 503, to be tried again in a second. */
    private static ApiException databaseUnavailable(Context ctx, String detail) {
        ctx.header("Retry-After", "1");
        return new ApiException(503, "database-unavailable", "Database unavailable", detail);
    }

    private void ready(Context ctx) {
        try {
            store.checkDatabase(READY_DATABASE_MS);
        } catch (Exception e) {
            String why = Database.rootMessage(e);
            LOG.warn("{}: database not answering: {}", READY_PATH, why);
            throw databaseUnavailable(ctx, "the control plane's " + store.databaseKind() + " database did not answer (" + why + ")");
        }
        json(ctx, new Ready("ready", store.databaseKind(), store.current().version()));
    }

    // ---- guards: origin and bearer token --------------------------------------------------------

    private void guard(Context ctx) {
        // Answers describe live configuration: no cache may keep them, no browser may reinterpret them.
        ctx.header("Cache-Control", "no-store");
        ctx.header("X-Content-Type-Options", "nosniff");
        checkOrigin(ctx);
        // Fail closed: everything but the public paths (the OpenAPI document, the fleet channel with its
        // own token, GET of the dashboard's files) needs the admin token, so no spelling
        // of a path that the router might normalise differently can slip past this check.
        boolean open = ctx.path().equals("/openapi.yaml") || ctx.path().equals(READY_PATH) || ctx.path().equals(FleetMessage.STREAM_PATH)
                || (dashboard.containsKey(ctx.path()) && ctx.method() == io.javalin.http.HandlerType.GET);
        if (!open && adminToken != null && !bearerMatches(ctx.header("Authorization"), adminToken)) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"switchyard-admin\"");
            throw new ApiException(401, "unauthorized", "Unauthorized",
                    "this API needs Authorization: Bearer <admin token> (SWITCHYARD_ADMIN_TOKEN)");
        }
    }

    /**
     * A browser page from another origin must not drive the API (CSRF, DNS rebinding): any request
     * carrying a foreign {@code Origin} is refused. Without an admin token (loopback only) the Host
     * itself must be a loopback name, else a rebound DNS name would count as "same origin".
     */
    private void checkOrigin(Context ctx) {
        String origin = ctx.header("Origin");
        if (origin == null) return;
        String host = ctx.header("Host");
        boolean same = host != null && origin.equalsIgnoreCase((tls != null ? "https://" : "http://") + host);
        if (same && adminToken == null && loopback) {
            String name = host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1)
                    : host.contains(":") ? host.substring(0, host.lastIndexOf(':')) : host;
            same = name.equals("localhost") || name.equals("[::1]") || name.startsWith("127.");
        }
        if (!same)
            throw new ApiException(403, "forbidden-origin", "Forbidden origin",
                    "cross-origin requests are refused (Origin " + origin + " is not this admin API's own)");
    }

    private static boolean bearerMatches(String authorization, byte[] secret) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) return false;
        byte[] presented = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        // Constant-time: how much of the token matched must not show in the response time.
        return MessageDigest.isEqual(presented, secret);
    }

    private void admitNode(Context ctx) {
        try {
            checkOrigin(ctx);
            String nodeId = ctx.queryParam("node_id");
            boolean validId = nodeId != null && NODE_ID.matcher(nodeId).matches();
            if (clusterToken != null && !bearerMatches(ctx.header("Authorization"), clusterToken)) {
                // Recorded under a checked name only: the query string is the caller's, not ours.
                fleet.refused(validId ? nodeId : null, ctx.ip(), "wrong or missing cluster token");
                ctx.res().setHeader("WWW-Authenticate", "Bearer realm=\"switchyard-fleet\"");
                throw new ApiException(401, "unauthorized", "Unauthorized",
                        "the fleet channel needs Authorization: Bearer <cluster token> (SWITCHYARD_CLUSTER_TOKEN)");
            }
            if (!validId)
                throw ApiException.invalid("node_id", (nodeId == null ? "missing" : "\"" + truncate(nodeId, 64) + "\"")
                        + " (expected: ?node_id= with 1-128 letters, digits, '.', '_', ':', '@', '-')");
            if (clientCertificates) {
                // The TLS handshake already proved the certificate chains to --client-ca; here it must
                // also be this node's, so holding the cluster token is not enough to claim another id.
                Object certs = ctx.req().getAttribute("jakarta.servlet.request.X509Certificate");
                java.security.cert.X509Certificate leaf = certs instanceof java.security.cert.X509Certificate[] a && a.length > 0 ? a[0] : null;
                if (leaf == null || !io.switchyard.controlplane.tls.PemFiles.names(leaf, nodeId)) {
                    String why = leaf == null ? "no client certificate"
                            : "client certificate " + io.switchyard.controlplane.tls.PemFiles.commonName(leaf) + " does not name node " + nodeId;
                    fleet.refused(nodeId, ctx.ip(), why);
                    throw new ApiException(403, "forbidden", "Forbidden", why + " (mutual TLS: the certificate must name the node id)");
                }
            }
        } catch (ApiException e) {
            // On the upgrade path Javalin sets the status from the exception but never writes the
            // result body, so the problem document is written and committed here, then the
            // exception stops the upgrade.
            byte[] body = problemBody(e);
            ctx.res().setStatus(e.status());
            ctx.res().setContentType("application/problem+json");
            ctx.res().setContentLength(body.length);
            try {
                ctx.res().getOutputStream().write(body);
                ctx.res().flushBuffer();
            } catch (IOException io) {
                LOG.debug("fleet: could not answer a refused upgrade", io);
            }
            throw e;
        }
    }

    // ---- targets --------------------------------------------------------------------------------

    private void addTarget(Context ctx) {
        String name = ctx.pathParam("name");
        Target t = parse(ctx, Target.class, null);
        String ifMatch = ctx.header("If-Match");
        ConfigStore.Written w = versions.write(ctx, null, (version, before) -> {
            Upstream u = upstreams.find(before, name);
            Preconditions.checkEntity(ifMatch, u);
            if (u.targets().stream().anyMatch(x -> x.address().equals(t.address())))
                throw ApiException.conflict("upstream " + name + " already has target " + t.address(),
                        List.of(new Violation("address", "\"" + t.address() + "\" (already a target of " + name + ")")));
            List<Target> targets = new ArrayList<>(u.targets());
            targets.add(t);
            return upstreams.replaced(before, u.withTargets(targets));
        });
        Upstream saved = upstreams.find(w.after(), name);
        ctx.header("Location", BASE + "/upstreams/" + enc(name) + "/targets/" + enc(t.address()));
        entity(ctx, 201, saved, saved);
    }

    private void removeTarget(Context ctx) {
        String name = ctx.pathParam("name");
        String address = ctx.pathParam("address");
        String ifMatch = ctx.header("If-Match");
        ConfigStore.Written w = versions.write(ctx, null, (version, before) -> {
            Upstream u = upstreams.find(before, name);
            Preconditions.checkEntity(ifMatch, u);
            if (u.targets().stream().noneMatch(x -> x.address().equals(address)))
                throw ApiException.notFound("upstream " + name + " has no target " + address);
            return upstreams.replaced(before, u.withTargets(u.targets().stream().filter(x -> !x.address().equals(address)).toList()));
        });
        Upstream saved = upstreams.find(w.after(), name);
        entity(ctx, 200, saved, saved);
    }

    // ---- timeouts and the whole document --------------------------------------------------------

    private void replaceTimeouts(Context ctx) {
        Timeouts t = parse(ctx, Timeouts.class, null); // Config fills missing fields with the defaults
        String ifMatch = ctx.header("If-Match");
        ConfigStore.Written w = versions.write(ctx, null, (version, before) -> {
            Preconditions.checkEntity(ifMatch, before.timeouts());
            return before.withTimeouts(t);
        });
        entity(ctx, 200, w.after().timeouts(), w.after().timeouts());
    }

    private void replaceSettings(Context ctx) {
        Views.Settings incoming = parse(ctx, Views.Settings.class, null);
        String ifMatch = ctx.header("If-Match");
        ConfigStore.Written w = versions.write(ctx, null, (version, before) -> {
            Preconditions.checkEntity(ifMatch, Views.Settings.of(before));
            return incoming.applyTo(before);
        });
        Views.Settings saved = Views.Settings.of(w.after());
        entity(ctx, 200, saved, saved);
    }

    private void replaceConfig(Context ctx) {
        Config incoming = parse(ctx, Config.class, null);
        String ifMatch = ctx.header("If-Match");
        Instant now = clock.instant();
        ConfigStore.Written w = versions.write(ctx, null, (version, before) -> {
            Preconditions.checkVersion(ifMatch, version);
            List<Certificate> certs = new ArrayList<>();
            List<Violation> errors = new ArrayList<>();
            for (int i = 0; i < incoming.certificates().size(); i++) {
                Certificate c = incoming.certificates().get(i);
                try {
                    certs.add(Certificates.accept(c, before.certificate(c.name()).orElse(null), now, "certificates[" + i + "]"));
                } catch (ApiException e) {
                    errors.addAll(e.errors());
                }
            }
            if (!errors.isEmpty()) throw ApiException.invalid(errors);
            return incoming.withCertificates(certs);
        });
        ConfigStore.Current c = versions.after(w);
        ctx.header("ETag", Preconditions.versionTag(c.version()));
        json(ctx, currentView(c));
    }

    // ---- history --------------------------------------------------------------------------------

    private void history(Context ctx) {
        int limit = (int) queryLong(ctx, "limit", 50, 1, MAX_PAGE);
        long before = queryLong(ctx, "before", Long.MAX_VALUE, 1, Long.MAX_VALUE);
        List<ConfigStore.Entry> items = store.history(before, limit);
        String next = items.size() == limit && items.get(items.size() - 1).version() > 1
                ? BASE + "/snapshots?before=" + items.get(items.size() - 1).version() + "&limit=" + limit : null;
        read(ctx);
        json(ctx, new Views.HistoryPage(items.stream()
                .map(e -> new Views.HistoryItem(e.version(), e.createdAt().toString(), e.summary())).toList(), next));
    }

    private void rollback(Context ctx) {
        ConfigStore.Stored target = stored(ctx.pathParam("version"), "version");
        Instant now = clock.instant();
        String ifMatch = ctx.header("If-Match");
        ConfigStore.Written w = versions.write(ctx, "rollback to " + target.version(), (version, before) -> {
            Preconditions.checkVersion(ifMatch, version);
            List<Violation> expired = new ArrayList<>();
            List<Certificate> certs = target.config().certificates();
            for (int i = 0; i < certs.size(); i++) {
                Certificate c = certs.get(i);
                if (before.certificate(c.name()).map(c::equals).orElse(false)) continue;
                Instant notAfter = CertificateInspector.describe(c.certPem()).notAfter();
                if (notAfter.isBefore(now))
                    expired.add(new Violation("certificates[" + i + "].cert_pem", "certificate " + c.name() + " expired on " + notAfter));
            }
            if (!expired.isEmpty())
                throw ApiException.unprocessable("version " + target.version() + " cannot be restored: it would bring back an expired certificate", expired);
            return target.config();
        });
        json(ctx, currentView(versions.after(w)));
    }

    private void diff(Context ctx) {
        Config from = documentAt(ctx.pathParam("from"), "from");
        Config to = documentAt(ctx.pathParam("to"), "to");
        ConfigDiff d = ConfigDiff.between(from, to);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("from", Long.parseLong(ctx.pathParam("from")));
        out.put("to", Long.parseLong(ctx.pathParam("to")));
        out.put("summary", d.summary());
        out.put("upstreams", d.upstreams());
        out.put("routes", d.routes());
        out.put("certificates", d.certificates());
        out.put("timeouts", d.timeouts());
        out.put("settings", d.settings());
        read(ctx);
        json(ctx, out);
    }

    private Config documentAt(String text, String field) {
        if ("0".equals(text)) return Config.EMPTY;
        return stored(text, field).config();
    }

    private ConfigStore.Stored stored(String text, String field) {
        long version;
        try {
            version = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw ApiException.invalid(field, "\"" + text + "\" (expected: a version number)");
        }
        if (version < 1) throw ApiException.invalid(field, version + " (expected: >= 1)");
        return store.snapshot(version).orElseThrow(() -> ApiException.notFound("no version " + version
                + " (the newest is " + store.current().version() + ")"));
    }

    private static Views.Current currentView(ConfigStore.Current c) {
        return new Views.Current(c.version(), c.createdAt() == null ? null : c.createdAt().toString(), c.config().redacted());
    }

    // ---- fleet ----------------------------------------------------------------------------------

    private void fleetNodes(Context ctx) {
        if (ctx.queryParam("min_version") == null) {
            if (ctx.queryParam("wait_ms") != null) throw ApiException.invalid("wait_ms", "(only with min_version)");
            json(ctx, Map.of("version", read(ctx).version(), "nodes", fleet.nodes()));
            return;
        }
        long min = queryLong(ctx, "min_version", 0, 0, Long.MAX_VALUE);
        long waitMs = queryLong(ctx, "wait_ms", 0, 0, MAX_WAIT_MS);
        // Waiting must not park a Jetty thread: the hub completes the future from the WebSocket
        // thread that delivered the last ack, or from its timer.
        ctx.future(() -> fleet.await(min, waitMs).thenAccept(r -> {
            if (r.converged()) {
                json(ctx, Map.of("version", read(ctx).version(), "nodes", r.nodes()));
            } else {
                problem(ctx, new ApiException(408, "not-converged", "Not converged",
                        r.lagging().size() + " connected node(s) had not applied version " + min + " after " + waitMs + " ms",
                        List.of(), Map.of("lagging", r.lagging())));
            }
        }));
    }

    // ---- helpers --------------------------------------------------------------------------------

    private ConfigStore.Current read(Context ctx) {
        return versions.read(ctx);
    }

    private static byte[] resource(String name) {
        try (InputStream in = AdminApi.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException(name + " is missing from the classpath");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(name + " unreadable", e);
        }
    }

    private static byte[] loadOpenapi() {
        try (InputStream in = AdminApi.class.getResourceAsStream("/openapi.yaml")) {
            if (in == null) throw new IllegalStateException("openapi.yaml is missing from the classpath (the build copies it from the repository root)");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("openapi.yaml unreadable", e);
        }
    }
}
