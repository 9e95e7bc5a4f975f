package io.switchyard.config;

import com.fasterxml.jackson.core.JsonProcessingException;

import java.io.IOException;

/**
 * JSON codec for the contract's snake_case document. Strict: unknown fields, wrong types, duplicate fields, trailing
 * content and numbers where names belong are rejected, every failure surfacing as a {@link ConfigException} whose
 * violations carry full JSON paths. Thread-safe.
 *
 * <p>It binds on Jackson's streaming parser and generator alone (the same annotations the data-binding mapper reads),
 * so a data-plane node, which reads and writes nothing else, never loads data binding; {@link ConfigMapper} has the
 * mapper for the control plane's trees. A value this codec cannot write (a JSON tree in one of the control plane's
 * answers) is written by that mapper into the same output; reading binds only the contract's kinds of type.
 */
public final class ConfigCodec {
    private ConfigCodec() {
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
        return JsonBinding.write(value, false);
    }

    public static byte[] writeBytes(Object value) {
        return JsonBinding.writeBytes(value);
    }

    public static String writePretty(Object value) {
        return JsonBinding.write(value, true);
    }

    /** Reads any contract type (e.g. a single {@link Route}), translating every failure to {@link ConfigException}. */
    public static <T> T read(String json, Class<T> type) {
        if (json == null) throw JsonBinding.empty(); // an empty or blank text is found so by the parser
        requireSupported(type);
        try {
            return JsonBinding.read(json, type);
        } catch (IOException e) {
            throw translate(e);
        }
    }

    public static <T> T read(byte[] json, Class<T> type) {
        if (json == null) throw JsonBinding.empty();
        requireSupported(type);
        try {
            return JsonBinding.read(json, type);
        } catch (IOException e) {
            throw translate(e);
        }
    }

    private static void requireSupported(Class<?> type) {
        if (!JsonBinding.supports(type)) {
            throw new IllegalArgumentException(type.getName() + ": not a type of the contract (records of strings, integers, "
                    + "booleans, lists, wire-named enums and such records; read it with ConfigMapper)");
        }
    }

    /** A failure of the JSON parser (malformed text) as a violation of the whole document. */
    static ConfigException translate(IOException e) {
        if (e instanceof JsonProcessingException jpe) {
            return new ConfigException("", "malformed JSON: " + firstLine(jpe.getOriginalMessage()));
        }
        return new ConfigException("", "unreadable: " + e.getMessage());
    }

    static String firstLine(String s) {
        if (s == null) return "invalid";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
