package io.switchyard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One system under test: how to write its config for a given number of routes, how to start it
 * pinned to the proxy core, and where it listens. {@code direct} is the no-proxy baseline.
 */
abstract class Peer {
    final String name;

    Peer(String name) {
        this.name = name;
    }

    /** Path prefix of route {@code i}; requests use the last one, so a linear matcher pays for all of them. */
    static String prefix(int i) {
        return "/r" + i;
    }

    /** A running instance. */
    record Running(Process process, int port, long startMs) {
        long pid() {
            return process == null ? -1 : process.pid();
        }
    }

    /** Starts the peer with {@code routes} routes to the echo upstream; returns once it proxies. */
    abstract Running start(Ctx ctx, int routes) throws Exception;

    /** What the run shares with every peer. */
    record Ctx(Path work, Path peersDir, String proxyCpus, int echoPort, Path jar, List<String> switchyardJvm, String java,
               Map<String, String> env, CpuQuota quota, String controlPlane) {
        Ctx(Path work, Path peersDir, String proxyCpus, int echoPort, Path jar, List<String> switchyardJvm, String java,
            Map<String, String> env) {
            this(work, peersDir, proxyCpus, echoPort, jar, switchyardJvm, java, env, null, null);
        }

        /** Starts a proxy pinned to the proxy core, inside the CPU quota when there is one. */
        Process launch(List<String> cmd, Path log, Map<String, String> environment) throws IOException {
            return Procs.start(proxyCpus, quota == null ? cmd : quota.wrap(cmd), log, environment);
        }
    }

    boolean isDirect() {
        return false;
    }

    static String fill(String template, Map<String, String> values) {
        String s = template;
        for (Map.Entry<String, String> e : values.entrySet()) s = s.replace("{{" + e.getKey() + "}}", e.getValue());
        return s;
    }

    static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Waits until an HTTP request through the last route reaches the echo upstream. */
    static Running ready(Process p, int port, long t0, long timeoutMs, int routes, Path log) throws Exception {
        boolean ok = Procs.await200("http://127.0.0.1:" + port + prefix(routes - 1) + "/ready", timeoutMs, p);
        if (!ok) {
            Procs.stop(p, 2000);
            String tail = Files.exists(log) ? tail(Files.readString(log), 1500) : "";
            throw new IllegalStateException("did not become ready in " + timeoutMs + " ms; log tail:\n" + tail);
        }
        return new Running(p, port, System.currentTimeMillis() - t0);
    }

    static String tail(String s, int n) {
        return s.length() <= n ? s : s.substring(s.length() - n);
    }

    static final class Direct extends Peer {
        Direct() {
            super("direct");
        }

        @Override
        boolean isDirect() {
            return true;
        }

        @Override
        Running start(Ctx ctx, int routes) {
            return new Running(null, ctx.echoPort(), 0);
        }
    }

    static final class Nginx extends Peer {
        Nginx() {
            super("nginx");
        }

        /** The config file: {@code routes} prefix locations, plus {@code /swap/N/} when {@code swap >= 0}. */
        static String conf(Ctx ctx, int routes, int port, int swap) throws IOException {
            StringBuilder r = new StringBuilder();
            for (int i = 0; i < routes; i++) {
                r.append("        location ").append(prefix(i)).append("/ { proxy_pass http://echo; }\n");
            }
            if (swap >= 0) r.append("        location /swap/").append(swap).append("/ { proxy_pass http://echo; }\n");
            return fill(Files.readString(ctx.peersDir().resolve("nginx.conf.tmpl")), Map.of(
                    "DIR", ctx.work().toString(), "ECHO", Integer.toString(ctx.echoPort()),
                    "LISTEN", Integer.toString(port), "ROUTES", r.toString(), "ROUTE_COUNT", Integer.toString(routes)));
        }

        @Override
        Running start(Ctx ctx, int routes) throws Exception {
            int port = freePort();
            Path file = ctx.work().resolve("nginx.conf");
            Files.writeString(file, conf(ctx, routes, port, -1));
            Path log = ctx.work().resolve("nginx.log");
            long t0 = System.currentTimeMillis();
            Process p = ctx.launch(List.of("nginx", "-p", ctx.work().toString(), "-c", file.toString()), log, null);
            return ready(p, port, t0, 120_000, routes, log);
        }
    }

    static final class Haproxy extends Peer {
        Haproxy() {
            super("haproxy");
        }

