package io.switchyard.dataplane.accesslog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The access log's writer: batches, loses nothing it accepted, never makes a caller wait, formats exactly. */
class AccessLogWriterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static AccessLog.Request request(long millis, String path, int status) {
        return new AccessLog.Request(millis, "id-" + status, "127.0.0.1:5000", "GET", "example.com", path, "HTTP/1.1", status,
                "r", "u", "127.0.0.1:9000", 0, 12, -1, 3, 4, null);
    }

    /** Counts write calls and keeps the bytes; synchronized because the writer thread writes while the test reads. */
    private static final class CountingStream extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final AtomicInteger writes = new AtomicInteger();

        @Override
        public synchronized void write(int b) {
            writes.incrementAndGet();
            bytes.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            writes.incrementAndGet();
            bytes.write(b, off, len);
        }

        synchronized List<String> lines() {
            String s = bytes.toString(StandardCharsets.UTF_8);
            List<String> out = new ArrayList<>();
            for (String l : s.split("\n", -1)) if (!l.isEmpty()) out.add(l);
            return out;
        }
    }

    @Test
    void linesOfABusyMomentGoOutInAFewLargeWritesAndCloseWritesEveryLineAccepted() throws Exception {
        CountingStream out = new CountingStream();
        AccessLog log = new AccessLog(AccessLog.Format.JSON, out, true);
        int n = 20_000;
        long t = Instant.parse("2026-11-26T22:44:09.123Z").toEpochMilli();
        for (int i = 0; i < n; i++) log.log(request(t + i, "/p/" + i, 200));
        log.close();
        List<String> lines = out.lines();
        assertThat(log.dropped()).isZero();
        assertThat(lines).hasSize(n);
        for (int i = 0; i < n; i += 997) {
            JsonNode j = JSON.readTree(lines.get(i));
            assertThat(j.get("path").asText()).isEqualTo("/p/" + i);
            assertThat(Instant.parse(j.get("time").asText()).toEpochMilli()).isEqualTo(t + i);
        }
        // 20,000 lines of about 330 bytes: a write per line would be 20,000 writes; in pieces of 64 KiB about 100.
        assertThat(out.writes.get()).isLessThan(n / 50);
    }

    @Test
    void aLineReachesTheStreamWithinAFractionOfASecondWithoutClose() throws Exception {
        CountingStream out = new CountingStream();
        AccessLog log = new AccessLog(AccessLog.Format.TEXT, out, true);
        try {
            // Nothing logged yet: the writer parks for its idle interval, the longest wait a line can meet.
            await().atMost(Duration.ofSeconds(5)).until(() -> log.writer.getState() == Thread.State.TIMED_WAITING);
            long offered = System.nanoTime();
            long ended = System.currentTimeMillis();
            log.log(request(ended, "/late", 204));
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(() -> out.lines().size() == 1);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - offered);
            assertThat(ms).as("ms until the line was written").isLessThan(AccessLog.IDLE_PARK_MS * 5);
            String line = out.lines().get(0);
            String when = line.substring(0, line.indexOf(' '));
            assertThat(when).as("UTC time with milliseconds first").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
            assertThat(Instant.parse(when).toEpochMilli()).isEqualTo(ended);
            assertThat(line.substring(when.length() + 1)).isEqualTo("127.0.0.1:5000 \"GET /late HTTP/1.1\" 204 host=example.com "
                    + "route=r target=127.0.0.1:9000 bytes_in=0 bytes_out=12 duration_ms=4 request_id=id-204");
        } finally {
            log.close();
        }
    }

    @Test
    void aWriterStuckOnItsStreamNeverMakesTheCallerWaitAndWhatDidNotFitIsCounted() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        CountingStream kept = new CountingStream();
        OutputStream stuck = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                blocked.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                kept.write(b, off, len);
            }
        };
        AccessLog log = new AccessLog(AccessLog.Format.TEXT, stuck, true);
        log.log(request(1, "/first", 200));
        assertThat(blocked.await(5, TimeUnit.SECONDS)).as("the writer is inside write()").isTrue();
        int offered = 100_000; // more than the queue holds
        long start = System.nanoTime();
        for (int i = 0; i < offered; i++) log.log(request(1, "/x", 200));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(ms).as("ms to offer %d entries to a stuck writer", offered).isLessThan(5_000);
        assertThat(log.dropped()).isPositive();
        release.countDown();
        log.close();
        assertThat(kept.lines()).hasSize(1 + offered - (int) log.dropped());
    }

    @Test
    void jsonEscapesControlCharactersAndKeepsUtf8AndMillisecondsAndNulls() throws Exception {
        CountingStream out = new CountingStream();
        AccessLog log = new AccessLog(AccessLog.Format.JSON, out, true);
        long t = Instant.parse("2026-01-02T03:04:05Z").toEpochMilli(); // no milliseconds: still written as .000
        log.log(new AccessLog.Request(t, null, "[::1]:1", "GET", "h\u00e9.example", "/a\"b\\c\u0001\u007f\u00fc\u20ac\ud83d\ude00",
                "HTTP/1.1", 502, null, null, null, -0, 0, -1, -1, 0, "tab\there"));
        log.close();
        String line = out.lines().get(0);
        assertThat(line).contains("\"time\":\"2026-01-02T03:04:05.000Z\"");
        assertThat(line).contains("\\u0001").contains("\\u007f").contains("\\t".replace("\\t", "\\u0009"));
        JsonNode j = JSON.readTree(line);
        assertThat(j.get("path").asText()).isEqualTo("/a\"b\\c\u0001\u007f\u00fc\u20ac\ud83d\ude00");
        assertThat(j.get("host").asText()).isEqualTo("h\u00e9.example");
        assertThat(j.get("request_id").isNull()).isTrue();
        assertThat(j.get("upstream_connect_ms").isNull()).isTrue();
        assertThat(j.get("note").asText()).isEqualTo("tab\there");
        assertThat(Instant.parse(j.get("time").asText()).toEpochMilli()).isEqualTo(t);
    }
}
