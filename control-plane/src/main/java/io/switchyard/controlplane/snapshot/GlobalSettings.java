package io.switchyard.controlplane.snapshot;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.switchyard.config.Config;
import io.switchyard.config.ConfigCodec;
import io.switchyard.config.ConfigMapper;

import java.util.List;

/**
 * The document's global settings other than the timeouts ({@code trusted_proxies},
 * {@code client_body_timeout_ms}, {@code max_connections}, {@code max_tunnels}): what is left of the
 * document's JSON once timeouts and the named collections are taken out, fields at their defaults left
 * out. The store keeps this object in one row and the diff compares it field by field, so a global
 * field the model gains later is stored and diffed without a change here. Stateless.
 */
public final class GlobalSettings {
    /** The top-level fields that are not global settings: kept in rows of their own. */
    private static final List<String> NOT_SETTINGS = List.of("timeouts", "upstreams", "routes", "certificates");

    private GlobalSettings() {
    }

    /** The global settings of {@code c} as a JSON object ({@code {}} when all are at their defaults). */
    public static ObjectNode of(Config c) {
        ObjectNode tree = ConfigMapper.mapper().valueToTree(onlySettings(c));
        tree.remove(NOT_SETTINGS);
        return tree;
    }

    /** Reads what {@link #of} wrote: a document holding the global settings only. */
    public static Config read(String json) {
        return ConfigCodec.readConfig(json);
    }

    /** {@code entities}' timeouts and collections with the global settings of {@code settings}. */
    public static Config combine(Config entities, Config settings) {
        return new Config(entities.timeouts(), entities.upstreams(), entities.routes(), entities.certificates(),
                settings.trustedProxies(), settings.clientBodyTimeoutMs(), settings.maxConnections(), settings.maxTunnels());
    }

    private static Config onlySettings(Config c) {
        return combine(Config.EMPTY, c);
    }
}
