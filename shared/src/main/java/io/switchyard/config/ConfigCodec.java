package io.switchyard.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * JSON codec for the contract's snake_case document. Strict: unknown fields, wrong types, trailing
 * content and numbers where names belong are rejected, every failure surfacing as a
 * {@link ConfigException} whose violations carry full JSON paths. Thread-safe (the mapper is
 * configured once and never changed).
 */
public final class ConfigCodec {
    private static final ObjectMapper MAPPER = newMapper();

    private ConfigCodec() {
    }

    /** A mapper configured like this codec's; callers may use it for other contract types. */
    public static ObjectMapper newMapper() {
        return JsonMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .serializationInclusion(JsonInclude.Include.NON_NULL)
                .build();
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static Config readConfig(String json) {
        return read(json, Config.class);
    }

    public static Config readConfig(byte[] json) {
        return read(json, Config.class);
    }

    public static Snapshot readSnapshot(byte[] json) {
        return read(json, Snapshot.class);
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] writeBytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String writePretty(Object value) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads any contract type (e.g. a single {@link Route}), translating every failure to {@link ConfigException}. */
    public static <T> T read(String json, Class<T> type) {
        try {
            if (json == null || json.isBlank()) throw new ConfigException("", "empty body (expected: a JSON object)");
            T value = MAPPER.readValue(json, type);
            if (value == null) throw new ConfigException("", "null (expected: a JSON object)");
            return value;
        } catch (IOException e) {
            throw translate(e);
        }
    }

    public static <T> T read(byte[] json, Class<T> type) {
        try {
            if (json == null || json.length == 0) throw new ConfigException("", "empty body (expected: a JSON object)");
            T value = MAPPER.readValue(json, type);
            if (value == null) throw new ConfigException("", "null (expected: a JSON object)");
            return value;
        } catch (IOException e) {
            throw translate(e);
        }
    }

    /** Turns a Jackson failure into violations with JSON paths such as {@code routes[2].upstream}. */
    public static ConfigException translate(IOException e) {
        if (e instanceof JsonMappingException jme) {
            String path = path(jme.getPath());
            for (Throwable t = jme; t != null; t = t.getCause()) {
                if (t instanceof ConfigException ce) return ce.under(path);
            }
            if (jme instanceof UnrecognizedPropertyException upe) {
                return new ConfigException(path, "unknown field (expected one of: " + upe.getKnownPropertyIds() + ")");
            }
            if (jme instanceof InvalidFormatException ife) {
                return new ConfigException(path, quote(ife.getValue()) + " (expected: " + simpleType(ife.getTargetType()) + ")");
            }
            if (jme instanceof MismatchedInputException mie) {
                return new ConfigException(path, "wrong type (expected: " + simpleType(mie.getTargetType()) + ")");
            }
            return new ConfigException(path, firstLine(jme.getOriginalMessage()));
        }
        if (e instanceof JsonProcessingException jpe) {
            return new ConfigException("", "malformed JSON: " + firstLine(jpe.getOriginalMessage()));
        }
        return new ConfigException("", "unreadable: " + e.getMessage());
    }

    private static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) sb.append('.');
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String simpleType(Class<?> c) {
        if (c == null) return "a value";
        if (c == String.class) return "a string";
        if (c == Integer.class || c == int.class || c == Long.class || c == long.class) return "an integer";
        if (c == Boolean.class || c == boolean.class) return "true or false";
        if (List.class.isAssignableFrom(c)) return "an array";
        if (c.isEnum()) return "one of the documented names";
        return "an object";
    }

    private static String quote(Object v) {
        return v instanceof String ? "\"" + v + "\"" : String.valueOf(v);
    }

    private static String firstLine(String s) {
        if (s == null) return "invalid";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
