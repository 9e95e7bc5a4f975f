package io.switchyard.dataplane.accesslog;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The access log writer's one buffer: lines are formatted straight into bytes (UTF-8; what the proxy logs is almost
 * always ASCII, copied a byte per char) and written out in large pieces. The {@code append} methods read like
 * {@link StringBuilder}'s, {@code null} included. Used by the writer thread only.
 */
final class LineBuffer {
    private byte[] bytes;
    private int size;

    LineBuffer(int capacity) {
        bytes = new byte[capacity];
    }

    int size() {
        return size;
    }

    LineBuffer append(char c) {
        if (c < 0x80) {
            ensure(1);
            bytes[size++] = (byte) c;
            return this;
        }
        return append(String.valueOf(c));
    }

    LineBuffer append(String s) {
        return s == null ? append("null", 0, 4) : append(s, 0, s.length());
    }

    /** Chars {@code from} to {@code to} of {@code s}, UTF-8 encoded (a surrogate pair must not be split by the range). */
    LineBuffer append(String s, int from, int to) {
        int n = to;
        ensure(n - from);
        int i = from;
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) break;
            bytes[size++] = (byte) c;
        }
        if (i < n) {
            byte[] rest = s.substring(i, n).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ensure(rest.length);
            System.arraycopy(rest, 0, bytes, size, rest.length);
            size += rest.length;
        }
        return this;
    }

    LineBuffer append(long v) {
        if (v < 0) {
            if (v == Long.MIN_VALUE) return append(Long.toString(v));
            append('-');
            v = -v;
        }
        ensure(20);
        int start = size;
        do {
            bytes[size++] = (byte) ('0' + v % 10);
            v /= 10;
        } while (v != 0);
        for (int i = start, j = size - 1; i < j; i++, j--) {
            byte t = bytes[i];
            bytes[i] = bytes[j];
            bytes[j] = t;
        }
        return this;
    }

    /** Writes what is buffered and empties the buffer. */
    void writeTo(OutputStream out) throws IOException {
        out.write(bytes, 0, size);
        size = 0;
    }

    private void ensure(int more) {
        if (size + more > bytes.length) bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
    }
}