        @Override
        Running start(Ctx ctx, int routes) throws Exception {
            int port = freePort();
            StringBuilder map = new StringBuilder();
            for (int i = 0; i < routes; i++) map.append(prefix(i)).append("/ echo\n");
            Files.writeString(ctx.work().resolve("haproxy-routes.map"), map);
            String conf = fill(Files.readString(ctx.peersDir().resolve("haproxy.cfg.tmpl")), Map.of(
                    "DIR", ctx.work().toString(), "ECHO", Integer.toString(ctx.echoPort()),
                    "LISTEN", Integer.toString(port), "ROUTE_COUNT", Integer.toString(routes)));
            Path file = ctx.work().resolve("haproxy.cfg");
            Files.writeString(file, conf);
            Path log = ctx.work().resolve("haproxy.log");
            long t0 = System.currentTimeMillis();
            Process p = ctx.launch(List.of("haproxy", "-db", "-f", file.toString()), log, null);
            return ready(p, port, t0, 120_000, routes, log);
        }
    }

    static final class Caddy extends Peer {
        Caddy() {
            super("caddy");
        }

        @Override
        Running start(Ctx ctx, int routes) throws Exception {
            int port = freePort();
            StringBuilder r = new StringBuilder();
            for (int i = 0; i < routes; i++) {
                r.append("    handle ").append(prefix(i)).append("/* {\n        reverse_proxy 127.0.0.1:")
                        .append(ctx.echoPort()).append("\n    }\n");
            }
            String conf = fill(Files.readString(ctx.peersDir().resolve("Caddyfile.tmpl")), Map.of(
                    "DIR", ctx.work().toString(), "LISTEN", Integer.toString(port), "ROUTES", r.toString(),
                    "ROUTE_COUNT", Integer.toString(routes)));
            Path file = ctx.work().resolve("Caddyfile");
            Files.writeString(file, conf);
            Path log = ctx.work().resolve("caddy.log");
            long t0 = System.currentTimeMillis();
            Process p = ctx.launch(List.of("caddy", "run", "--adapter", "caddyfile", "--config", file.toString()),
                    log, Map.of("GOMAXPROCS", "1", "XDG_DATA_HOME", ctx.work().toString(),
                            "XDG_CONFIG_HOME", ctx.work().toString(), "HOME", ctx.work().toString()));
            return ready(p, port, t0, 180_000, routes, log);
        }
    }

    /** Switchyard's data plane serving a declarative document (the contract's {@code --config}). */
    static final class Switchyard extends Peer {
        Switchyard() {
            super("switchyard");
        }

        static final ObjectMapper JSON = new ObjectMapper();

        /** The declarative document: one echo upstream, {@code routes} prefix routes, long idle limits. */
        static String document(int echoPort, int routes) {
            ObjectNode doc = JSON.createObjectNode();
            doc.putObject("timeouts").put("connect_ms", 5000).put("read_ms", 300000).put("send_ms", 300000);
            ObjectNode up = doc.putArray("upstreams").addObject();
            up.put("name", "echo").put("balance", "round_robin");
            up.putArray("targets").addObject().put("address", "127.0.0.1:" + echoPort).put("weight", 1);
            ArrayNode rs = doc.putArray("routes");
            for (int i = 0; i < routes; i++) {
                rs.addObject().put("name", "r" + i).put("path_prefix", prefix(i)).put("upstream", "echo");
            }
            return doc.toString();
        }

        @Override
        Running start(Ctx ctx, int routes) throws Exception {
            int port = freePort();
            int status = freePort();
            Path file = ctx.work().resolve("switchyard.json");
            Files.writeString(file, document(ctx.echoPort(), routes));
            List<String> cmd = new ArrayList<>();
            cmd.add(ctx.java());
            cmd.addAll(ctx.switchyardJvm());
            cmd.addAll(List.of("-jar", ctx.jar().toString(), "data-plane"));
            // With a control plane the node takes its snapshots over the fleet channel (the swap scenario);
            // otherwise it serves the declarative file.
            if (ctx.controlPlane() != null) cmd.addAll(List.of("--control-plane", ctx.controlPlane()));
            else cmd.addAll(List.of("--config", file.toString()));
            // A fleet node writes (and fsyncs) each snapshot it applies to its state directory: in memory-backed storage
            // here when there is some, because the kernel's journaling threads that an fsync wakes run on any core, the
            // load core included (the writing itself stays the node's cost, on its own core).
            Path state = ctx.controlPlane() != null ? Procs.memoryDir("switchyard-bench-state") : null;
            if (state == null) state = ctx.work().resolve("switchyard-state");
            cmd.addAll(List.of("--listen", "127.0.0.1:" + port, "--status", "127.0.0.1:" + status,
                    "--state-dir", state.toString(), "--node-id", "bench"));
            // Access log off like the peers' configs: by flag on builds that have it (older ones by logger level).
            if (Meta.switchyardHasFlag(ctx.jar(), "--access-log")) cmd.addAll(List.of("--access-log", "off"));
            Path log = ctx.work().resolve("switchyard.log");
            long t0 = System.currentTimeMillis();
            Process p = ctx.launch(cmd, log, ctx.env());
            return ready(p, port, t0, 120_000, routes, log);
        }
    }
}
