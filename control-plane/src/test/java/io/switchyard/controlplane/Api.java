package io.switchyard.controlplane;

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

/** A small JDK HttpClient wrapper for the admin API as a user would call it. */
public final class Api {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String token;

    /** One answer: status, headers, body text and (when JSON) tree. */
    public record Res(int status, HttpResponse<String> raw) {
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

    public Api(InetSocketAddress admin, String token) {
        this.base = "http://" + admin.getHostString() + ":" + admin.getPort();
        this.token = token;
    }

    public Api(InetSocketAddress admin) {
        this(admin, null);
    }

    public String base() {
        return base;
    }

    public Res get(String path, String... headers) {
        return send(request(path, headers).GET());
    }

    public Res post(String path, String json, String... headers) {
        return send(request(path, headers).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    public Res put(String path, String json, String... headers) {
        return send(request(path, headers).header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    public Res delete(String path, String... headers) {
        return send(request(path, headers).DELETE());
    }

    public Res send(HttpRequest.Builder b) {
        try {
            HttpResponse<String> r = client.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            return new Res(r.statusCode(), r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

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
