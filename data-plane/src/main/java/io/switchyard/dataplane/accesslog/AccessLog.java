package io.switchyard.dataplane.accesslog;

import io.netty.util.internal.PlatformDependent;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The access log: one line per request and per tunnel, as text or JSON, to stdout or a file, or off. An event loop
 * only builds a small record and offers it to a bounded lock-free queue: it never waits, never wakes another thread
 * and makes no system call for the log (when the writer falls behind, the entry is dropped and counted). One writer
 * thread of its own wakes every {@link #BUSY_PARK_MS} ms while there is traffic ({@link #IDLE_PARK_MS} ms when idle),
 * formats whatever is queued as bytes into one buffer and writes it with one system call per
 * {@link #CHUNK} bytes, so a busy proxy pays a few writes a second instead of a wake-up and a write per line. A line
 * is on disk at most about {@link #IDLE_PARK_MS} ms after its request ended; closing writes everything queued.
 * Thread-safe.
 */
public final class AccessLog implements AutoCloseable {
    /** Line format ({@code --access-log-format}). */
    public enum Format { TEXT, JSON }

    /** One answered request. Times in ms; -1 where not applicable (no upstream). Bytes are body bytes. */
    public record Request(long timeMillis, String requestId, String client, String method, String host, String path,
                          String protocol, int status, String route, String upstream, String target, long bytesIn,
                          long bytesOut, long upstreamConnectMs, long upstreamFirstByteMs, long durationMs, String note) {
    }

    /** One tunnel that ended. {@code closeCode} -1 when no close frame was seen; {@code closedBy}: client, upstream, proxy. */
    public record Tunnel(long timeMillis, String requestId, String client, String host, String path, String route,
                         String upstream, String target, long bytesIn, long bytesOut, long durationMs, int closeCode,
                         String closeReason, String closedBy) {
    }

    public static final AccessLog OFF = new AccessLog();
    private static final int QUEUE = 65_536;
    /** How long the writer sleeps between batches while lines keep coming, and when none came in the last batch. */
    static final long BUSY_PARK_MS = 20;
    static final long IDLE_PARK_MS = 100;
    /** Bytes formatted before they are written out within one batch. */
    static final int CHUNK = 64 * 1024;

    private final Format format;
    private final Queue<Object> queue;
    private final OutputStream out;
    /** The writer thread (package-private: a test waits for it to park). */
    final Thread writer;
    private final LongAdder dropped = new LongAdder();
    private volatile boolean closing;
    private final boolean ownsStream;

    private AccessLog() {
        this.ownsStream = false;
        this.format = Format.TEXT;
        this.queue = null;
        this.out = null;
        this.writer = null;
    }

    AccessLog(Format format, OutputStream stream, boolean ownsStream) {
        this.format = format;
        this.ownsStream = ownsStream;
        this.queue = PlatformDependent.newFixedMpscQueue(QUEUE);
        this.out = stream;
        this.writer = new Thread(this::drain, "switchyard-access-log");
        this.writer.setDaemon(true);
        this.writer.start();
    }

    /**
     * @param destination {@code stdout}, {@code off}, or a file path (appended to, created 0600 when new)
     * @throws IllegalArgumentException with a one-line message when the file cannot be opened
     */
    public static AccessLog open(String destination, Format format) {
        if (destination == null || destination.equals("stdout")) return new AccessLog(format, System.out, false);
        if (destination.equals("off")) return OFF;
        Path p = Path.of(destination);
        try {
            if (!Files.exists(p)) {
                Files.createFile(p);
                try {
                    Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException ignored) {
                    // not a POSIX file system
                }
            }
            return new AccessLog(format, Files.newOutputStream(p, StandardOpenOption.APPEND), true);
        } catch (IOException e) {
            throw new IllegalArgumentException("--access-log " + destination + ": cannot open (" + e.getMessage() + ")");
        }
    }

    /** Whether entries are written (callers build nothing when not). */
    public boolean on() {
        return queue != null;
    }

    public Format format() {
        return format;
    }

    /** Entries dropped because the writer fell behind. */
    public long dropped() {
        return dropped.sum();
    }

    public void log(Request r) {
        offer(r);
    }

    public void log(Tunnel t) {
        offer(t);
    }

    private void offer(Object entry) {
        if (queue == null || closing) return;
        if (!queue.offer(entry)) dropped.increment();
    }

    private void drain() {
        LineBuffer b = new LineBuffer(CHUNK + 4096);
        try {
            while (true) {
                // Read before draining: whatever was offered before close() set the flag is written by this batch.
                boolean last = closing;
                int lines = 0;
                for (Object e; (e = queue.poll()) != null; lines++) {
                    if (e instanceof Request r) formatRequest(b, r);
                    else formatTunnel(b, (Tunnel) e);
                    b.append('\n');
                    if (b.size() >= CHUNK) b.writeTo(out);
                }
                if (b.size() > 0) b.writeTo(out);
                if (lines > 0) out.flush();
                if (last) return;
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(lines > 0 ? BUSY_PARK_MS : IDLE_PARK_MS));
            }
        } catch (IOException e) {
            System.err.println("switchyard: access log write failed, logging stops: " + e.getMessage());
        }
    }

    void formatRequest(LineBuffer b, Request r) {
        if (format == Format.JSON) {
            b.append('{');
            b.append("\"time\":\"");
            time(b, r.timeMillis()).append("\",");
            field(b, "type", "request").append(',');
            field(b, "request_id", r.requestId()).append(',');
            field(b, "client", r.client()).append(',');
            field(b, "method", r.method()).append(',');
            field(b, "host", r.host()).append(',');
            field(b, "path", r.path()).append(',');
            field(b, "protocol", r.protocol()).append(',');
            number(b, "status", r.status()).append(',');
            field(b, "route", r.route()).append(',');
            field(b, "upstream", r.upstream()).append(',');
            field(b, "target", r.target()).append(',');
            number(b, "bytes_in", r.bytesIn()).append(',');
            number(b, "bytes_out", r.bytesOut()).append(',');
            optional(b, "upstream_connect_ms", r.upstreamConnectMs()).append(',');
            optional(b, "upstream_first_byte_ms", r.upstreamFirstByteMs()).append(',');
            number(b, "duration_ms", r.durationMs());
            if (r.note() != null) field(b.append(','), "note", r.note());
            b.append('}');
            return;
        }
        time(b, r.timeMillis()).append(' ').append(r.client()).append(" \"").append(r.method()).append(' ').append(r.path()).append(' ').append(r.protocol())
                .append("\" ").append(r.status()).append(" host=").append(dash(r.host())).append(" route=").append(dash(r.route()))
                .append(" target=").append(dash(r.target())).append(" bytes_in=").append(r.bytesIn()).append(" bytes_out=")
                .append(r.bytesOut()).append(" duration_ms=").append(r.durationMs()).append(" request_id=").append(dash(r.requestId()));
        if (r.note() != null) b.append(" note=\"").append(r.note()).append('"');
    }

    void formatTunnel(LineBuffer b, Tunnel t) {
        if (format == Format.JSON) {
            b.append('{');
            b.append("\"time\":\"");
            time(b, t.timeMillis()).append("\",");
            field(b, "type", "tunnel").append(',');
            field(b, "request_id", t.requestId()).append(',');
            field(b, "client", t.client()).append(',');
            field(b, "method", "GET").append(',');
            field(b, "host", t.host()).append(',');
            field(b, "path", t.path()).append(',');
            number(b, "status", 101).append(',');
            field(b, "route", t.route()).append(',');
            field(b, "upstream", t.upstream()).append(',');
            field(b, "target", t.target()).append(',');
            number(b, "bytes_in", t.bytesIn()).append(',');
            number(b, "bytes_out", t.bytesOut()).append(',');
            number(b, "duration_ms", t.durationMs()).append(',');
            optional(b, "close_code", t.closeCode()).append(',');
            field(b, "close_reason", t.closeReason()).append(',');
            field(b, "closed_by", t.closedBy());
            b.append('}');
            return;
        }
        time(b, t.timeMillis()).append(' ').append(t.client()).append(" tunnel ").append(t.path()).append(" route=").append(dash(t.route())).append(" target=")
                .append(dash(t.target())).append(" duration_ms=").append(t.durationMs()).append(" bytes_from_client=")
                .append(t.bytesIn()).append(" bytes_from_upstream=").append(t.bytesOut()).append(" close=").append(t.closeReason())
                .append(" close_code=").append(t.closeCode() < 0 ? "-" : Integer.toString(t.closeCode())).append(" closed_by=")
                .append(t.closedBy()).append(" request_id=").append(dash(t.requestId()));
    }

    private static String dash(String s) {
        return s == null ? "-" : s;
    }

    private static LineBuffer field(LineBuffer b, String name, String value) {
        b.append('"').append(name).append("\":");
        if (value == null) return b.append("null");
        b.append('"');
        int from = 0; // start of the run copied as it is (non-ASCII text included, surrogate pairs kept whole)
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c != '"' && c != '\\' && c >= 0x20 && c != 0x7f) continue;
            b.append(value, from, i);
            from = i + 1;
            if (c == '"') b.append("\\\"");
            else if (c == '\\') b.append("\\\\");
            else b.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
        }
        return b.append(value, from, value.length()).append('"');
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** {@code 2026-11-26T22:44:09.123Z} (UTC, always with milliseconds); the date and time of day are made once a second. */
    private String timeSecondText;
    private long timeSecond = Long.MIN_VALUE;

    private LineBuffer time(LineBuffer b, long millis) {
        long second = Math.floorDiv(millis, 1000);
        if (second != timeSecond) {
            timeSecondText = DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(LocalDateTime.ofEpochSecond(second, 0, ZoneOffset.UTC));
            timeSecond = second;
        }
        int ms = (int) Math.floorMod(millis, 1000);
        return b.append(timeSecondText).append('.').append((char) ('0' + ms / 100))
                .append((char) ('0' + ms / 10 % 10)).append((char) ('0' + ms % 10)).append('Z');
    }

    private static LineBuffer number(LineBuffer b, String name, long value) {
        return b.append('"').append(name).append("\":").append(value);
    }

    private static LineBuffer optional(LineBuffer b, String name, long value) {
        b.append('"').append(name).append("\":");
        return value < 0 ? b.append("null") : b.append(value);
    }

    /** Writes what is queued, then stops the writer. */
    @Override
    public void close() {
        if (queue == null) return;
        closing = true;
        LockSupport.unpark(writer);
        try {
            writer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            // stdout stays open for the rest of the process; a file of our own is closed
            if (ownsStream) out.close();
            else out.flush();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
