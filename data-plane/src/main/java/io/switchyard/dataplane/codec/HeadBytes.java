package io.switchyard.dataplane.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * Byte-level pieces of the proxy's two HTTP/1 parsers (the client's requests and the targets' responses): what a
 * token character is, how a framing value reads, how a chunk-size line reads. They compare bytes in place, ignoring
 * case where HTTP does, and never allocate. Stateless. Internal.
 */
public final class HeadBytes {
    /** {@link #chunkSize} of a line that is no chunk size. */
    public static final long MALFORMED = -1;
    /** {@link #chunkSize} of a size with more than 15 hex digits. */
    public static final long TOO_LARGE = -2;

    private HeadBytes() {
    }

    /** The most bytes of a read a parser copies into its {@link #pieces()} array at a time. */
    public static final int PIECE = 1024;
    private static final int FIRST_PIECE = 128;

    /**
     * What a head parser does with the bytes of a read ({@link #stepAll}): a run of plain bytes in one copy, or one byte
     * with every check of its own. Two parsers implement it (requests and responses), so the calls stay inlinable.
     */
    public interface Steps {
        /** Takes plain bytes from {@code piece[k]}, before {@code n}, in one copy: how many, 0 when that byte needs its step. */
        int plainRun(byte[] piece, int k, int n);

        /** One byte with its checks; false stops the pass (a problem, or where the parser takes over: a body). */
        boolean step(byte b);
    }

    /**
     * A per-thread array for one parser class to copy a read into ({@link #stepAll}). One per parser class, so that no
     * parser's pass can overwrite another's piece on the same thread.
     */
    public static FastThreadLocal<byte[]> pieces() {
        return new FastThreadLocal<>() {
            @Override
            protected byte[] initialValue() {
                return new byte[PIECE];
            }
        };
    }

    /**
     * Steps {@code buf[from, to)} through {@code steps} until a step returns false: that byte's index, or -1 if none did.
     * The read is copied into {@code piece} a piece at a time and stepped in this loop: {@code ByteBuf.forEachByte} would
     * call a {@code ByteProcessor} per byte through one call site that every processor in the process shares (a virtual
     * call per byte, never inlined). A piece is 128 bytes, then as many as were stepped, up to {@link #PIECE}: a pass that
     * stops early (at a head's end, at a chunk's data) has copied at most 128 bytes more than it stepped, so a body of many
     * tiny chunks costs no kilobyte copy per chunk.
     */
    public static int stepAll(ByteBuf buf, int from, int to, byte[] piece, Steps steps) {
        for (int i = from; i < to; ) {
            int n = Math.min(to - i, Math.min(PIECE, Math.max(FIRST_PIECE, i - from)));
            buf.getBytes(i, piece, 0, n);
            for (int k = 0; k < n; ) {
                int run = steps.plainRun(piece, k, n);
                if (run > 0) {
                    k += run;
                } else if (steps.step(piece[k])) {
                    k++;
                } else {
                    return i + k;
                }
            }
            i += n;
        }
        return -1;
    }

    /** Where the run of plain bytes from {@code piece[k]} ends: the first control byte or HTAB before {@code end}, or {@code end}. */
    public static int plainEnd(byte[] piece, int k, int end) {
        int j = k;
        while (j < end && !isControlOrTab(piece[j])) j++;
        return j;
    }

    private static final boolean[] TCHAR = new boolean[128];

