package io.switchyard.controlplane.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.javalin.http.Context;
import io.javalin.router.JavalinDefaultRouting;
import io.switchyard.config.ConfigException;
import io.switchyard.config.Target;
import io.switchyard.config.Upstream;
import io.switchyard.controlplane.fleet.FleetHub;
import io.switchyard.controlplane.store.ConfigStore;
import io.switchyard.fleet.FleetMessage;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static io.switchyard.controlplane.api.Http.entity;
import static io.switchyard.controlplane.api.Http.json;
import static io.switchyard.controlplane.api.Http.parse;
import static io.switchyard.controlplane.api.Http.queryLong;

/**
 * What the API asks the fleet and changes on a single target: live tunnels across the nodes (list, close one, close
 * a set), each node's view of an upstream's targets, and a target's state and weight. Lists and closes travel as
 * queries over the fleet channel ({@link FleetHub#ask}); the answer names the nodes that did not answer in time.
 * Only nodes connected to this control plane are reached: with several control planes on one database, ask each.
 * Stateless and thread-safe; no handler parks a Jetty thread while nodes answer.
 */
final class FleetQueriesApi {
    /** How long a request waits for nodes' answers; a node that takes longer is listed as not answering. */
    static final long QUERY_TIMEOUT_MS = 3_000;
    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 500;
    /** Default pacing of {@code POST /tunnels/close}: the same as an upstream's default {@code drain_ms}. */
    static final long DEFAULT_CLOSE_OVER_MS = 30_000;
    static final long MAX_CLOSE_OVER_MS = 604_800_000L;
    private static final Pattern TUNNEL_ID = Pattern.compile("[0-9a-f]{16}");

    /** One row of {@code GET /api/v1/tunnels}. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record TunnelView(String id, String nodeId, String route, String upstream, String target, String client, String openedAt,
                      long bytesIn, long bytesOut) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record TunnelPage(List<TunnelView> tunnels, String nextCursor, List<String> unansweredNodes) {
    }

    /** The body of {@code PUT /api/v1/upstreams/{name}/targets/{address}}: a field left out keeps its value. */
    record TargetChange(String address, Integer weight, Target.State state) {
    }

    /** The body of {@code POST /api/v1/tunnels/close}. */
    record CloseRequest(String route, String target, String node, Long overMs) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record Closing(int closing, long overMs, Map<String, Integer> nodes, List<String> unansweredNodes) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record TargetHealthView(String target, String state, boolean healthy, String lastCheck, String lastFailure, long tunnelsOpen) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record NodeHealth(String nodeId, List<TargetHealthView> targets) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record UpstreamHealth(String upstream, long version, List<NodeHealth> nodes, List<String> unansweredNodes) {
    }

    private final VersionedStore versions;
    private final NamedCollection<Upstream> upstreams;
    private final FleetHub fleet;

    FleetQueriesApi(VersionedStore versions, NamedCollection<Upstream> upstreams, FleetHub fleet) {
        this.versions = versions;
        this.upstreams = upstreams;
        this.fleet = fleet;
    }

    void register(JavalinDefaultRouting r, String base) {
        r.get(base + "/tunnels", this::listTunnels);
        r.post(base + "/tunnels/close", this::closeSet);
        r.delete(base + "/tunnels/{id}", this::closeOne);
        r.put(base + "/upstreams/{name}/targets/{address}", this::changeTarget);
        r.get(base + "/upstreams/{name}/health", this::health);
    }

    // ---- tunnels ---------------------------------------------------------------------------------

    private void listTunnels(Context ctx) {
        String node = ctx.queryParam("node");
        String route = ctx.queryParam("route");
        String target = ctx.queryParam("target");
        int limit = (int) queryLong(ctx, "limit", DEFAULT_PAGE, 1, MAX_PAGE);
        String[] after = ctx.queryParam("cursor") == null ? null : decodeCursor(ctx.queryParam("cursor"));
        ctx.future(() -> fleet.ask(node, id -> new FleetMessage.TunnelsQuery(id, route, target), FleetMessage.Tunnels.class, QUERY_TIMEOUT_MS)
                .thenAccept(g -> {
                    List<TunnelView> all = new ArrayList<>();
                    for (Map.Entry<String, FleetMessage.Tunnels> e : g.answers().entrySet())
                        for (FleetMessage.TunnelRow t : e.getValue().tunnels())
                            all.add(new TunnelView(t.id(), e.getKey(), t.route(), t.upstream(), t.target(), t.client(), t.openedAt(),
                                    t.bytesIn(), t.bytesOut()));
                    // Node, then age, then id: a stable order a cursor can continue (tunnels opened meanwhile come later).
                    all.sort(ORDER);
                    List<TunnelView> page = new ArrayList<>();
                    for (TunnelView v : all) {
                        if (after != null && ORDER.compare(v, new TunnelView(after[2], after[0], null, null, null, null, after[1], 0, 0)) <= 0) continue;
                        if (page.size() == limit) break;
                        page.add(v);
                    }
                    boolean more = page.size() == limit && all.indexOf(page.get(page.size() - 1)) < all.size() - 1;
                    json(ctx, new TunnelPage(page, more ? encodeCursor(page.get(page.size() - 1)) : null, g.unanswered()));
                }));
    }

    // Instants compared as instants: their text drops trailing zero digits, so "…:11Z" sorts after "…:11.402Z".
    private static final Comparator<TunnelView> ORDER = Comparator.comparing(TunnelView::nodeId)
            .thenComparing(v -> instant(v.openedAt())).thenComparing(TunnelView::id);

