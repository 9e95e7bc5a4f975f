package io.switchyard.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
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
import java.util.List;

/**
 * Jackson's data-binding mapper configured for the contract (snake_case, strict), for the control plane's JSON trees,
 * merges and diffs and for its HTTP framework. The contract's own documents are read and written by
 * {@link ConfigCodec}, which needs none of this: a data-plane node never loads data binding's classes (about 500),
 * since nothing on its paths reaches this class.
 */
public final class ConfigMapper {
    private ConfigMapper() {
    }

    /** A new mapper configured like the shared one. */
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

    /** The shared mapper (configured once, never changed: thread-safe). */
    public static ObjectMapper mapper() {
        return Holder.MAPPER;
    }

    /** Writes a value {@link ConfigCodec} does not know (a JSON tree, a time) into its generator. */
    static void writeTo(JsonGenerator g, Object value) throws IOException {
        Holder.MAPPER.writeValue(g, value);
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
                return new ConfigException(path, quote(ife.getValue()) + " (expected: " + JsonBinding.simpleType(ife.getTargetType()) + ")");
            }
            if (jme instanceof MismatchedInputException mie) {
                return new ConfigException(path, "wrong type (expected: " + JsonBinding.simpleType(mie.getTargetType()) + ")");
            }
            return new ConfigException(path, ConfigCodec.firstLine(jme.getOriginalMessage()));
        }
        return ConfigCodec.translate(e);
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

    private static String quote(Object v) {
        return v instanceof String ? "\"" + v + "\"" : String.valueOf(v);
    }

    private static final class Holder {
        static final ObjectMapper MAPPER = newMapper();
    }
}
