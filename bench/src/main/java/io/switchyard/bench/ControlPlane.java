package io.switchyard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Switchyard's control plane for the swap scenario ({@code control-plane}, SQLite, admin API and
 * fleet channel on loopback), pinned to the proxy core (with the changer that writes to it, off the load core): the data plane under test takes its snapshots
 * from it, and every admin write makes a new version that it pushes to the node.
 */
final class ControlPlane {
    private static final ObjectMapper JSON = new ObjectMapper();

    final Process process;
    final String base;
    private final int port;

    private ControlPlane(Process process, String base, int port) {
        this.process = process;
        this.base = base;
        this.port = port;
    }

    /** The admin API's port on 127.0.0.1. */
    int port() {
        return port;
    }

    static ControlPlane start(Path jar, List<String> jvm, String cpus, Path dir) throws Exception {
        Files.createDirectories(dir);
        int admin = Peer.freePort();
        List<String> cmd = new ArrayList<>(List.of("java"));
        cmd.addAll(jvm);
        // The database in memory-backed storage when there is some: a control plane's fsyncs wake the kernel's
        // journaling threads, which run on any core, the load core included.
        Path mem = Procs.memoryDir("switchyard-bench-cp");
        Path db = (mem != null ? mem : dir).resolve("control-plane.db");
        cmd.addAll(List.of("-jar", jar.toString(), "control-plane", "--admin", "127.0.0.1:" + admin, "--db", db.toString()));
        Path log = dir.resolve("control-plane.log");
        // SCHED_IDLE: the control plane stands for one on another host; here it gets the proxy core only when the
        // data plane under test does not want it (the node's own work, applying each snapshot, runs at normal priority).
        Process p = Procs.start(cpus, true, cmd, log, null);
        String base = "http://127.0.0.1:" + admin;
        if (!Procs.await200(base + "/api/v1/snapshots/current", 120_000, p)) {
            Procs.stop(p, 2000);
            throw new IllegalStateException("control plane did not start; log tail:\n" + Peer.tail(Files.readString(log), 1500));
        }
        return new ControlPlane(p, base, admin);
    }

    /** Replaces the whole configuration; returns the new version. */
    long putConfig(String document) throws Exception {
        return version(Procs.send("PUT", base + "/api/v1/config", document));
    }

    /** Creates or replaces one route; returns the version that made. */
    long putRoute(String name, String prefix, String upstream) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("name", name).put("path_prefix", prefix).put("upstream", upstream);
        HttpResponse<String> r = Procs.send("PUT", base + "/api/v1/routes/" + name, body.toString());
        if (r.statusCode() == 404) r = Procs.send("POST", base + "/api/v1/routes", body.toString());
        return version(r);
    }

    /** True once the node {@code nodeId} reports version {@code v} (or newer) applied, within {@code timeoutMs}. */
    boolean awaitApplied(String nodeId, long v, long timeoutMs) throws Exception {
        long end = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < end) {
            // The admin API's long poll (answers as soon as every connected node has v), under the client's 5 s timeout.
            HttpResponse<String> r = Procs.get(base + "/api/v1/fleet/nodes?min_version=" + v + "&wait_ms=2000");
            if (r != null && r.statusCode() == 200) {
                for (com.fasterxml.jackson.databind.JsonNode n : JSON.readTree(r.body()).path("nodes")) {
                    if (n.path("node_id").asText().equals(nodeId) && !n.path("status").asText().equals("disconnected")
                            && n.path("applied_version").asLong() >= v) {
                        return true;
                    }
                }
            }
            Thread.sleep(100);
        }
        return false;
    }

    private static long version(HttpResponse<String> r) {
        if (r.statusCode() / 100 != 2) throw new IllegalStateException("admin API answered " + r.statusCode() + ": " + Peer.tail(r.body(), 300));
        return Long.parseLong(r.headers().firstValue("X-Config-Version")
                .orElseThrow(() -> new IllegalStateException("no X-Config-Version in the admin API's answer")));
    }

    void stop() {
        Procs.stop(process, 5000);
    }
}
