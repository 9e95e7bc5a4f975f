package io.switchyard.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The contract's JSON binding on the streaming parser and generator alone: records (snake_case names, a
 * {@code @JsonProperty} name where one is given, the canonical constructor), lists, strings, integers, booleans,
 * types with a {@code @JsonValue} method and a static {@code @JsonCreator} method, and interfaces with
 * {@code @JsonTypeInfo} / {@code @JsonSubTypes} (the type name first in the object). It reads the same annotations
 * the data-binding mapper of {@link ConfigMapper} reads, keeps the same strictness and answers with the same
 * violations (the differential test in this module holds the two to that), so a data-plane node decodes snapshots and
 * fleet messages without loading data binding's classes.
 *
 * <p>Values this binding does not know (none in a node; some of the control plane's answers) are written by the
 * data-binding mapper into the same generator.
 */
final class JsonBinding {
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final Map<Class<?>, RecordShape> SHAPES = new ConcurrentHashMap<>();
    private static final Map<Class<?>, Polymorphic> POLYMORPHIC = new ConcurrentHashMap<>();
    private static final Map<Class<?>, Wire> WIRES = new ConcurrentHashMap<>();
    private static final Wire NOT_WIRE = new Wire(null, null);
    private static final Polymorphic NOT_POLYMORPHIC = new Polymorphic(null, Map.of(), Map.of());

    private JsonBinding() {
    }

    // ---------------------------------------------------------------- reading

    static <T> T read(String json, Class<T> type) throws IOException {
        try (JsonParser p = FACTORY.createParser(json)) {
            return read(p, type);
        }
    }

    static <T> T read(byte[] json, Class<T> type) throws IOException {
        try (JsonParser p = FACTORY.createParser(json)) {
            return read(p, type);
        }
    }

    private static <T> T read(JsonParser p, Class<T> type) throws IOException {
        JsonToken first = p.nextToken();
        if (first == null) throw empty();
        Reader reader = new Reader(p);
        Object value;
        try {
            value = reader.value(type);
        } catch (StreamReadException e) {
            String m = String.valueOf(e.getOriginalMessage());
            if (m.startsWith("Duplicate field '") && m.indexOf('\'', 17) > 17) {
                reader.path.add(m.substring(17, m.indexOf('\'', 17)));
                throw new ConfigException(reader.path(), "duplicate field (expected: each field once)");
            }
            throw e;
        }
        if (p.nextToken() != null) {
            throw new ConfigException("", "trailing content after the JSON value (expected: one JSON object)");
        }
        if (value == null) throw new ConfigException("", "null (expected: a JSON object)");
        return type.cast(value);
    }

    static ConfigException empty() {
        return new ConfigException("", "empty body (expected: a JSON object)");
    }

    /** One document's reading: the parser and the path to the value being read, for the violations. */
    private static final class Reader {
        private final JsonParser p;
        private final ArrayList<Object> path = new ArrayList<>();

        Reader(JsonParser p) {
            this.p = p;
        }

        String path() {
            StringBuilder sb = new StringBuilder();
            for (Object o : path) {
                if (o instanceof Integer i) {
                    sb.append('[').append(i).append(']');
                } else {
                    if (sb.length() > 0) sb.append('.');
                    sb.append(o);
                }
            }
            return sb.toString();
        }

        ConfigException wrongType(Type t) {
            return new ConfigException(path(), "wrong type (expected: " + simpleType(t) + ")");
        }

        /** Reads the value at the current token as {@code t}. */
        Object value(Type t) throws IOException {
            return value(kind(t));
        }

        Object value(Kind k) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_NULL) {
                if (k.primitive) throw wrongType(k.type);
                return null;
            }
            return k.read(this);
        }

        private ConfigException outOfRange(String type) throws IOException {
            return new ConfigException(path(), p.getText() + " (expected: an integer in the range of " + type + ")");
        }

        /** Reads a record's fields; the current token is the first field name or the object's end. */
        private Object record(RecordShape shape) throws IOException {
            Object[] args = shape.defaults.clone();
            for (JsonToken tok = p.currentToken(); tok != JsonToken.END_OBJECT; tok = p.nextToken()) {
                if (tok != JsonToken.FIELD_NAME) throw wrongType(shape.type);
                String name = p.currentName();
                Integer index = shape.indexByName.get(name);
                path.add(name);
                if (index == null) {
                    throw new ConfigException(path(), "unknown field (expected one of: " + shape.names + ")");
                }
                p.nextToken();
                args[index] = value(shape.kinds[index]);
                path.remove(path.size() - 1);
            }
            try {
                return shape.constructor.newInstance(args);
            } catch (InvocationTargetException e) {
                throw fromCreator(e.getCause());
            } catch (InstantiationException | IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }

        private ConfigException fromCreator(Throwable cause) {
            for (Throwable c = cause; c != null; c = c.getCause()) {
                if (c instanceof ConfigException ce) return ce.under(path());
            }
            return new ConfigException(path(), cause == null || cause.getMessage() == null ? "invalid" : cause.getMessage());
        }
    }

    /**
     * How one declared type is read and written, worked out once per type so that reading a value is one virtual call
     * (a document of 100,000 routes is read and written per snapshot).
     */
    private abstract static class Kind {
        final Type type;
        final boolean primitive;

        Kind(Type type) {
            this.type = type;
            this.primitive = type instanceof Class<?> c && c.isPrimitive();
        }

        /** Reads a value whose first token (not null) is the current one. */
        abstract Object read(Reader r) throws IOException;

        /** Writes a value that is not null. */
        void write(JsonGenerator g, Object v) throws IOException {
            JsonBinding.write(g, v);
        }

        /** Whether {@link #read} can read this type and every type it holds ({@code seen}: kinds already asked). */
        boolean readable(java.util.Set<Kind> seen) {
            return true;
        }
    }

    private static final Map<Type, Kind> KINDS = new ConcurrentHashMap<>();

    private static Kind kind(Type t) {
        Kind k = KINDS.get(t);
        if (k == null) {
            k = newKind(t);
            KINDS.put(t, k);
        }
        return k;
    }

    private static Kind newKind(Type t) {
        Class<?> raw = raw(t);
        if (raw == String.class) return new Kind(t) {
            @Override
            Object read(Reader r) throws IOException {
                if (r.p.currentToken() != JsonToken.VALUE_STRING) throw r.wrongType(type);
                return r.p.getText();
            }

            @Override
            void write(JsonGenerator g, Object v) throws IOException {
                g.writeString((String) v);
            }
        };
        if (raw == Integer.class || raw == int.class) return new IntegerKind(t, false);
        if (raw == Long.class || raw == long.class) return new IntegerKind(t, true);
        if (raw == Boolean.class || raw == boolean.class) return new Kind(t) {
            @Override
            Object read(Reader r) {
                JsonToken tok = r.p.currentToken();
                if (tok == JsonToken.VALUE_TRUE) return Boolean.TRUE;
                if (tok == JsonToken.VALUE_FALSE) return Boolean.FALSE;
                throw r.wrongType(type);
            }

            @Override
            void write(JsonGenerator g, Object v) throws IOException {
                g.writeBoolean((Boolean) v);
            }
        };
        if (List.class.isAssignableFrom(raw)) {
            Type elementType = t instanceof ParameterizedType pt ? pt.getActualTypeArguments()[0] : Object.class;
            return new Kind(t) {
                private Kind element;

                @Override
                Object read(Reader r) throws IOException {
                    if (r.p.currentToken() != JsonToken.START_ARRAY) throw r.wrongType(type);
                    if (element == null) element = kind(elementType);
                    boolean objects = element instanceof RecordKind || element instanceof PolymorphicKind;
                    List<Object> out = new ArrayList<>();
                    int i = 0;
                    while (r.p.nextToken() != JsonToken.END_ARRAY) {
                        r.path.add(i++);
                        if (objects && r.p.currentToken() == JsonToken.VALUE_NULL) {
                            // A list's owner names what belongs in it, but a null object would not reach it.
                            throw new ConfigException(r.path(), "null (expected: an object)");
                        }
                        out.add(r.value(element));
                        r.path.remove(r.path.size() - 1);
                    }
                    return out;
                }

                @Override
                boolean readable(java.util.Set<Kind> seen) {
                    return seen.add(this) ? kind(elementType).readable(seen) : true;
                }

                @Override
                void write(JsonGenerator g, Object v) throws IOException {
                    if (element == null) element = kind(elementType);
                    g.writeStartArray();
                    for (Object o : (List<?>) v) {
                        if (o == null) g.writeNull();
                        else element.write(g, o);
                    }
                    g.writeEndArray();
                }
            };
        }
        Wire wire = wire(raw);
        if (wire.creator != null) return new Kind(t) {
            @Override
            Object read(Reader r) throws IOException {
                if (r.p.currentToken() != JsonToken.VALUE_STRING) throw r.wrongType(type);
                try {
                    return wire.creator.invoke(null, r.p.getText());
                } catch (InvocationTargetException e) {
                    throw r.fromCreator(e.getCause());
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        if (raw.isEnum()) return new Kind(t) {
            @Override
            Object read(Reader r) throws IOException {
                if (r.p.currentToken() != JsonToken.VALUE_STRING) throw r.wrongType(type);
                for (Object c : raw.getEnumConstants()) {
                    if (((Enum<?>) c).name().equals(r.p.getText())) return c;
                }
                throw new ConfigException(r.path(), "\"" + r.p.getText() + "\" (expected: one of the documented names)");
            }
        };
        if (raw.isRecord()) return new RecordKind(raw);
        Polymorphic poly = polymorphic(raw);
        if (poly.property != null) return new PolymorphicKind(raw, poly);
        return new Kind(t) {
            @Override
            Object read(Reader r) {
                throw new IllegalArgumentException(raw.getName() + ": not a type of the contract");
            }

            @Override
            boolean readable(java.util.Set<Kind> seen) {
                return false;
            }
        };
    }

    /** An int or a long: an integer token, in the type's range. */
    private static final class IntegerKind extends Kind {
        private final boolean isLong;

        IntegerKind(Type type, boolean isLong) {
            super(type);
            this.isLong = isLong;
        }

        @Override
        Object read(Reader r) throws IOException {
            if (r.p.currentToken() != JsonToken.VALUE_NUMBER_INT) throw r.wrongType(type);
            JsonParser.NumberType nt = r.p.getNumberType();
            if (nt != JsonParser.NumberType.INT && !(isLong && nt == JsonParser.NumberType.LONG)) {
                throw r.outOfRange(isLong ? "long" : "int");
            }
            return isLong ? (Object) r.p.getLongValue() : (Object) r.p.getIntValue();
        }

        @Override
        void write(JsonGenerator g, Object v) throws IOException {
            g.writeNumber(((Number) v).longValue());
        }
    }

    private static final class RecordKind extends Kind {
        private final Class<?> recordType;
        private RecordShape shape;

        RecordKind(Class<?> type) {
            super(type);
            this.recordType = type;
        }

        RecordShape shape() {
            RecordShape s = shape;
            if (s == null) shape = s = JsonBinding.shape(recordType);
            return s;
        }

        @Override
        Object read(Reader r) throws IOException {
            if (r.p.currentToken() != JsonToken.START_OBJECT) throw r.wrongType(type);
            r.p.nextToken();
            return r.record(shape());
        }

        @Override
        void write(JsonGenerator g, Object v) throws IOException {
            writeRecord(g, v, shape());
        }

        @Override
        boolean readable(java.util.Set<Kind> seen) {
            if (!seen.add(this)) return true;
            for (Kind k : shape().kinds) if (!k.readable(seen)) return false;
            return true;
        }
    }

    private static final class PolymorphicKind extends Kind {
        private final Polymorphic poly;

        PolymorphicKind(Class<?> type, Polymorphic poly) {
            super(type);
            this.poly = poly;
        }

        @Override
        Object read(Reader r) throws IOException {
            JsonParser p = r.p;
            if (p.currentToken() != JsonToken.START_OBJECT) throw r.wrongType(type);
            if (p.nextToken() != JsonToken.FIELD_NAME || !poly.property.equals(p.currentName())) {
                throw new ConfigException(r.path(), "missing type (expected: \"" + poly.property + "\" first, one of "
                        + poly.byName.keySet() + ")");
            }
            r.path.add(poly.property);
            if (p.nextToken() != JsonToken.VALUE_STRING) throw r.wrongType(String.class);
            Class<?> sub = poly.byName.get(p.getText());
            if (sub == null) {
                throw new ConfigException(r.path(), "\"" + p.getText() + "\" (expected: one of " + poly.byName.keySet() + ")");
            }
            r.path.remove(r.path.size() - 1);
            p.nextToken();
            return r.record(shape(sub));
        }

        @Override
        boolean readable(java.util.Set<Kind> seen) {
            if (!seen.add(this)) return true;
            for (Class<?> sub : poly.byName.values()) if (!sub.isRecord() || !kind(sub).readable(seen)) return false;
            return true;
        }
    }

    /** What a record is made from: its components' names, types and the canonical constructor. */
    private record RecordShape(Class<?> type, Constructor<?> constructor, Kind[] kinds, Object[] defaults,
                               Map<String, Integer> indexByName, List<String> names, SerializedString[] wireNames,
                               Method[] accessors, Object[] suppress, boolean[] nonEmpty, boolean[] nulls,
                               String typeProperty, String typeName) {
    }

    private static RecordShape shape(Class<?> type) {
        RecordShape s = SHAPES.get(type);
        if (s == null) {
            s = newShape(type);
            SHAPES.put(type, s);
        }
        return s;
    }

    private static RecordShape newShape(Class<?> type) {
        RecordComponent[] rcs = type.getRecordComponents();
        Class<?>[] raws = new Class<?>[rcs.length];
        Object[] defaults = new Object[rcs.length];
        SerializedString[] wireNames = new SerializedString[rcs.length];
        Kind[] kinds = new Kind[rcs.length];
        Method[] accessors = new Method[rcs.length];
        Object[] suppress = new Object[rcs.length];
        boolean[] nonEmpty = new boolean[rcs.length];
        boolean[] nulls = new boolean[rcs.length];
        Map<String, Integer> byName = new HashMap<>();
        List<String> names = new ArrayList<>();
        JsonInclude classInclude = type.getAnnotation(JsonInclude.class);
        for (int i = 0; i < rcs.length; i++) {
            RecordComponent rc = rcs[i];
            raws[i] = rc.getType();
            kinds[i] = kind(rc.getGenericType());
            defaults[i] = primitiveDefault(raws[i]);
            Method accessor = rc.getAccessor();
            accessor.trySetAccessible();
            accessors[i] = accessor;
            JsonProperty prop = annotation(type, rc, JsonProperty.class);
            String wireName = prop != null && !prop.value().isEmpty() ? prop.value() : snakeCase(rc.getName());
            wireNames[i] = new SerializedString(wireName);
            byName.put(wireName, i);
            names.add(wireName);
            JsonInclude include = annotation(type, rc, JsonInclude.class);
            if (include == null) include = classInclude;
            if (include != null && include.value() == JsonInclude.Include.CUSTOM) {
                try {
                    Constructor<?> filter = include.valueFilter().getDeclaredConstructor();
                    filter.trySetAccessible();
                    suppress[i] = filter.newInstance();
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(type.getName() + "." + rc.getName() + ": value filter", e);
                }
            }
            nonEmpty[i] = include != null && include.value() == JsonInclude.Include.NON_EMPTY;
            nulls[i] = include != null && include.value() == JsonInclude.Include.ALWAYS;
        }
        try {
            Constructor<?> c = type.getDeclaredConstructor(raws);
            c.trySetAccessible();
            // A record of a type told apart by name (a fleet message) is written with that name first.
            Polymorphic poly = polymorphicOf(type);
            return new RecordShape(type, c, kinds, defaults, byName, List.copyOf(names), wireNames, accessors, suppress,
                    nonEmpty, nulls, poly.property, poly.nameOf.get(type));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(type.getName() + ": no canonical constructor", e);
        }
    }

    /** An annotation on a record component: Jackson's annotations land on the accessor, the field and the parameter. */
    private static <A extends java.lang.annotation.Annotation> A annotation(Class<?> type, RecordComponent rc, Class<A> a) {
        A found = rc.getAccessor().getAnnotation(a);
        if (found != null) return found;
        try {
            return type.getDeclaredField(rc.getName()).getAnnotation(a);
        } catch (NoSuchFieldException e) {
            return null;
        }
    }

    private static Object primitiveDefault(Class<?> c) {
        if (c == int.class) return 0;
        if (c == long.class) return 0L;
        if (c == boolean.class) return false;
        if (c == double.class) return 0.0;
        if (c == short.class) return (short) 0;
        if (c == byte.class) return (byte) 0;
        if (c == float.class) return 0f;
        if (c == char.class) return '\0';
        return null;
    }

    static String snakeCase(String camel) {
        StringBuilder sb = new StringBuilder(camel.length() + 4);
        for (int i = 0; i < camel.length(); i++) {
            char ch = camel.charAt(i);
            if (Character.isUpperCase(ch)) {
                if (i > 0 && !Character.isUpperCase(camel.charAt(i - 1))) sb.append('_');
                sb.append(Character.toLowerCase(ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }

    /** A type written as a single value ({@code @JsonValue}) and read from a string ({@code @JsonCreator}). */
    private record Wire(Method value, Method creator) {
    }

    private static Wire wire(Class<?> c) {
        Wire w = WIRES.get(c);
        if (w == null) {
            Method value = null;
            Method creator = null;
            if (!c.isPrimitive() && !c.isArray() && !c.isRecord()) {
                for (Method m : c.getDeclaredMethods()) {
                    if (m.isAnnotationPresent(JsonValue.class) && m.getParameterCount() == 0) value = m;
                    if (m.isAnnotationPresent(JsonCreator.class) && Modifier.isStatic(m.getModifiers())
                            && m.getParameterCount() == 1 && m.getParameterTypes()[0] == String.class) creator = m;
                }
            }
            if (value != null) value.trySetAccessible();
            if (creator != null) creator.trySetAccessible();
            w = value == null && creator == null ? NOT_WIRE : new Wire(value, creator);
            WIRES.put(c, w);
        }
        return w;
    }

    /** An interface whose implementations are told apart by a type name ({@code @JsonTypeInfo}). */
    private record Polymorphic(String property, Map<String, Class<?>> byName, Map<Class<?>, String> nameOf) {
    }

    private static Polymorphic polymorphic(Class<?> c) {
        Polymorphic p = POLYMORPHIC.get(c);
        if (p == null) {
            p = NOT_POLYMORPHIC;
            JsonTypeInfo info = c.getAnnotation(JsonTypeInfo.class);
            JsonSubTypes subs = c.getAnnotation(JsonSubTypes.class);
            if (info != null && subs != null && info.use() == JsonTypeInfo.Id.NAME) {
                Map<String, Class<?>> byName = new LinkedHashMap<>();
                Map<Class<?>, String> nameOf = new HashMap<>();
                for (JsonSubTypes.Type t : subs.value()) {
                    byName.put(t.name(), t.value());
                    nameOf.put(t.value(), t.name());
                }
                String property = info.property().isEmpty() ? "@type" : info.property();
                p = new Polymorphic(property, byName, nameOf);
            }
            POLYMORPHIC.put(c, p);
        }
        return p;
    }

    /** The interface with {@code @JsonTypeInfo} among {@code c}'s, or none. */
    private static Polymorphic polymorphicOf(Class<?> c) {
        for (Class<?> i : c.getInterfaces()) {
            Polymorphic p = polymorphic(i);
            if (p.property != null) return p;
            p = polymorphicOf(i);
            if (p.property != null) return p;
        }
        return NOT_POLYMORPHIC;
    }

    private static Class<?> raw(Type t) {
        if (t instanceof Class<?> c) return c;
        if (t instanceof ParameterizedType pt) return (Class<?>) pt.getRawType();
        return Object.class;
    }

    static String simpleType(Type t) {
        Class<?> c = raw(t);
        if (c == String.class) return "a string";
        if (c == Integer.class || c == int.class || c == Long.class || c == long.class) return "an integer";
        if (c == Boolean.class || c == boolean.class) return "true or false";
        if (List.class.isAssignableFrom(c)) return "an array";
        if (c.isEnum() || wire(c).creator != null) return "one of the documented names";
        return "an object";
    }

    /** Whether {@link #read} can bind {@code t}: every type reachable from it is one this binding knows. */
    static boolean supports(Type t) {
        return kind(t).readable(new java.util.HashSet<>());
    }

    // ---------------------------------------------------------------- writing

    static String write(Object value, boolean pretty) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            if (pretty) g.useDefaultPrettyPrinter();
            write(g, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    static byte[] writeBytes(Object value) {
        try (ByteArrayBuilder out = new ByteArrayBuilder()) {
            try (JsonGenerator g = FACTORY.createGenerator(out)) {
                write(g, value);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            g.writeNumber(((Number) v).longValue());
        } else if (v instanceof Double d) {
            g.writeNumber(d);
        } else if (v instanceof Float f) {
            g.writeNumber(f);
        } else if (v instanceof BigDecimal d) {
            g.writeNumber(d);
        } else if (v instanceof BigInteger i) {
            g.writeNumber(i);
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (e.getValue() == null) continue;
                g.writeFieldName(String.valueOf(e.getKey()));
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof Collection<?> c) {
            g.writeStartArray();
            for (Object o : c) write(g, o);
            g.writeEndArray();
        } else {
            Kind k = kind(v.getClass());
            if (k instanceof RecordKind rk) {
                writeRecord(g, v, rk.shape());
                return;
            }
            Wire wire = wire(v instanceof Enum<?> e ? e.getDeclaringClass() : v.getClass());
            if (wire.value != null) {
                write(g, invoke(wire.value, v));
            } else if (v instanceof Enum<?> e) {
                g.writeString(e.name());
            } else {
                ConfigMapper.writeTo(g, v);
            }
        }
    }

    private static void writeRecord(JsonGenerator g, Object v, RecordShape shape) throws IOException {
        g.writeStartObject();
        if (shape.typeName != null) g.writeStringField(shape.typeProperty, shape.typeName);
        for (int i = 0; i < shape.accessors.length; i++) {
            Object value = invoke(shape.accessors[i], v);
            if (value == null && !shape.nulls[i]) continue;
            if (shape.suppress[i] != null && shape.suppress[i].equals(value)) continue;
            if (shape.nonEmpty[i] && isEmpty(value)) continue;
            g.writeFieldName(shape.wireNames[i]);
            if (value == null) g.writeNull();
            else shape.kinds[i].write(g, value);
        }
        g.writeEndObject();
    }

    private static boolean isEmpty(Object value) {
        return value instanceof Collection<?> c && c.isEmpty()
                || value instanceof Map<?, ?> m && m.isEmpty()
                || value instanceof String s && s.isEmpty();
    }

    private static Object invoke(Method m, Object target) {
        try {
            return m.invoke(target);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        } catch (InvocationTargetException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) throw re;
            throw new IllegalStateException(c);
        }
    }
}
