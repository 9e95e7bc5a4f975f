package io.switchyard.dataplane.status;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The data plane's counters, rendered as Prometheus text by {@link #render}. Thread-safe: every
 * counter is a {@link LongAdder}, so event loops increment without contending on one cache line.
 * Internal to the data plane.
 */
public final class Metrics {
    private final LongAdder[] requestsByClass = new LongAdder[6];
    private final LongAdder handshakes = new LongAdder();
    private final LongAdder tunnelsOpened = new LongAdder();
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private final LongAdder badRequests = new LongAdder();
    private final ConcurrentHashMap<String, LongAdder> upstreamErrors = new ConcurrentHashMap<>();
    private final LongAdder headersDropped = new LongAdder();
    private final ConcurrentHashMap<String, LongAdder> refused = new ConcurrentHashMap<>();
    // Key "route\0reason": route names cannot contain NUL (see Route's name rule).
    private final ConcurrentHashMap<String, LongAdder> tunnelsClosed = new ConcurrentHashMap<>();

    // Key "route\0kind", as tunnelsClosed.
    private final ConcurrentHashMap<String, LongAdder> originRefused = new ConcurrentHashMap<>();

    private final Latency latency = new Latency();
    private volatile java.util.function.LongSupplier accessLogDropped = () -> 0;

    /** Histograms and per-route tunnel gauges (Prometheus client). */
    public Latency latency() {
        return latency;
    }

    public Metrics() {
        for (int i = 0; i < requestsByClass.length; i++) requestsByClass[i] = new LongAdder();
    }

    /** One HTTP response sent to a client (proxied or local). */
    public void request(int status) {
        int cls = status / 100;
        requestsByClass[cls >= 1 && cls <= 5 ? cls : 0].increment();
    }

    public void handshake() {
        handshakes.increment();
    }

    public void tunnelOpened() {
        tunnelsOpened.increment();
    }

    public void tunnelClosed(String route, String reason) {
        tunnelsClosed.computeIfAbsent(route + '\0' + reason, k -> new LongAdder()).increment();
    }

    public void badRequest() {
        badRequests.increment();
    }

    public void upstreamError(UpstreamError kind) {
        upstreamErrors.computeIfAbsent(kind.wire(), k -> new LongAdder()).increment();
    }

    /** Where {@code switchyard_access_log_dropped_total} is read from (the access log counts what it dropped). */
    public void accessLogDropped(java.util.function.LongSupplier dropped) {
        this.accessLogDropped = dropped;
    }

    /** Request headers not forwarded because their name has an underscore. */
    public void headersDropped(int n) {
        headersDropped.add(n);
    }

