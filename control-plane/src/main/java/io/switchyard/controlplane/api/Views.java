package io.switchyard.controlplane.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.switchyard.config.Config;
import io.switchyard.controlplane.snapshot.GlobalSettings;

import java.util.List;

/** Response bodies that are not model records. Nulls are written (as JSON null), never left out. */
final class Views {
    private Views() {
    }

    /** {@code GET /snapshots/current}, rollback and {@code PUT /config} answers; createdAt is null for version 0. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record Current(long version, String createdAt, Config config) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record HistoryItem(long version, String createdAt, String summary) {
    }

    /**
     * {@code GET/PUT /settings}: the document's global settings besides the timeouts, every field shown
     * (defaults included). In a PUT a field left out takes its default.
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record Settings(List<String> trustedProxies, Long clientBodyTimeoutMs, Integer maxConnections, Integer maxTunnels) {
        static Settings of(Config c) {
            return new Settings(List.copyOf(c.trustedProxies()), c.clientBodyTimeoutMs(), c.maxConnections(), c.maxTunnels());
        }

        /** {@code config} with these settings; validated, with errors named as in the document ({@code trusted_proxies[0]}). */
        Config applyTo(Config config) {
            return GlobalSettings.combine(config, new Config(null, null, null, null, trustedProxies, clientBodyTimeoutMs, maxConnections, maxTunnels));
        }
    }

    /** One entry of a problem's {@code errors[]}. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record FieldError(String field, String message) {
    }

    /** One page of history, newest first; {@code next} is the path of the following page or null. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record HistoryPage(List<HistoryItem> items, String next) {
    }
}
