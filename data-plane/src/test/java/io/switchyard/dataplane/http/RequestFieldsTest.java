package io.switchyard.dataplane.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.switchyard.dataplane.status.Metrics;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A client's fields are kept as the head's bytes ({@link RequestFields}), not a header map: every read the proxy and
 * Netty's helpers make must answer as Netty's map of the same fields does (a differential check against
 * {@link DefaultHttpHeaders} filled with the decoded names and values), and the lines must be the fields as they are
 * relayed.
 */
class RequestFieldsTest {
    private static final String HEAD = "GET /p?q=1 HTTP/1.1\r\n"
            + "Host: example.test\r\n"
            + "connection:   keep-alive, X-Drop  \r\n"
            + "Accept: text/html\r\n"
            + "X-Multi: one\r\n"
            + "x-multi:two,\tthree\r\n"
            + "Content-Length: 0\r\n"
            + "X-Empty:\r\n"
            + "X-Num: 42\r\n"
            + "X-Bad-Num: 4x2\r\n"
            + "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            + "X-Obs: caf\u00e9\r\n"
            + "X-Drop: gone\r\n"
            + "\r\n";

    private static ClientRequest parse(String head) {
        EmbeddedChannel ch = new EmbeddedChannel(new HeadGuardHandler(10_000, new Metrics(), null));
        try {
            ch.writeInbound(Unpooled.copiedBuffer(head, StandardCharsets.ISO_8859_1));
            ClientRequest req = ch.readInbound();
            Object end = ch.readInbound();
            assertThat(end).isInstanceOf(LastHttpContent.class);
            return req;
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** Netty's map of the same decoded fields, in the same order. */
    private static HttpHeaders map(HttpHeaders fields) {
        HttpHeaders m = new DefaultHttpHeaders(false);
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = fields.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            m.add(e.getKey().toString(), e.getValue().toString());
        }
        return m;
    }

    @Test
    void every_read_answers_as_nettys_header_map_of_the_same_fields() {
        ClientRequest req = parse(HEAD);
        RequestFields f = req.headers();
        HttpHeaders m = map(f);
        assertThat(f.size()).isEqualTo(12).isEqualTo(m.size());
        assertThat(f.isEmpty()).isFalse();
        for (String name : List.of("host", "HOST", "Connection", "x-multi", "X-MULTI", "X-Empty", "missing", "x-num", "X-Obs", "Accept-")) {
            AsciiString cached = AsciiString.cached(name);
            assertThat(f.get(name)).as(name).isEqualTo(m.get(name));
            assertThat(f.get(cached)).as(name).isEqualTo(m.get(cached));
            assertThat(f.getAll(name)).as(name).isEqualTo(m.getAll(name));
            assertThat(f.getAll(cached)).as(name).isEqualTo(m.getAll(cached));
            assertThat(f.contains(name)).as(name).isEqualTo(m.contains(name));
            assertThat(f.contains(cached)).as(name).isEqualTo(m.contains(cached));
            List<String> values = new ArrayList<>();
            f.valueCharSequenceIterator(cached).forEachRemaining(v -> values.add(v.toString()));
            assertThat(values).as(name).isEqualTo(m.getAll(name));
            assertThat(f.getInt(name)).as(name).isEqualTo(m.getInt(name));
        }
        assertThat(f.getInt("X-Num")).isEqualTo(42);
        assertThat(f.getInt("X-Bad-Num", 7)).isEqualTo(7).isEqualTo(m.getInt("X-Bad-Num", 7));
        assertThat(f.getTimeMillis(HttpHeaderNames.IF_MODIFIED_SINCE)).isEqualTo(784111777000L)
                .isEqualTo(m.getTimeMillis(HttpHeaderNames.IF_MODIFIED_SINCE));
        assertThat(f.get("X-Obs")).isEqualTo("caf\u00e9");
        assertThat(f.entries()).isEqualTo(m.entries());
        assertThat(f.names()).containsExactly("Host", "connection", "Accept", "X-Multi", "Content-Length", "X-Empty",
                "X-Num", "X-Bad-Num", "If-Modified-Since", "X-Obs", "X-Drop");
        // Netty's helpers over the fields, as the exchange calls them
        assertThat(f.containsValue(HttpHeaderNames.X_REQUESTED_WITH, "x", true)).isFalse();
        assertThat(f.containsValue(AsciiString.cached("x-multi"), "THREE", true)).isTrue()
                .isEqualTo(m.containsValue(AsciiString.cached("x-multi"), "THREE", true));
        assertThat(f.containsValue(AsciiString.cached("x-multi"), "THREE", false)).isFalse();
        assertThat(HttpUtil.isKeepAlive(req)).isTrue();
        assertThat(HttpUtil.getContentLength(req, -1L)).isZero();
        assertThat(HttpUtil.isTransferEncodingChunked(req)).isFalse();
        DefaultHttpRequest close = new DefaultHttpRequest(req.protocolVersion(), req.method(), req.uri(),
                parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n").headers());
        assertThat(HttpUtil.isKeepAlive(close)).isFalse();
        // the one list the proxy checks in place: which fields the Connection header names
        boolean[] listed = f.listedBy(HttpHeaderNames.CONNECTION);
        assertThat(listed).containsExactly(false, false, false, false, false, false, false, false, false, false, false, true);
        assertThat(f.listedBy(HttpHeaderNames.UPGRADE)).isNull();
    }

    /** The framing and persistence the guard's parse hands on are what Netty's helpers would read from the fields. */
    @Test
    void framing_and_keep_alive_from_the_parse_agree_with_nettys_reading_of_the_fields() {
        String[] heads = {
                "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nconnection:  X-Hop ,CLOSE \r\n\r\n",
                "GET / HTTP/1.1\r\nHost: h\r\nConnection: closed, keep-alive\r\n\r\n",
                "GET / HTTP/1.0\r\n\r\n",
                "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
                "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
        };
        for (String head : heads) {
            ClientRequest req = parse(head);
            assertThat(req.keepAlive()).as(head).isEqualTo(HttpUtil.isKeepAlive(req));
            assertThat(req.chunked()).as(head).isFalse().isEqualTo(HttpUtil.isTransferEncodingChunked(req));
            assertThat(req.contentLength()).as(head).isEqualTo(HttpUtil.getContentLength(req, -1L));
        }
        assertThat(parse(heads[0]).keepAlive()).isTrue();
        assertThat(parse(heads[2]).keepAlive()).isFalse();
        assertThat(parse(heads[3]).keepAlive()).isTrue();
        assertThat(parse(heads[5]).keepAlive()).isTrue();
        assertThat(parse(heads[6]).keepAlive()).isFalse();
        EmbeddedChannel ch = new EmbeddedChannel(new HeadGuardHandler(10_000, new Metrics(), null));
        try {
            // a chunked request with a Connection field in its trailer, then a plain one: neither leaks into the next
            ch.writeInbound(Unpooled.copiedBuffer("POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "3\r\nabc\r\n0\r\nConnection: close\r\n\r\n"
                    + "POST /l HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                    + "GET /n HTTP/1.1\r\nHost: h\r\n\r\n", StandardCharsets.ISO_8859_1));
            List<ClientRequest> reqs = new ArrayList<>();
            for (Object o; (o = ch.readInbound()) != null; ) {
                if (o instanceof ClientRequest r) reqs.add(r);
                else io.netty.util.ReferenceCountUtil.release(o);
            }
            assertThat(reqs).hasSize(3);
            assertThat(reqs.get(0).chunked()).isTrue().isEqualTo(HttpUtil.isTransferEncodingChunked(reqs.get(0)));
            assertThat(reqs.get(0).contentLength()).isEqualTo(-1);
            assertThat(reqs.get(0).keepAlive()).isTrue(); // the trailer's Connection is not the head's
            assertThat(reqs.get(1).contentLength()).isEqualTo(2);
            assertThat(reqs.get(1).keepAlive()).isFalse();
            assertThat(reqs.get(2).keepAlive()).isTrue();
            assertThat(reqs.get(2).hasBody()).isFalse();
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void the_lines_are_the_fields_as_relayed_and_each_field_is_found_in_them() {
        RequestFields f = parse(HEAD).headers();
        String lines = new String(f.bytes(), 0, f.length(), StandardCharsets.ISO_8859_1);
        assertThat(lines).isEqualTo("Host: example.test\r\n"
                + "connection: keep-alive, X-Drop\r\n"
                + "Accept: text/html\r\n"
                + "X-Multi: one\r\n"
                + "x-multi: two,\tthree\r\n"
                + "Content-Length: 0\r\n"
                + "X-Empty: \r\n"
                + "X-Num: 42\r\n"
                + "X-Bad-Num: 4x2\r\n"
                + "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                + "X-Obs: caf\u00e9\r\n"
                + "X-Drop: gone\r\n");
        for (int i = 0; i < f.size(); i++) {
            assertThat(f.bytes()[f.nameEnd(i)]).isEqualTo((byte) ':');
            assertThat(f.bytes()[f.end(i) - 1]).isEqualTo((byte) '\n');
            if (i > 0) assertThat(f.start(i)).isEqualTo(f.end(i - 1));
        }
    }

    @Test
    void a_head_without_fields_and_a_second_head_on_the_connection_get_fields_of_their_own() {
        EmbeddedChannel ch = new EmbeddedChannel(new HeadGuardHandler(10_000, new Metrics(), null));
        try {
            ch.writeInbound(Unpooled.copiedBuffer("GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.1\r\nHost: b\r\nX-Long: "
                    + "v".repeat(5000) + "\r\n\r\nGET /c HTTP/1.1\r\nHost: c\r\n\r\n", StandardCharsets.ISO_8859_1));
            ClientRequest a = ch.readInbound();
            ch.readInbound();
            ClientRequest b = ch.readInbound();
            ch.readInbound();
            ClientRequest c = ch.readInbound();
            assertThat(a.headers().isEmpty()).isTrue();
            assertThat(a.headers().length()).isZero();
            assertThat(b.headers().get("x-long")).hasSize(5000); // past what a connection keeps: /c starts small again
            assertThat(b.headers().get("host")).isEqualTo("b");
            assertThat(c.headers().get("host")).isEqualTo("c");
            assertThat(c.headers().size()).isEqualTo(1);
            assertThat(b.headers().bytes()).isNotSameAs(c.headers().bytes()); // b's fields outlive the next head
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void the_fields_are_read_only() {
        RequestFields f = parse(HEAD).headers();
        assertThatThrownBy(() -> f.add("X-New", "v")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> f.set(HttpHeaderNames.HOST, "other")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> f.remove(HttpHeaderNames.CONNECTION)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(f::clear).isInstanceOf(UnsupportedOperationException.class);
        assertThat(f.get("host")).isEqualTo("example.test");
        assertThat(f.copy().get("host")).isEqualTo("example.test"); // a copy is Netty's own map, writable
    }
}
