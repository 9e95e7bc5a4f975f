/*
 * Shared by the bench's C load generator and echo upstream: SHA-1 and base64 for
 * Sec-WebSocket-Accept (RFC 6455 section 4.2.2), WebSocket unmasking, a monotonic clock and
 * small socket helpers. Header-only, no dependencies beyond libc.
 */
#ifndef SWITCHYARD_BENCH_WS_H
#define SWITCHYARD_BENCH_WS_H

#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <ctype.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static inline uint32_t rol32(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

/* SHA-1 of len bytes (FIPS 180-4); out gets 20 bytes. Only used on handshakes, never per message. */
static void sha1(const unsigned char *msg, size_t len, unsigned char out[20]) {
    uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    size_t total = ((len + 8) / 64 + 1) * 64;
    unsigned char block[64];
    for (size_t off = 0; off < total; off += 64) {
        for (int i = 0; i < 64; i++) {
            size_t p = off + i;
            unsigned char b;
            if (p < len) b = msg[p];
            else if (p == len) b = 0x80;
            else if (p >= total - 8) b = (unsigned char) (((uint64_t) len * 8) >> (8 * (total - 1 - p)));
            else b = 0;
            block[i] = b;
        }
        uint32_t w[80];
        for (int i = 0; i < 16; i++) {
            w[i] = (uint32_t) block[4 * i] << 24 | (uint32_t) block[4 * i + 1] << 16
                 | (uint32_t) block[4 * i + 2] << 8 | block[4 * i + 3];
        }
        for (int i = 16; i < 80; i++) w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int i = 0; i < 80; i++) {
            uint32_t f, k;
            if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999u; }
            else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1u; }
            else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDCu; }
            else { f = b ^ c ^ d; k = 0xCA62C1D6u; }
            uint32_t t = rol32(a, 5) + f + e + k + w[i];
            e = d; d = c; c = rol32(b, 30); b = a; a = t;
        }
        h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
    }
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (unsigned char) (h[i] >> 24);
        out[4 * i + 1] = (unsigned char) (h[i] >> 16);
        out[4 * i + 2] = (unsigned char) (h[i] >> 8);
        out[4 * i + 3] = (unsigned char) h[i];
    }
}

/* Standard base64 with padding; returns the length written (no terminator added). */
static size_t base64(const unsigned char *in, size_t len, char *out) {
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t) in[i] << 16;
        if (i + 1 < len) v |= (uint32_t) in[i + 1] << 8;
        if (i + 2 < len) v |= in[i + 2];
        out[o++] = t[(v >> 18) & 63];
        out[o++] = t[(v >> 12) & 63];
        out[o++] = i + 1 < len ? t[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? t[v & 63] : '=';
    }
    return o;
}

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key of klen bytes; writes 28 chars plus a NUL. */
static void ws_accept(const char *key, size_t klen, char out[29]) {
    unsigned char buf[128], dig[20];
    if (klen > 64) klen = 64;
    memcpy(buf, key, klen);
    memcpy(buf + klen, WS_GUID, sizeof(WS_GUID) - 1);
    sha1(buf, klen + sizeof(WS_GUID) - 1, dig);
    out[base64(dig, 20, out)] = 0;
}

/* XORs n bytes of src with the 4-byte mask into dst (dst may equal src), 8 bytes at a time. */
static inline void ws_unmask(unsigned char *dst, const unsigned char *src, size_t n, const unsigned char mask[4]) {
    uint64_t m8;
    unsigned char m[8] = {mask[0], mask[1], mask[2], mask[3], mask[0], mask[1], mask[2], mask[3]};
    memcpy(&m8, m, 8);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, src + i, 8);
        v ^= m8;
        memcpy(dst + i, &v, 8);
    }
    for (; i < n; i++) dst[i] = src[i] ^ mask[i & 3];
}

/* Writes a WebSocket frame header (FIN set) for opcode and payload length; returns its size. */
static inline size_t ws_header(unsigned char *h, int opcode, uint64_t len, const unsigned char *mask) {
    size_t n = 0;
    h[n++] = (unsigned char) (0x80 | opcode);
    unsigned char mbit = mask ? 0x80 : 0;
    if (len < 126) {
        h[n++] = (unsigned char) (mbit | len);
    } else if (len < 65536) {
        h[n++] = (unsigned char) (mbit | 126);
        h[n++] = (unsigned char) (len >> 8);
        h[n++] = (unsigned char) len;
    } else {
        h[n++] = (unsigned char) (mbit | 127);
        for (int i = 7; i >= 0; i--) h[n++] = (unsigned char) (len >> (8 * i));
    }
    if (mask) { memcpy(h + n, mask, 4); n += 4; }
    return n;
}

/*
 * Parses a frame header at buf (avail bytes). Returns the header length, or 0 if more bytes are
 * needed; sets *op, *fin, *len and *mask (NULL if unmasked).
 */
static inline size_t ws_parse(const unsigned char *buf, size_t avail, int *op, int *fin, uint64_t *len,
                              const unsigned char **mask) {
    if (avail < 2) return 0;
    *fin = buf[0] >> 7;
    *op = buf[0] & 0x0f;
    int masked = buf[1] >> 7;
    uint64_t l = buf[1] & 0x7f;
    size_t n = 2;
    if (l == 126) {
        if (avail < 4) return 0;
        l = (uint64_t) buf[2] << 8 | buf[3];
        n = 4;
    } else if (l == 127) {
        if (avail < 10) return 0;
        l = 0;
        for (int i = 0; i < 8; i++) l = l << 8 | buf[2 + i];
        n = 10;
    }
    if (masked) {
        if (avail < n + 4) return 0;
        *mask = buf + n;
        n += 4;
    } else {
        *mask = NULL;
    }
    *len = l;
    return n;
}

/* Case-insensitive search for header `name` (without colon) in an HTTP head; value and its length out. */
static const char *http_header(const char *head, size_t hlen, const char *name, size_t *vlen) {
    size_t nl = strlen(name);
    const char *p = memchr(head, '\n', hlen);
    const char *end = head + hlen;
    while (p && p + 1 < end) {
        const char *line = p + 1;
        const char *eol = memchr(line, '\n', (size_t) (end - line));
        if (!eol) eol = end;
        if ((size_t) (eol - line) > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t')) v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            *vlen = (size_t) (ve - v);
            return v;
        }
        p = eol < end ? eol : NULL;
    }
    return NULL;
}

static inline int set_nodelay(int fd) {
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static inline int set_nonblock(int fd) {
    return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
}

/* Finds "\r\n\r\n" in buf; returns the offset just past it, or 0. */
static inline size_t http_head_end(const char *buf, size_t len) {
    if (len < 4) return 0;
    const char *p = memmem(buf, len, "\r\n\r\n", 4);
    return p ? (size_t) (p - buf) + 4 : 0;
}

#endif
