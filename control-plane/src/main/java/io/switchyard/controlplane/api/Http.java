package io.switchyard.controlplane.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.switchyard.config.ConfigCodec;
import io.switchyard.config.ConfigMapper;
import io.switchyard.config.ConfigException;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reading requests and writing answers the same way for every handler: JSON bodies (415, 413,
 * duplicate keys, strict binding), query numbers, tagged entities (tags from {@link Preconditions}),
 * and the one problem+json error shape. Stateless.
 */
final class Http {
    /** Bodies above this answer 413 before any parsing. */
    static final int MAX_BODY_BYTES = 1 << 20;
    static final String PROBLEM_TYPE_PREFIX = "urn:switchyard:problem:";
    private static final Pattern DUPLICATE_KEY = Pattern.compile("^Duplicate field '([^']*)'");

    private Http() {
    }

    /** Answers {@code shown}, tagged with the ETag of {@code stored} (often the same object). */
    static void entity(Context ctx, int status, Object stored, Object shown) {
        // Most callers tag what they show: serialize it once for both the body and the tag.
        byte[] body = ConfigCodec.writeBytes(shown);
        ctx.status(status).header("ETag", stored == shown ? Preconditions.etagOf(body) : Preconditions.etag(stored));
        ctx.contentType("application/json").result(body);
    }

    static void json(Context ctx, Object body) {
        ctx.contentType("application/json").result(ConfigCodec.writeBytes(body));
    }

    static long queryLong(Context ctx, String name, long dflt, long min, long max) {
        String s = ctx.queryParam(name);
        if (s == null) return dflt;
        long v;
        try {
            v = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw ApiException.invalid(name, "\"" + s + "\" (expected: an integer)");
        }
        if (v < min || v > max) throw ApiException.invalid(name, v + " (expected: " + min + ".." + max + ")");
        return v;
    }

    /** The request body as text: JSON only (415 otherwise), at most {@link #MAX_BODY_BYTES} (413 otherwise). */
    static String body(Context ctx) {
        String type = ctx.header("Content-Type");
        String mime = type == null ? "" : type.split(";")[0].trim().toLowerCase(Locale.ROOT);
        if (!mime.equals("application/json"))
            throw new ApiException(415, "unsupported-media-type", "Unsupported media type",
                    "Content-Type " + (type == null ? "missing" : type) + " (expected: application/json)");
        long declared = ctx.req().getContentLengthLong();
        if (declared > MAX_BODY_BYTES) throw tooLarge();
        try (InputStream in = ctx.req().getInputStream()) {
            // Chunked bodies have no Content-Length: count while reading, stop one byte past the limit.
            byte[] b = in.readNBytes(MAX_BODY_BYTES + 1);
            if (b.length > MAX_BODY_BYTES) throw tooLarge();
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw ApiException.invalid("", "body could not be read: " + e.getMessage());
        }
    }

    static ApiException tooLarge() {
        return new ApiException(413, "payload-too-large", "Payload too large", "the body is over " + MAX_BODY_BYTES + " bytes (1 MiB)");
    }

    /**
     * Reads one entity. For PUT, {@code pathName} fills a missing {@code name} and must equal a
     * given one (renaming is a delete plus a create, so references stay explicit).
     */
    static <T> T parse(Context ctx, Class<T> type, String pathName) {
        String text = body(ctx);
        JsonNode tree;
        try {
            // Through a tree first, for every body: the tree reader refuses duplicate keys, which
            // a direct bind would silently resolve as "last one wins".
            tree = ConfigMapper.mapper().readTree(text);
        } catch (JsonProcessingException e) {
            Matcher dup = DUPLICATE_KEY.matcher(String.valueOf(e.getOriginalMessage()));
            if (dup.find()) {
                // The tree reader reports no path; the parser still stands on the duplicate key.
                String field = e.getProcessor() instanceof JsonParser p
                        ? jsonPath(p.getParsingContext()) : dup.group(1);
                throw ApiException.invalid(field, "duplicate field (expected: each field once)");
            }
            throw ApiException.invalid(ConfigMapper.translate(e));
        }
        if (pathName != null && tree instanceof ObjectNode o) {
            JsonNode n = o.get("name");
            if (n == null) o.set("name", TextNode.valueOf(pathName));
            else if (!n.isTextual() || !n.asText().equals(pathName))
                throw ApiException.invalid("name", n + " (expected: \"" + pathName + "\", the name in the path; renaming is not supported)");
        }
        try {
            return ConfigCodec.read(tree == null || tree.isMissingNode() ? "" : tree.toString(), type);
        } catch (ConfigException e) {
            throw ApiException.invalid(e);
        }
    }

    static String jsonPath(JsonStreamContext c) {
        ArrayDeque<String> parts = new ArrayDeque<>();
        for (; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) parts.push("[" + Math.max(0, c.getCurrentIndex()) + "]");
            else if (c.getCurrentName() != null) parts.push("." + c.getCurrentName());
        }
        String path = String.join("", parts);
        return path.startsWith(".") ? path.substring(1) : path;
    }

    static void problem(Context ctx, ApiException e) {
        ctx.status(e.status()).contentType("application/problem+json").result(problemBody(e));
    }

    static byte[] problemBody(ApiException e) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", PROBLEM_TYPE_PREFIX + e.type());
        body.put("title", e.title());
        body.put("status", e.status());
        body.put("detail", e.getMessage());
        body.put("errors", e.errors().stream().map(v -> new Views.FieldError(v.field(), v.message())).toList());
        body.putAll(e.extensions());
        return ConfigCodec.writeBytes(body);
    }

    static ApiException fromJavalin(HttpResponseException e) {
        return switch (e.getStatus()) {
            case 404 -> ApiException.notFound("no such path");
            case 405 -> new ApiException(405, "method-not-allowed", "Method not allowed", "this path does not take that method");
            case 413 -> tooLarge();
            default -> new ApiException(e.getStatus(), "http-" + e.getStatus(), e.getMessage(), e.getMessage());
        };
    }

    static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "...";
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String remote(SocketAddress a) {
        if (a instanceof InetSocketAddress i) return i.getAddress() == null ? i.getHostString() : i.getAddress().getHostAddress();
        return String.valueOf(a);
    }
}
