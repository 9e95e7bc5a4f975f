package io.switchyard.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The admin API as a user calls it, over the JDK's HttpClient: {@code AdminClient.at(cp.adminAddress())}, or
 * {@code AdminClient.at("http://127.0.0.1:8081").withToken(token)} for a control plane with an admin token.
 */
public final class AdminClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** One answer: status, headers, body text and (when JSON) tree. */
    public record Response(int status, HttpResponse<String> raw) {
        public String body() {
            return raw.body();
        }

        public JsonNode json() {
            try {
                return JSON.readTree(raw.body());
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + raw.body(), e);
            }
        }

        public String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }

        /** The new config version from X-Config-Version. */
        public long version() {
            return Long.parseLong(header("X-Config-Version"));
        }

        /** The {@code field} of each problem+json error. */
        public List<String> errorFields() {
            List<String> out = new ArrayList<>();
            for (JsonNode e : json().get("errors")) out.add(e.get("field").asText());
            return out;
        }

        @Override
        public String toString() {
            return status + " " + raw.body();
        }
    }

    private AdminClient(String base, String token) {
        this.base = base;
        this.token = token;
    }

    /** The admin API at {@code base}, e.g. {@code http://127.0.0.1:8081}. */
    public static AdminClient at(String base) {
        return new AdminClient(base, null);
    }

    /** The admin API listening on {@code admin}, over plain HTTP. */
    public static AdminClient at(InetSocketAddress admin) {
        return at("http://" + admin.getHostString() + ":" + admin.getPort());
    }

    /** The same API, sending {@code Authorization: Bearer token} on every call (none when null). */
    public AdminClient withToken(String token) {
        return new AdminClient(base, token);
    }

    public String base() {
        return base;
    }

    public Response get(String path, String... headers) {
        return send(request(path, headers).GET());
    }

    public Response post(String path, String json, String... headers) {
        return send(request(path, headers).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    public Response put(String path, String json, String... headers) {
        return send(request(path, headers).header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    public Response delete(String path, String... headers) {
        return send(request(path, headers).DELETE());
    }

    /** {@code method path}, with {@code json} as the body when not null. */
    public Response call(String method, String path, String json) {
        HttpRequest.Builder b = request(path).method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) b.header("Content-Type", "application/json");
        return send(b);
    }

    /** Calls and insists on a 2xx; returns the new config version from X-Config-Version (or -1). */
    public long write(String method, String path, String json) {
        Response r = call(method, path, json);
        if (r.status() / 100 != 2) throw new AssertionError(method + " " + path + " -> " + r);
        String v = r.header("X-Config-Version");
        return v == null ? -1 : Long.parseLong(v);
    }

    /** Waits until every connected node applied {@code version}; fails on 408. Returns the node list. */
    public String awaitConvergence(long version) {
        Response r = get("/api/v1/fleet/nodes?min_version=" + version + "&wait_ms=10000");
        if (r.status() != 200) throw new AssertionError("fleet did not converge on " + version + ": " + r);
        return r.body();
    }

    public Response send(HttpRequest.Builder b) {
        try {
            HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A request to {@code path} with the token and {@code headers} (name, value, name, value...). */
    public HttpRequest.Builder request(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
        if (token != null) b.header("Authorization", "Bearer " + token);
        for (int i = 0; i + 1 < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return b;
    }

    /** A JSON string literal. */
    public static String q(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String json(Map<String, ?> m) {
        try {
            return JSON.writeValueAsString(m);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