    /** New work answered 503 over a limit; reason: max_connections, max_tunnels. */
    public void refused(String reason) {
        refused.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    public long refusedCount(String reason) {
        LongAdder a = refused.get(reason);
        return a == null ? 0 : a.sum();
    }

    /** A request refused by a route's origin policy (403); kind: preflight, websocket. */
    public void originRefused(String route, String kind) {
        originRefused.computeIfAbsent(route + '\0' + kind, k -> new LongAdder()).increment();
    }

    public long originRefusedCount(String route, String kind) {
        LongAdder a = originRefused.get(route + '\0' + kind);
        return a == null ? 0 : a.sum();
    }

    public long headersDropped() {
        return headersDropped.sum();
    }

    public void bytesIn(long n) {
        bytesIn.add(n);
    }

    public void bytesOut(long n) {
        bytesOut.add(n);
    }

    public long requests(int codeClass) {
        return requestsByClass[codeClass].sum();
    }

    public long tunnelsClosed(String route, String reason) {
        LongAdder a = tunnelsClosed.get(route + '\0' + reason);
        return a == null ? 0 : a.sum();
    }

    public long upstreamErrors(String kind) {
        LongAdder a = upstreamErrors.get(kind);
        return a == null ? 0 : a.sum();
    }

    /** One target's gauges: healthy (1 or 0) and tunnels open on it now. */
    public record TargetGauge(String upstream, String target, boolean healthy, long tunnelsOpen) {
    }

    /** Prometheus text exposition format 0.0.4. */
    public String render(long openConnections, long openTunnels, long appliedVersion) {
        return render(openConnections, openTunnels, appliedVersion, java.util.List.of());
    }

    /** As {@link #render(long, long, long)}, with the per-target gauges of the table serving now. */
    public String render(long openConnections, long openTunnels, long appliedVersion, java.util.List<TargetGauge> targets) {
        StringBuilder b = new StringBuilder(2048);
        b.append("# HELP switchyard_requests_total HTTP responses sent to clients, by status class.\n");
        b.append("# TYPE switchyard_requests_total counter\n");
        for (int i = 1; i <= 5; i++)
            b.append("switchyard_requests_total{code=\"").append(i).append("xx\"} ").append(requestsByClass[i].sum()).append('\n');
        counter(b, "switchyard_bad_requests_total", "Requests rejected as malformed (400, 414, 431).", badRequests.sum());
        counter(b, "switchyard_websocket_handshakes_total", "WebSocket handshakes received from clients.", handshakes.sum());
        counter(b, "switchyard_tunnels_opened_total", "WebSocket tunnels established.", tunnelsOpened.sum());
        gauge(b, "switchyard_tunnels_open", "WebSocket tunnels open now.", openTunnels);
        gauge(b, "switchyard_connections_open", "Client connections open now.", openConnections);
        gauge(b, "switchyard_applied_version", "Version of the snapshot serving now.", appliedVersion);
        counter(b, "switchyard_bytes_in_total", "Bytes received from clients.", bytesIn.sum());
        counter(b, "switchyard_bytes_out_total", "Bytes sent to clients.", bytesOut.sum());
        b.append("# HELP switchyard_upstream_errors_total Failures talking to targets, by kind.\n");
        b.append("# TYPE switchyard_upstream_errors_total counter\n");
        for (Map.Entry<String, LongAdder> e : new TreeMap<>(upstreamErrors).entrySet())
            b.append("switchyard_upstream_errors_total{kind=\"").append(e.getKey()).append("\"} ").append(e.getValue().sum()).append('\n');
        counter(b, "switchyard_headers_dropped_total", "Request headers not forwarded: names with an underscore.", headersDropped.sum());
        counter(b, "switchyard_access_log_dropped_total", "Access log entries dropped because the log writer fell behind.",
                accessLogDropped.getAsLong());
        b.append("# HELP switchyard_refused_total New requests or handshakes answered 503 over a node limit, by limit.\n");
        b.append("# TYPE switchyard_refused_total counter\n");
        for (Map.Entry<String, LongAdder> e : new TreeMap<>(refused).entrySet())
            b.append("switchyard_refused_total{reason=\"").append(e.getKey()).append("\"} ").append(e.getValue().sum()).append('\n');
        b.append("# HELP switchyard_tunnels_closed_total Tunnels closed, by route and reason.\n");
        b.append("# TYPE switchyard_tunnels_closed_total counter\n");
        for (Map.Entry<String, LongAdder> e : new TreeMap<>(tunnelsClosed).entrySet()) {
            String[] parts = e.getKey().split("\0", 2);
            b.append("switchyard_tunnels_closed_total{route=\"").append(parts[0]).append("\",reason=\"").append(parts[1])
                    .append("\"} ").append(e.getValue().sum()).append('\n');
        }
        b.append("# HELP switchyard_origin_refused_total Preflights and WebSocket handshakes refused by a route's origin policy.\n");
        b.append("# TYPE switchyard_origin_refused_total counter\n");
        for (Map.Entry<String, LongAdder> e : new TreeMap<>(originRefused).entrySet()) {
            String[] parts = e.getKey().split("\0", 2);
            b.append("switchyard_origin_refused_total{route=\"").append(parts[0]).append("\",kind=\"").append(parts[1])
                    .append("\"} ").append(e.getValue().sum()).append('\n');
        }
        b.append("# HELP switchyard_target_healthy Whether a target is healthy (1) or kept out by its health checks (0).\n");
        b.append("# TYPE switchyard_target_healthy gauge\n");
        for (TargetGauge t : targets)
            b.append("switchyard_target_healthy{upstream=\"").append(t.upstream()).append("\",target=\"").append(t.target())
                    .append("\"} ").append(t.healthy() ? 1 : 0).append('\n');
        b.append("# HELP switchyard_target_tunnels_open WebSocket tunnels open now, by target.\n");
        b.append("# TYPE switchyard_target_tunnels_open gauge\n");
        for (TargetGauge t : targets)
            b.append("switchyard_target_tunnels_open{upstream=\"").append(t.upstream()).append("\",target=\"").append(t.target())
                    .append("\"} ").append(t.tunnelsOpen()).append('\n');
        b.append(latency.render());
        return b.toString();
    }

    private static void counter(StringBuilder b, String name, String help, long v) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" counter\n").append(name).append(' ').append(v).append('\n');
    }

    private static void gauge(StringBuilder b, String name, String help, long v) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" gauge\n").append(name).append(' ').append(v).append('\n');
    }
}
