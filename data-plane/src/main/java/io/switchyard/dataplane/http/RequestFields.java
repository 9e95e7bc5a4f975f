package io.switchyard.dataplane.http;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.switchyard.dataplane.codec.HeadBytes;

import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * A client's request fields as {@link HeadGuardHandler} parsed them, kept as bytes: each field is one line
 * {@code name: value CRLF} (the name as sent, the value with its surrounding whitespace trimmed), the lines one after
 * another in one array, and per field where its colon and its value's end lie. No header map, no string or entry per
 * field: a lookup compares names in place (a head has tens of fields, a scan is cheaper than hashing each of them),
 * and {@link UpstreamHead} writes the fields that cross the hop by copying runs of these lines.
 *
 * <p>Read-only, as Netty's {@code ReadOnlyHttpHeaders}: nothing in the proxy changes a client's head, it writes the
 * target's head from it; every mutator throws {@link UnsupportedOperationException}. Values read as Strings decode
 * each byte as one char (ISO-8859-1), as a header map of the same bytes would. Internal.
 */
final class RequestFields extends HttpHeaders {
    /** A head with no fields (an HTTP/1.0 request may have none). */
    static final RequestFields NONE = new RequestFields(new byte[0], new int[0], 0);

    private final byte[] bytes;
    private final int[] at; // per field: its colon's index, then its value's end (its CRLF's start)
    private final int count;

    /** Takes the arrays as they are (the parser hands over copies and never touches them again). */
    RequestFields(byte[] bytes, int[] at, int count) {
        this.bytes = bytes;
        this.at = at;
        this.count = count;
    }

    byte[] bytes() {
        return bytes;
    }

    /** Where field {@code i}'s line (its name) starts. */
    int start(int i) {
        return i == 0 ? 0 : at[2 * i - 1] + 2;
    }

    /** Where field {@code i}'s name ends (its colon). */
    int nameEnd(int i) {
        return at[2 * i];
    }

    /** Where field {@code i}'s line ends (just past its CRLF), which is where the next one starts. */
    int end(int i) {
        return at[2 * i + 1] + 2;
    }

    /** How many bytes the lines take in all. */
    int length() {
        return count == 0 ? 0 : end(count - 1);
    }

    /**
     * Which fields a field named {@code listName} (the {@code Connection} header) has among its comma-separated
     * tokens (any case, whitespace around them trimmed): one flag per field, or null when no field has that name.
     * Computed once per head, not once per field.
     */
    boolean[] listedBy(AsciiString listName) {
        boolean[] listed = null;
        for (int k = indexOf(listName, 0); k >= 0; k = indexOf(listName, k + 1)) {
            if (listed == null) listed = new boolean[count];
            for (int i = 0; i < count; i++) {
                if (!listed[i] && HeadBytes.listHas(bytes, valueStart(k), valueEnd(k), start(i), at[2 * i])) listed[i] = true;
            }
        }
        return listed;
    }

    private int valueStart(int i) {
        return at[2 * i] + 2;
    }

    private int valueEnd(int i) {
        return at[2 * i + 1];
    }

    private boolean nameIs(int i, CharSequence name) {
        int s = start(i);
        int len = at[2 * i] - s;
        if (len != name.length()) return false;
        for (int k = 0; k < len; k++) {
            int x = bytes[s + k];
            int y = name.charAt(k);
            if (x != y && lower(x) != lower(y)) return false;
        }
        return true;
    }

    private static int lower(int c) {
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    }

    private int indexOf(CharSequence name, int from) {
        for (int i = from; i < count; i++) if (nameIs(i, name)) return i;
        return -1;
    }

    private String name(int i) {
        int s = start(i);
        return new String(bytes, s, at[2 * i] - s, StandardCharsets.ISO_8859_1);
    }

    private String value(int i) {
        return new String(bytes, valueStart(i), valueEnd(i) - valueStart(i), StandardCharsets.ISO_8859_1);
    }

    private AsciiString nameView(int i) {
        int s = start(i);
        return new AsciiString(bytes, s, at[2 * i] - s, false);
    }

    private AsciiString valueView(int i) {
        return new AsciiString(bytes, valueStart(i), valueEnd(i) - valueStart(i), false);
    }

    @Override
    public String get(String name) {
        return get((CharSequence) name);
    }

    @Override
    public String get(CharSequence name) {
        int i = indexOf(name, 0);
        return i < 0 ? null : value(i);
    }