    private static java.time.Instant instant(String text) {
        try {
            return java.time.Instant.parse(text);
        } catch (java.time.format.DateTimeParseException e) {
            return java.time.Instant.EPOCH; // a node's odd timestamp sorts first rather than failing the listing
        }
    }

    private static String encodeCursor(TunnelView v) {
        String raw = v.nodeId() + "\n" + v.openedAt() + "\n" + v.id();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    private static String[] decodeCursor(String cursor) {
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\n", -1);
            if (parts.length == 3) return parts;
        } catch (IllegalArgumentException e) {
            // falls through to the 400
        }
        throw ApiException.invalid("cursor", "\"" + Http.truncate(cursor, 100) + "\" (expected: a next_cursor of an earlier page)");
    }

    private void closeOne(Context ctx) {
        String id = ctx.pathParam("id");
        if (!TUNNEL_ID.matcher(id).matches())
            throw ApiException.notFound("no tunnel " + Http.truncate(id, 40) + " (tunnel ids are 16 hex digits)");
        ctx.future(() -> fleet.ask(null, q -> new FleetMessage.CloseTunnels(q, id, null, null, 0), FleetMessage.TunnelsClosed.class, QUERY_TIMEOUT_MS)
                .thenAccept(g -> {
                    int closed = g.answers().values().stream().mapToInt(FleetMessage.TunnelsClosed::closed).sum();
                    if (closed == 0) {
                        String missing = g.unanswered().isEmpty() ? "" : " (nodes that did not answer: " + String.join(", ", g.unanswered()) + ")";
                        Http.problem(ctx, ApiException.notFound("no open tunnel " + id + " on the nodes connected to this control plane" + missing));
                        return;
                    }
                    versions.read(ctx); // X-Config-Version, as on every other non-GET answer
                    ctx.status(204);
                }));
    }

    private void closeSet(Context ctx) {
        CloseRequest req = parse(ctx, CloseRequest.class, null);
        if (req.route() == null && req.target() == null && req.node() == null)
            throw ApiException.invalid("route", "missing (expected: at least one of route, target, node)");
        long overMs = req.overMs() == null ? DEFAULT_CLOSE_OVER_MS : req.overMs();
        if (overMs < 0 || overMs > MAX_CLOSE_OVER_MS)
            throw ApiException.invalid("over_ms", overMs + " (expected: 0.." + MAX_CLOSE_OVER_MS + ")");
        ctx.future(() -> fleet.ask(req.node(), q -> new FleetMessage.CloseTunnels(q, null, req.route(), req.target(), overMs),
                        FleetMessage.TunnelsClosed.class, QUERY_TIMEOUT_MS)
                .thenAccept(g -> {
                    Map<String, Integer> byNode = new java.util.TreeMap<>();
                    g.answers().forEach((n, a) -> byNode.put(n, a.closed()));
                    int total = byNode.values().stream().mapToInt(Integer::intValue).sum();
                    versions.read(ctx);
                    json(ctx, new Closing(total, overMs, byNode, g.unanswered()));
                }));
    }

    // ---- targets ---------------------------------------------------------------------------------

    /**
     * Changes one target's {@code state} and {@code weight} as one new version; a field left out keeps its value.
     * The body may repeat the address, which must then equal the one in the path.
     */
    private void changeTarget(Context ctx) {
        String name = ctx.pathParam("name");
        String address = ctx.pathParam("address");
        TargetChange change = parse(ctx, TargetChange.class, null);
        if (change.address() != null && !change.address().equals(address))
            throw ApiException.invalid("address", "\"" + Http.truncate(change.address(), 100) + "\" (expected: \"" + address + "\", the address in the path)");
        String ifMatch = ctx.header("If-Match");
        ConfigStore.Written w = versions.write(ctx, null, (version, before) -> {
            Upstream u = upstreams.find(before, name);
            Preconditions.checkEntity(ifMatch, u);
            Target old = u.targets().stream().filter(t -> t.address().equals(address)).findFirst()
                    .orElseThrow(() -> ApiException.notFound("upstream " + name + " has no target " + address));
            Target changed;
            try {
                changed = new Target(old.address(), change.weight() == null ? old.weight() : change.weight(),
                        change.state() == null ? old.state() : change.state());
            } catch (ConfigException e) {
                throw ApiException.invalid(e);
            }
            return upstreams.replaced(before, u.withTargets(u.targets().stream().map(t -> t.address().equals(address) ? changed : t).toList()));
        });
        Upstream saved = upstreams.find(w.after(), name);
        entity(ctx, 200, saved, saved);
    }

    private void health(Context ctx) {
        String name = ctx.pathParam("name");
        var current = versions.read(ctx);
        Upstream u = upstreams.find(current.config(), name);
        ctx.future(() -> fleet.ask(null, FleetMessage.HealthQuery::new, FleetMessage.TargetsHealth.class, QUERY_TIMEOUT_MS)
                .thenAccept(g -> {
                    List<NodeHealth> nodes = new ArrayList<>();
                    for (Map.Entry<String, FleetMessage.TargetsHealth> e : g.answers().entrySet()) {
                        List<TargetHealthView> targets = new ArrayList<>();
                        for (FleetMessage.TargetRow t : e.getValue().targets())
                            if (t.upstream().equals(u.name()))
                                targets.add(new TargetHealthView(t.target(), t.state(), t.healthy(), t.lastCheck(), t.lastFailure(), t.tunnelsOpen()));
                        nodes.add(new NodeHealth(e.getKey(), targets));
                    }
                    json(ctx, new UpstreamHealth(u.name(), current.version(), nodes, g.unanswered()));
                }));
    }
}