    static {
        for (int c = 0; c < 128; c++) {
            TCHAR[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
        }
    }

    /** RFC 9110 5.6.2 tchar (a table: it is asked once per byte of every field name). */
    public static boolean isTchar(byte b) {
        return b >= 0 && TCHAR[b];
    }

    /**
     * A byte no head may carry: a control character other than HTAB, or DEL. A byte is signed, so 0x80-0xFF
     * (obs-text, which field values may carry, RFC 9110 5.5) reads as negative and is none.
     */
    public static boolean isControl(byte b) {
        return (b >= 0 && b < 0x20 && b != '\t') || b == 0x7f;
    }

    /** {@link #isControl} or HTAB: the bytes a head line stores only after a check of their own (CR and LF among them). */
    public static boolean isControlOrTab(byte b) {
        return (b >= 0 && b < 0x20) || b == 0x7f;
    }

    public static int hex(byte b) {
        if (b >= '0' && b <= '9') return b - '0';
        if (b >= 'a' && b <= 'f') return b - 'a' + 10;
        if (b >= 'A' && b <= 'F') return b - 'A' + 10;
        return -1;
    }

    /** The first index of {@code b} in {@code a[from, to)}, or -1. */
    public static int indexOf(byte[] a, byte b, int from, int to) {
        for (int i = from; i < to; i++) if (a[i] == b) return i;
        return -1;
    }

    /** Whether {@code a[at, to)} starts with the ASCII {@code s}. */
    public static boolean startsWith(byte[] a, int at, int to, String s) {
        if (at + s.length() > to) return false;
        for (int i = 0; i < s.length(); i++) if (a[at + i] != s.charAt(i)) return false;
        return true;
    }

    /** Whether {@code a[from, to)} equals the lower-case {@code lower}, ignoring case. */
    public static boolean equalsLower(byte[] a, int from, int to, CharSequence lower) {
        if (to - from != lower.length()) return false;
        for (int i = from; i < to; i++) {
            byte b = a[i];
            if (b >= 'A' && b <= 'Z') b += 32;
            if (b != lower.charAt(i - from)) return false;
        }
        return true;
    }

    /** Whether {@code a[from, to)} equals {@code name}, ignoring case (names compared in place, no lower-cased copy). */
    public static boolean equalsIgnoreCase(byte[] a, int from, int to, AsciiString name) {
        if (to - from != name.length()) return false;
        for (int i = from; i < to; i++) {
            byte x = a[i];
            byte y = name.byteAt(i - from);
            if (x != y && lower(x) != lower(y)) return false;
        }
        return true;
    }

    /** The start of {@code a[from, to)} without its leading OWS (SP, HTAB). */
    public static int trimStart(byte[] a, int from, int to) {
        while (from < to && (a[from] == ' ' || a[from] == '\t')) from++;
        return from;
    }

    /** The end of {@code a[from, to)} without its trailing OWS. */
    public static int trimEnd(byte[] a, int from, int to) {
        while (to > from && (a[to - 1] == ' ' || a[to - 1] == '\t')) to--;
        return to;
    }

    /** Whether the value {@code a[from, to)}, OWS trimmed, equals the lower-case {@code lower}, ignoring case. */
    public static boolean valueIs(byte[] a, int from, int to, String lower) {
        int s = trimStart(a, from, to);
        return equalsLower(a, s, trimEnd(a, s, to), lower);
    }

    /** 1*DIGIT with OWS around, at most 18 digits; -1 otherwise (signs, lists, spaces inside). */
    public static long digits(byte[] a, int from, int to) {
        int s = trimStart(a, from, to);
        int z = trimEnd(a, s, to);
        if (s == z || z - s > 18) return -1;
        long v = 0;
        for (int i = s; i < z; i++) {
            if (a[i] < '0' || a[i] > '9') return -1;
            v = v * 10 + (a[i] - '0');
        }
        return v;
    }

    /**
     * A chunk-size line ({@code 1*HEXDIG [OWS] [; extensions]}, RFC 9112 7.1): the size, or {@link #MALFORMED}, or
     * {@link #TOO_LARGE} beyond 15 hex digits.
     */
    public static long chunkSize(byte[] a, int len) {
        int i = 0;
        long size = 0;
        while (i < len && hex(a[i]) >= 0) {
            if (i >= 15) return TOO_LARGE;
            size = size * 16 + hex(a[i]);
            i++;
        }
        if (i == 0) return MALFORMED;
        i = trimStart(a, i, len);
        if (i < len && a[i] != ';') return MALFORMED;
        return size;
    }

    /** Whether one of the comma-separated tokens in {@code a[from, to)} equals {@code a[nameFrom, nameTo)}, ignoring case. */
    public static boolean listHas(byte[] a, int from, int to, int nameFrom, int nameTo) {
        int start = from;
        while (start <= to) {
            int comma = indexOf(a, (byte) ',', start, to);
            int end = comma < 0 ? to : comma;
            int s = trimStart(a, start, end);
            int z = trimEnd(a, s, end);
            if (z - s == nameTo - nameFrom && regionEqualsIgnoreCase(a, s, nameFrom, z - s)) return true;
            if (comma < 0) return false;
            start = comma + 1;
        }
        return false;
    }

    /** Whether one of the comma-separated tokens in {@code a[from, to)} is the lower-case {@code lower}, ignoring case. */
    public static boolean listHas(byte[] a, int from, int to, String lower) {
        int start = from;
        while (start <= to) {
            int comma = indexOf(a, (byte) ',', start, to);
            int end = comma < 0 ? to : comma;
            int s = trimStart(a, start, end);
            if (equalsLower(a, s, trimEnd(a, s, end), lower)) return true;
            if (comma < 0) return false;
            start = comma + 1;
        }
        return false;
    }

    /**
     * A parser leaving its pipeline hands on the bytes it held: as they came, to the handler after it (a switch to a
     * tunnel), or released when the connection is gone.
     */
    public static void handOn(ChannelHandlerContext ctx, ByteBuf held) {
        if (held == null) return;
        if (ctx.channel().isActive()) {
            ctx.fireChannelRead(held);
            ctx.fireChannelReadComplete();
        } else {
            held.release();
        }
    }

    private static byte lower(byte b) {
        return b >= 'A' && b <= 'Z' ? (byte) (b + 32) : b;
    }

    private static boolean regionEqualsIgnoreCase(byte[] a, int x, int y, int len) {
        for (int i = 0; i < len; i++) {
            byte p = a[x + i];
            byte q = a[y + i];
            if (p != q && lower(p) != lower(q)) return false;
        }
        return true;
    }
}
