package io.switchyard.controlplane.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.switchyard.config.Config;

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

    /** One entry of a problem's {@code errors[]}. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record FieldError(String field, String message) {
    }

    /** One page of history, newest first; {@code next} is the path of the following page or null. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record HistoryPage(List<HistoryItem> items, String next) {
    }
}
