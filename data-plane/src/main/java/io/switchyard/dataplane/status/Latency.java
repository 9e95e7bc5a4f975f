package io.switchyard.dataplane.status;

import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Latency histograms and per-route tunnel gauges on {@code /metrics}, kept by the Prometheus Java client (1.x) rather
 * than hand-written exposition code: {@code switchyard_request_duration_seconds{route,code}},
 * {@code switchyard_upstream_connect_duration_seconds{upstream}},
 * {@code switchyard_websocket_handshake_duration_seconds{route}} and {@code switchyard_route_tunnels_open{route}}.
 * Classic buckets only. The hot path never builds a label list: each (route, status class) data point is looked up
 * once and kept. Thread-safe (the client's data points are; the caches are concurrent maps).
 */
public final class Latency {
    private static final double[] BUCKETS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    private static final String[] CLASSES = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Histogram requests = Histogram.builder().name("switchyard_request_duration_seconds")
            .help("Time from a request's head to the end of its answer, by route and status class.")
            .labelNames("route", "code").classicOnly().classicUpperBounds(BUCKETS).register(registry);
    private final Histogram connects = Histogram.builder().name("switchyard_upstream_connect_duration_seconds")
            .help("Time to connect to a target (new connections only; pooled ones take none), by upstream.")
            .labelNames("upstream").classicOnly().classicUpperBounds(BUCKETS).register(registry);
    private final Histogram handshakes = Histogram.builder().name("switchyard_websocket_handshake_duration_seconds")
            .help("Time from a WebSocket handshake's head to the 101 sent back, by route.")
            .labelNames("route").classicOnly().classicUpperBounds(BUCKETS).register(registry);
    private final Gauge tunnels = Gauge.builder().name("switchyard_route_tunnels_open")
            .help("WebSocket tunnels open now, by the route they were opened on.").labelNames("route").register(registry);
    private final ConcurrentHashMap<String, DistributionDataPoint[]> requestPoints = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, DistributionDataPoint> connectPoints = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, DistributionDataPoint> handshakePoints = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, GaugeDataPoint> tunnelPoints = new ConcurrentHashMap<>();

    /** @param route null for requests no route took (404, refusals) */
    public void request(String route, int status, long nanos) {
        String r = route == null ? "-" : route;
        DistributionDataPoint[] points = requestPoints.computeIfAbsent(r, k -> new DistributionDataPoint[CLASSES.length]);
        int cls = status / 100;
        if (cls < 1 || cls > 5) cls = 0;
        DistributionDataPoint p = points[cls];
        if (p == null) points[cls] = p = requests.labelValues(r, CLASSES[cls]);
        p.observe(nanos / 1e9);
    }

    public void connect(String upstream, long nanos) {
        connectPoints.computeIfAbsent(upstream, connects::labelValues).observe(nanos / 1e9);
    }

    public void handshake(String route, long nanos) {
        handshakePoints.computeIfAbsent(route, handshakes::labelValues).observe(nanos / 1e9);
    }

    public void tunnelOpened(String route) {
        tunnelPoints.computeIfAbsent(route, tunnels::labelValues).inc();
    }

    public void tunnelClosed(String route) {
        tunnelPoints.computeIfAbsent(route, tunnels::labelValues).dec();
    }

    /** Prometheus text format 0.0.4, appended to the rest of {@code /metrics}. */
    public String render() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        try {
            new PrometheusTextFormatWriter(false).write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
