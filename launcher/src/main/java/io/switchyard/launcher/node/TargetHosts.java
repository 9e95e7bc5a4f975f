package io.switchyard.launcher.node;

import io.switchyard.config.Config;
import io.switchyard.config.ConfigException;
import io.switchyard.config.HostPort;
import io.switchyard.config.Upstream;
import io.switchyard.config.Violation;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A node-side check before a snapshot is applied, as {@code nginx -t} does it: every target host name
 * must resolve from this node ("host not found in upstream"). What one node cannot resolve another may,
 * so this belongs to the node, and a failure becomes a NACK naming the field while the last good
 * snapshot keeps serving. Runs off the event loops (the agent thread); IP literals are not looked up.
 */
final class TargetHosts {
    static final long LOOKUP_TIMEOUT_MS = 3_000;

    private TargetHosts() {
    }

    static void requireResolvable(Config config) {
        Map<String, CompletableFuture<Boolean>> lookups = new LinkedHashMap<>();
        for (Upstream u : config.upstreams()) {
            for (var t : u.targets()) {
                String host = t.hostPort().host();
                if (isLiteral(host)) continue;
                lookups.computeIfAbsent(host, h -> CompletableFuture.supplyAsync(() -> {
                    try {
                        InetAddress.getAllByName(h);
                        return true;
                    } catch (UnknownHostException e) {
                        return false;
                    }
                }));
            }
        }
        List<Violation> bad = new ArrayList<>();
        for (int i = 0; i < config.upstreams().size(); i++) {
            Upstream u = config.upstreams().get(i);
            for (int j = 0; j < u.targets().size(); j++) {
                HostPort hp = u.targets().get(j).hostPort();
                CompletableFuture<Boolean> f = lookups.get(hp.host());
                if (f == null) continue;
                boolean ok;
                try {
                    ok = f.get(LOOKUP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException | ExecutionException e) {
                    ok = false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    ok = false;
                }
                if (!ok) bad.add(new Violation("upstreams[" + i + "].targets[" + j + "].address",
                        "\"" + u.targets().get(j).address() + "\" (host not found from this node)"));
            }
        }
        if (!bad.isEmpty()) throw new ConfigException(bad);
    }

    static boolean isLiteral(String host) {
        if (host.indexOf(':') >= 0) return true;
        return host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }
}