    @Override
    public Integer getInt(CharSequence name) {
        String v = get(name);
        if (v == null) return null;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public int getInt(CharSequence name, int defaultValue) {
        Integer v = getInt(name);
        return v == null ? defaultValue : v;
    }

    @Override
    public Short getShort(CharSequence name) {
        String v = get(name);
        if (v == null) return null;
        try {
            return Short.parseShort(v);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public short getShort(CharSequence name, short defaultValue) {
        Short v = getShort(name);
        return v == null ? defaultValue : v;
    }

    @Override
    public Long getTimeMillis(CharSequence name) {
        String v = get(name);
        Date d = v == null ? null : DateFormatter.parseHttpDate(v);
        return d == null ? null : d.getTime();
    }

    @Override
    public long getTimeMillis(CharSequence name, long defaultValue) {
        Long v = getTimeMillis(name);
        return v == null ? defaultValue : v;
    }

    @Override
    public List<String> getAll(String name) {
        return getAll((CharSequence) name);
    }

    @Override
    public List<String> getAll(CharSequence name) {
        int i = indexOf(name, 0);
        if (i < 0) return Collections.emptyList();
        List<String> all = new ArrayList<>(2);
        for (; i >= 0; i = indexOf(name, i + 1)) all.add(value(i));
        return all;
    }

    @Override
    public List<Map.Entry<String, String>> entries() {
        List<Map.Entry<String, String>> all = new ArrayList<>(count);
        for (int i = 0; i < count; i++) all.add(new AbstractMap.SimpleImmutableEntry<>(name(i), value(i)));
        return all;
    }

    @Override
    public boolean contains(String name) {
        return indexOf(name, 0) >= 0;
    }

    @Override
    public boolean contains(CharSequence name) {
        return indexOf(name, 0) >= 0;
    }

    @Override
    public Iterator<Map.Entry<String, String>> iterator() {
        return entries().iterator();
    }

    /** The fields in order, each name and value a view of these bytes (no copy). */
    @Override
    public Iterator<Map.Entry<CharSequence, CharSequence>> iteratorCharSequence() {
        return new Iterator<>() {
            private int i;

            @Override
            public boolean hasNext() {
                return i < count;
            }

            @Override
            public Map.Entry<CharSequence, CharSequence> next() {
                if (i >= count) throw new NoSuchElementException();
                int k = i++;
                return new AbstractMap.SimpleImmutableEntry<>(nameView(k), valueView(k));
            }
        };
    }

    /** The values of the fields named {@code name} (any case), in order, each a view of these bytes. */
    @Override
    public Iterator<CharSequence> valueCharSequenceIterator(CharSequence name) {
        return new Iterator<>() {
            private int next = indexOf(name, 0);

            @Override
            public boolean hasNext() {
                return next >= 0;
            }

            @Override
            public CharSequence next() {
                if (next < 0) throw new NoSuchElementException();
                int k = next;
                next = indexOf(name, k + 1);
                return valueView(k);
            }
        };
    }

    @Override
    public Iterator<String> valueStringIterator(CharSequence name) {
        return getAll(name).iterator();
    }

    @Override
    public boolean isEmpty() {
        return count == 0;
    }

    @Override
    public int size() {
        return count;
    }

    /** The names as sent, each once (ignoring case: the first spelling), in order. */
    @Override
    public Set<String> names() {
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < count; i++) if (indexOf(nameView(i), 0) == i) names.add(name(i));
        return names;
    }

    @Override
    public HttpHeaders add(String name, Object value) {
        throw readOnly();
    }

    @Override
    public HttpHeaders add(String name, Iterable<?> values) {
        throw readOnly();
    }

    @Override
    public HttpHeaders addInt(CharSequence name, int value) {
        throw readOnly();
    }

    @Override
    public HttpHeaders addShort(CharSequence name, short value) {
        throw readOnly();
    }

    @Override
    public HttpHeaders set(String name, Object value) {
        throw readOnly();
    }

    @Override
    public HttpHeaders set(String name, Iterable<?> values) {
        throw readOnly();
    }

    @Override
    public HttpHeaders setInt(CharSequence name, int value) {
        throw readOnly();
    }

    @Override
    public HttpHeaders setShort(CharSequence name, short value) {
        throw readOnly();
    }

    @Override
    public HttpHeaders remove(String name) {
        throw readOnly();
    }

    @Override
    public HttpHeaders clear() {
        throw readOnly();
    }

    private static UnsupportedOperationException readOnly() {
        return new UnsupportedOperationException("a client's request fields are read-only");
    }
}
