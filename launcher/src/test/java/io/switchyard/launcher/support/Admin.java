package io.switchyard.launcher.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** curl for tests: JSON calls to the admin API. */
public final class Admin {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String token;

    public Admin(String base) {
        this(base, null);
    }

    /** Sends {@code Authorization: Bearer token} on every call (a control plane with an admin token). */
    public Admin(String base, String token) {
        this.base = base;
        this.token = token;
    }

    public HttpResponse<String> call(String method, String path, String json) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) b.header("Content-Type", "application/json");
        if (token != null) b.header("Authorization", "Bearer " + token);
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Calls and insists on a 2xx; returns the new config version from X-Config-Version (or -1). */
    public long write(String method, String path, String json) {
        HttpResponse<String> r = call(method, path, json);
        if (r.statusCode() / 100 != 2) throw new AssertionError(method + " " + path + " -> " + r.statusCode() + " " + r.body());
        return r.headers().firstValue("X-Config-Version").map(Long::parseLong).orElse(-1L);
    }

    /** Waits until every connected node applied {@code version}; fails on 408. */
    public String awaitConvergence(long version) {
        HttpResponse<String> r = call("GET", "/api/v1/fleet/nodes?min_version=" + version + "&wait_ms=10000", null);
        if (r.statusCode() != 200) throw new AssertionError("fleet did not converge on " + version + ": " + r.statusCode() + " " + r.body());
        return r.body();
    }
}
