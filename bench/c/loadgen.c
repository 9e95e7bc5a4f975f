/*
 * The bench's load generator: one thread, one epoll loop, closed loop (each connection has one
 * message in flight and sends the next when the answer is complete). Modes:
 *
 *   echo       WebSocket echo: upgrade (checks 101 and Sec-WebSocket-Accept), then masked binary
 *              frames of --size bytes; every answer must be one unmasked binary frame with the
 *              same payload (compared byte for byte).
 *   http       HTTP/1.1 keep-alive GETs of --path; every answer must be 200 with a complete body. A
 *              bare GET (request line and Host) by default; with --browser, a head of about 960 bytes with
 *              the fields a browser sends to a site it has cookies for (user agent, client hints, Accept*,
 *              Sec-Fetch-*, Referer, a 330-byte Cookie). A
 *              keep-alive connection the server closes between answers is reopened and the request
 *              sent again, as HTTP clients do (counted in stale_retries; latency from the first send).
 *   handshake  --conns loops of: connect, upgrade, check 101 + Sec-WebSocket-Accept, send a masked
 *              close frame, wait for the server to close, close; one op per completed loop. A loop
 *              with no 101 or no close within 2 s starts again (slow_opens, slow_closes).
 *   idle       opens --conns WebSocket tunnels (64 handshakes in flight), prints one JSON line when
 *              they are open, then holds them until --duration seconds pass, stdin closes or SIGTERM.
 *
 * --rate R (echo, http): the connections together send R ops per second on a fixed schedule (each
 * connection one op every conns/R seconds, staggered) instead of a closed loop; an op's latency
 * counts from when it was due, so a stalled server is charged for the ops it held back.
 *
 * Latency of each op (send to complete answer; connect to 101 for handshakes) goes into a
 * log-linear histogram (64 sub-buckets per power of two: under 1.6% error). Only ops completed
 * inside [warmup, warmup + duration) count; the timeline counts every op per whole second since
 * start, so the first seconds after a proxy starts (cold) can be read off it.
 *
 * Output: one JSON object on stdout. Exit status 0 even with errors: they are in the JSON.
 * No allocation per message: the masked frame, the request and every buffer are made up front.
 */
#include "ws.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/resource.h>

enum { M_ECHO, M_HTTP, M_HANDSHAKE, M_IDLE };
enum { S_FREE, S_CONNECTING, S_UPGRADING, S_RUNNING, S_CLOSING, S_HELD };

typedef struct lc {
    int fd, state, idx;
    unsigned char *in;
    size_t in_len, in_cap;
    uint64_t t0;               /* when the op in flight started */
    char accept[29];           /* expected Sec-WebSocket-Accept */
    const unsigned char *w;    /* pending write (shared, immutable buffers) */
    size_t w_len, w_off;
    unsigned char req[512];    /* this connection's upgrade request */
    size_t req_len;
    int want_out;
    uint64_t served;           /* HTTP answers completed on this TCP connection */
    uint64_t keep_t0;          /* nonzero: the op being retried on a new connection started then */
    uint64_t due;              /* --rate: when this connection's next op is scheduled */
    int waiting;               /* --rate: running, idle until due */
} lc;

#define HBUCKETS 4096
static uint64_t hist[HBUCKETS];
#define TL_MAX 3600
static uint64_t timeline[TL_MAX];

static int mode, nconns = 64, size = 32, port;
static double warmup_s = 0, duration_s = 5, rate = 0;
static uint64_t rate_interval;   /* --rate: ns between two ops of one connection (0: closed loop) */
static const char *host = "127.0.0.1", *path = "/";
static int browser;
static int ep;
static lc *conns;
static unsigned char *frame, *payload;   /* the masked frame we send, the payload we expect back */
static size_t frame_len;
static unsigned char close_frame[8];
static char http_req[2048];
static size_t http_req_len;
static struct sockaddr_in dst;
static uint64_t t_start, t_warm, t_end;
static uint64_t ops, errors, opened, closed_by_peer, slow_closes, slow_opens, reconnects, stale_retries;
static char first_error[200];
static uint64_t rng_state;
static int idle_inflight, idle_reported;
static volatile sig_atomic_t stop_flag;

static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int hidx(uint64_t v) {
    if (v < 128) return (int) v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - 6;
    int i = 128 + (shift - 1) * 64 + (int) ((v >> shift) - 64);
    return i < HBUCKETS ? i : HBUCKETS - 1;
}

/* Midpoint of a bucket, in ns. */
static double hval(int i) {
    if (i < 128) return i;
    int shift = (i - 128) / 64 + 1;
    uint64_t lo = (uint64_t) ((i - 128) % 64 + 64) << shift;
    return (double) lo + (double) ((1ull << shift) - 1) / 2.0;
}

static double percentile(double q) {
    uint64_t total = 0;
    for (int i = 0; i < HBUCKETS; i++) total += hist[i];
    if (!total) return 0;
    uint64_t rank = (uint64_t) (q * (double) total);
    if (rank >= total) rank = total - 1;
    uint64_t seen = 0;
    for (int i = 0; i < HBUCKETS; i++) {
        seen += hist[i];
        if (seen > rank) return hval(i) / 1000.0;
    }
    return 0;
}

static double max_us(void) {
    for (int i = HBUCKETS - 1; i >= 0; i--) if (hist[i]) return hval(i) / 1000.0;
    return 0;
}

static void error_at(lc *c, const char *what) {
    errors++;
    if (!first_error[0]) {
        snprintf(first_error, sizeof first_error, "conn %d: %s%s%s", c ? c->idx : -1, what,
                 errno ? ": " : "", errno ? strerror(errno) : "");
    }
}

static void record(uint64_t t, uint64_t t0) {
    uint64_t s = (t - t_start) / 1000000000ull;
    if (s < TL_MAX) timeline[s]++;
    if (t >= t_warm && t < t_end) {
        ops++;
        hist[hidx(t - t0)]++;
    }
}

static void arm(lc *c, int out) {
    if (out == c->want_out) return;
    struct epoll_event ev = {.events = out ? EPOLLOUT : EPOLLIN, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = out;
}

static void shut(lc *c) {
    if (c->fd >= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = S_FREE;
    c->in_len = 0;
    c->want_out = 0;
    c->served = 0;
    c->waiting = 0;
}

/* Starts writing buf; returns -1 on a broken connection. */
static int send_buf(lc *c, const unsigned char *buf, size_t len) {
    c->w = buf;
    c->w_len = len;
    c->w_off = 0;
    while (c->w_off < c->w_len) {
        ssize_t w = write(c->fd, c->w + c->w_off, c->w_len - c->w_off);
        if (w < 0) {
            if (errno == EAGAIN) { arm(c, 1); return 0; }
            if (errno == EINTR) continue;
            return -1;
        }
        c->w_off += (size_t) w;
    }
    c->w_len = 0;
    arm(c, 0);
    return 0;
}

static void make_upgrade(lc *c) {
    unsigned char raw[16];
    uint64_t a = rng(), b = rng();
    memcpy(raw, &a, 8);
    memcpy(raw + 8, &b, 8);
    char key[25];
    key[base64(raw, 16, key)] = 0;
    ws_accept(key, 24, c->accept);
    c->req_len = (size_t) snprintf((char *) c->req, sizeof c->req,
        "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", path, host, port, key);
}

static void start_conn(lc *c) {
    errno = 0;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0) { error_at(c, "socket"); c->state = S_FREE; return; }
    set_nodelay(c->fd);
    c->in_len = 0;
    c->want_out = 1;
    c->t0 = now_ns();
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    c->state = S_CONNECTING;
    if (connect(c->fd, (struct sockaddr *) &dst, sizeof dst) < 0 && errno != EINPROGRESS) {
        error_at(c, "connect");
        shut(c);
    }
}

static void fail(lc *c, const char *what) {
    error_at(c, what);
    shut(c);
    if (mode == M_IDLE) idle_inflight--;
    if (mode == M_HANDSHAKE && !stop_flag && now_ns() < t_end) { reconnects++; start_conn(c); }
}

/*
 * HTTP only: the server closed a keep-alive connection that had already answered, before any byte of
 * the next answer (nginx closes idle keep-alive connections when a reload retires its worker). Like
 * any HTTP client, send the request again on a new connection; its latency still counts from the
 * first send. Returns 1 if retried.
 */
static int http_stale_retry(lc *c) {
    if (mode != M_HTTP || c->state != S_RUNNING || c->served == 0 || c->in_len != 0) return 0;
    if (stop_flag || now_ns() >= t_end) return 0;
    uint64_t t0 = c->t0;
    stale_retries++;
    shut(c);
    start_conn(c);
    c->keep_t0 = t0;
    return 1;
}

static void send_op(lc *c) {
    /* At a fixed rate the op counts from when it was due: a proxy that stalls is not let off (no coordinated omission). */
    c->t0 = c->keep_t0 ? c->keep_t0 : rate_interval ? c->due : now_ns();
    c->keep_t0 = 0;
    int r = mode == M_ECHO ? send_buf(c, frame, frame_len) : send_buf(c, (unsigned char *) http_req, http_req_len);
    if (r < 0 && !http_stale_retry(c)) fail(c, "write");
}

/* --rate: schedules the connection's next op; returns 1 if it is not due yet (the main loop sends it). */
static int pace(lc *c) {
    if (!rate_interval) return 0;
    c->due += rate_interval;
    if (c->due > now_ns()) { c->waiting = 1; return 1; }
    return 0;
}

/* A connection that just became ready for ops: closed loop sends at once, --rate staggers the connections' first ops. */
static void start_ops(lc *c) {
    if (!rate_interval) { send_op(c); return; }
    c->due = now_ns() + rate_interval * (uint64_t) c->idx / (uint64_t) nconns;
    c->waiting = 1;
}

static void on_connected(lc *c) {
    int err = 0;
    socklen_t l = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
    if (err) { errno = err; fail(c, "connect"); return; }
    if (mode == M_HTTP) {
        c->state = S_RUNNING;
        if (c->keep_t0) send_op(c);   /* a retried request goes out at once */
        else start_ops(c);
        return;
    }
    make_upgrade(c);
    c->state = S_UPGRADING;
    if (send_buf(c, c->req, c->req_len) < 0) fail(c, "write upgrade");
}

/* Handles what is in c->in; returns -1 if the connection went away. */
static int on_data(lc *c) {
    for (;;) {
        if (c->state == S_UPGRADING) {
            size_t he = http_head_end((char *) c->in, c->in_len);
            if (!he) return 0;
            errno = 0;
            if (c->in_len < 12 || memcmp(c->in, "HTTP/1.1 101", 12) != 0) {
                char msg[80];
                snprintf(msg, sizeof msg, "upgrade answered: %.40s", (char *) c->in);
                for (char *p = msg; *p; p++) if (*p == '\r' || *p == '\n') *p = ' ';
                fail(c, msg);
                return -1;
            }
            size_t al;
            const char *acc = http_header((char *) c->in, he, "Sec-WebSocket-Accept", &al);
            if (!acc || al != 28 || memcmp(acc, c->accept, 28) != 0) { fail(c, "wrong Sec-WebSocket-Accept"); return -1; }
            memmove(c->in, c->in + he, c->in_len - he);
            c->in_len -= he;
            uint64_t t = now_ns();
            if (mode == M_HANDSHAKE) {
                record(t, c->t0);
                c->state = S_CLOSING;
                c->t0 = t;
                if (send_buf(c, close_frame, sizeof close_frame) < 0) { fail(c, "write close"); return -1; }
                c->in_len = 0;
                return 0;
            }
            if (mode == M_IDLE) {
                c->state = S_HELD;
                opened++;
                idle_inflight--;
                return 0;
            }
            c->state = S_RUNNING;
            start_ops(c);
            if (c->state != S_RUNNING) return -1;
            if (c->waiting) return 0;
            continue;
        }
        if (c->state == S_RUNNING && mode == M_ECHO) {
            int op, fin;
            uint64_t len;
            const unsigned char *mask;
            size_t hl = ws_parse(c->in, c->in_len, &op, &fin, &len, &mask);
            if (!hl || c->in_len < hl + len) return 0;
            errno = 0;
            if (op != 0x2 || !fin || mask || len != (uint64_t) size || memcmp(c->in + hl, payload, (size_t) size) != 0) {
                char msg[80];
                snprintf(msg, sizeof msg, "bad echo frame (opcode %d, fin %d, masked %d, length %llu)", op, fin,
                         mask != NULL, (unsigned long long) len);
                fail(c, msg);
                return -1;
            }
            size_t used = hl + (size_t) len;
            memmove(c->in, c->in + used, c->in_len - used);
            c->in_len -= used;
            record(now_ns(), c->t0);
            if (now_ns() >= t_end) return 0;
            if (pace(c)) return 0;
            send_op(c);
            if (c->state != S_RUNNING) return -1;
            continue;
        }
        if (c->state == S_RUNNING && mode == M_HTTP) {
            size_t he = http_head_end((char *) c->in, c->in_len);
            if (!he) return 0;
            errno = 0;
            if (c->in_len < 12 || memcmp(c->in + 9, "200", 3) != 0) { fail(c, "answer not 200"); return -1; }
            size_t vl, body = 0;
            const char *cl = http_header((char *) c->in, he, "Content-Length", &vl);
            if (cl) {
                body = strtoul(cl, NULL, 10);
                if (c->in_len < he + body) return 0;
            } else {
                const char *te = http_header((char *) c->in, he, "Transfer-Encoding", &vl);
                if (!te) { fail(c, "answer without Content-Length or chunked"); return -1; }
                unsigned char *z = memmem(c->in + he, c->in_len - he, "0\r\n\r\n", 5);
                if (!z) return 0;
                body = (size_t) (z - (c->in + he)) + 5;
            }
            size_t used = he + body;
            const char *ch = http_header((char *) c->in, he, "Connection", &vl);
            int server_closes = ch && vl == 5 && strncasecmp(ch, "close", 5) == 0;
            memmove(c->in, c->in + used, c->in_len - used);
            c->in_len -= used;
            record(now_ns(), c->t0);
            c->served++;
            if (now_ns() >= t_end) return 0;
            if (server_closes) {
                /* A keep-alive limit (nginx's keepalive_requests): open a new connection, as a browser would. */
                reconnects++;
                shut(c);
                start_conn(c);
                return -1;
            }
            if (pace(c)) return 0;
            send_op(c);
            if (c->state != S_RUNNING) return -1;
            continue;
        }
        /* S_CLOSING, S_HELD: the server's close frame or nothing; EOF is handled by the reader. */
        c->in_len = 0;
        return 0;
    }
}

static void on_readable(lc *c) {
    if (c->in_cap - c->in_len < 4096) {
        size_t cap = c->in_cap * 2;
        unsigned char *n = realloc(c->in, cap);
        if (!n) { perror("realloc"); exit(1); }
        c->in = n;
        c->in_cap = cap;
    }
    ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
    if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        if (errno == ECONNRESET && http_stale_retry(c)) return;
        fail(c, "read");
        return;
    }
    if (r == 0) {
        if (http_stale_retry(c)) return;
        if (c->state == S_CLOSING) {
            shut(c);
            if (!stop_flag && now_ns() < t_end) start_conn(c);
            return;
        }
        errno = 0;
        if (c->state == S_HELD) { closed_by_peer++; shut(c); return; }
        fail(c, "closed by the server");
        return;
    }
    c->in_len += (size_t) r;
    on_data(c);
}

static void on_stop(int sig) {
    (void) sig;
    stop_flag = 1;
}

static double arg_d(const char *v) { return strtod(v, NULL); }

int main(int argc, char **argv) {
    const char *m = "echo";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--browser")) { browser = 1; continue; }
        if (!v) { fprintf(stderr, "loadgen: %s needs a value\n", a); return 2; }
        if (!strcmp(a, "--mode")) m = v;
        else if (!strcmp(a, "--host")) host = v;
        else if (!strcmp(a, "--port")) port = atoi(v);
        else if (!strcmp(a, "--path")) path = v;
        else if (!strcmp(a, "--conns")) nconns = atoi(v);
        else if (!strcmp(a, "--size")) size = atoi(v);
        else if (!strcmp(a, "--warmup")) warmup_s = arg_d(v);
        else if (!strcmp(a, "--duration")) duration_s = arg_d(v);
        else if (!strcmp(a, "--rate")) rate = arg_d(v);
        else {
            fprintf(stderr, "loadgen: unknown option %s (expected --mode echo|http|handshake|idle --host --port"
                            " --path --browser --conns --size --warmup --duration --rate)\n", a);
            return 2;
        }
        i++;
    }
    if (rate > 0) rate_interval = (uint64_t) ((double) nconns * 1e9 / rate);
    if (!strcmp(m, "echo")) mode = M_ECHO;
    else if (!strcmp(m, "http")) mode = M_HTTP;
    else if (!strcmp(m, "handshake")) mode = M_HANDSHAKE;
    else if (!strcmp(m, "idle")) mode = M_IDLE;
    else { fprintf(stderr, "loadgen: unknown mode %s\n", m); return 2; }
    if (port <= 0 || port > 65535 || nconns <= 0 || size < 0 || size > 16 * 1024 * 1024 || duration_s <= 0) {
        fprintf(stderr, "loadgen: --port, --conns, --size and --duration must be positive\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    rng_state = now_ns() ^ ((uint64_t) getpid() << 32) ^ 0x9E3779B97F4A7C15ull;
    dst.sin_family = AF_INET;
    dst.sin_port = htons((uint16_t) port);
    if (inet_pton(AF_INET, host, &dst.sin_addr) != 1) { fprintf(stderr, "loadgen: bad host %s\n", host); return 2; }

    /* The frame we send: random payload, one random mask key for the run (the proxy unmasks it either way). */
    payload = malloc((size_t) size + 1);
    frame = malloc((size_t) size + 14);
    for (int i = 0; i < size; i++) payload[i] = (unsigned char) rng();
    unsigned char mask[4];
    uint64_t mk = rng();
    memcpy(mask, &mk, 4);
    frame_len = ws_header(frame, 0x2, (uint64_t) size, mask);
    ws_unmask(frame + frame_len, payload, (size_t) size, mask);
    frame_len += (size_t) size;
    unsigned char cmask[4];
    memcpy(cmask, &mk, 4);
    size_t ch = ws_header(close_frame, 0x8, 2, cmask);
    unsigned char code[2] = {0x03, 0xE8};  /* 1000, normal closure */
    ws_unmask(close_frame + ch, code, 2, cmask);
    if (browser) {
        char cookie[331];
        for (int i = 0; i < 330; i++) cookie[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[rng() % 36];
        cookie[330] = 0;
        memcpy(cookie, "_ga=", 4); memcpy(cookie + 40, "; session=", 10); memcpy(cookie + 200, "; prefs=", 8);
        http_req_len = (size_t) snprintf(http_req, sizeof http_req,
            "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: keep-alive\r\n"
            "sec-ch-ua: \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\nsec-ch-ua-mobile: ?0\r\n"
            "sec-ch-ua-platform: \"Linux\"\r\nUpgrade-Insecure-Requests: 1\r\n"
            "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n"
            "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n"
            "Sec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-User: ?1\r\nSec-Fetch-Dest: document\r\n"
            "Referer: http://%s:%d/\r\nAccept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US,en;q=0.9\r\n"
            "Cookie: %s\r\n\r\n", path, host, port, host, port, cookie);
    } else {
        http_req_len = (size_t) snprintf(http_req, sizeof http_req, "GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n", path, host, port);
    }

    ep = epoll_create1(0);
    conns = calloc((size_t) nconns, sizeof *conns);
    for (int i = 0; i < nconns; i++) {
        conns[i].fd = -1;
        conns[i].idx = i;
        conns[i].in_cap = (size_t) size + 65536;
        conns[i].in = malloc(conns[i].in_cap);
    }
    int stdin_watch = 0;
    if (mode == M_IDLE) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
        stdin_watch = epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) == 0;
    }
    t_start = now_ns();
    t_warm = t_start + (uint64_t) (warmup_s * 1e9);
    t_end = t_warm + (uint64_t) (duration_s * 1e9);
    if (mode == M_IDLE) t_end = t_start + (uint64_t) (duration_s * 1e9);
    int next = 0;
    if (mode == M_IDLE) {
        for (; next < nconns && idle_inflight < 64; next++, idle_inflight++) start_conn(&conns[next]);
    } else {
        for (; next < nconns; next++) start_conn(&conns[next]);
    }
    struct rusage ru0 = {0}, ru1 = {0};
    int window_started = 0;
    uint64_t last_scan = t_start;
    struct epoll_event evs[512];
    for (;;) {
        uint64_t t = now_ns();
        if (!window_started && t >= t_warm) { getrusage(RUSAGE_SELF, &ru0); window_started = 1; }
        if (t >= t_end || stop_flag) break;
        if (mode == M_IDLE && !idle_reported && (next >= nconns && idle_inflight <= 0)) {
            printf("{\"event\":\"open\",\"open\":%llu,\"asked\":%d,\"errors\":%llu,\"first_error\":\"%s\"}\n",
                   (unsigned long long) opened, nconns, (unsigned long long) errors, first_error);
            fflush(stdout);
            idle_reported = 1;
        }
        if (t - last_scan > 100000000ull) {
            last_scan = t;
            for (int i = 0; i < nconns; i++) {
                lc *c = &conns[i];
                if (mode == M_HANDSHAKE && c->state == S_CLOSING && t - c->t0 > 2000000000ull) {
                    slow_closes++;
                    shut(c);
                    start_conn(c);
                } else if (mode == M_HANDSHAKE && (c->state == S_CONNECTING || c->state == S_UPGRADING)
                           && t - c->t0 > 2000000000ull) {
                    /* No 101 in 2 s: start the loop again (a stalled loop would otherwise never count again). */
                    slow_opens++;
                    shut(c);
                    start_conn(c);
                } else if ((c->state == S_CONNECTING || c->state == S_UPGRADING) && mode != M_HANDSHAKE
                           && t - c->t0 > 10000000000ull) {
                    errno = 0;
                    fail(c, "no answer to connect or upgrade in 10 s");
                }
            }
        }
        uint64_t wake = t_end;
        if (rate_interval) {
            for (int i = 0; i < nconns; i++) if (conns[i].waiting && conns[i].due < wake) wake = conns[i].due;
        }
        uint64_t wait_ns = wake > t ? wake - t : 0;
        if (wait_ns > 100000000ull) wait_ns = 100000000ull;
        struct timespec ts = {.tv_sec = (time_t) (wait_ns / 1000000000ull), .tv_nsec = (long) (wait_ns % 1000000000ull)};
        int n = epoll_pwait2(ep, evs, 512, &ts, NULL);
        if (n < 0) { if (errno == EINTR) continue; perror("epoll_wait"); return 1; }
        for (int i = 0; i < n; i++) {
            lc *c = evs[i].data.ptr;
            if (!c) {
                char b[256];
                if (read(0, b, sizeof b) <= 0) { stop_flag = 1; epoll_ctl(ep, EPOLL_CTL_DEL, 0, NULL); (void) stdin_watch; }
                continue;
            }
            if (c->fd < 0) continue;
            if (c->state == S_CONNECTING) {
                on_connected(c);
                continue;
            }
            if (c->want_out) {
                while (c->w_off < c->w_len) {
                    ssize_t w = write(c->fd, c->w + c->w_off, c->w_len - c->w_off);
                    if (w < 0) {
                        if (errno == EAGAIN) break;
                        if (errno == EINTR) continue;
                        fail(c, "write");
                        break;
                    }
                    c->w_off += (size_t) w;
                }
                if (c->fd >= 0 && c->w_off >= c->w_len) { c->w_len = 0; arm(c, 0); }
                continue;
            }
            on_readable(c);
        }
        if (mode == M_IDLE) {
            for (; next < nconns && idle_inflight < 64; next++, idle_inflight++) start_conn(&conns[next]);
        }
        if (rate_interval) {
            uint64_t now = now_ns();
            for (int i = 0; i < nconns && now < t_end; i++) {
                lc *c = &conns[i];
                if (c->waiting && c->due <= now && c->state == S_RUNNING) {
                    c->waiting = 0;
                    send_op(c);
                }
            }
        }
    }
    getrusage(RUSAGE_SELF, &ru1);
    if (!window_started) ru0 = ru1;
    int open_now = 0;
    for (int i = 0; i < nconns; i++) {
        if (conns[i].state == S_RUNNING || conns[i].state == S_HELD || conns[i].state == S_CLOSING
            || conns[i].state == S_UPGRADING || conns[i].state == S_CONNECTING) open_now++;
    }
    double secs = mode == M_IDLE ? 0 : duration_s;
    double ut = (double) (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (double) (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6;
    double st = (double) (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) + (double) (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    for (char *p = first_error; *p; p++) if (*p == '"' || *p == '\\') *p = '\'';
    printf("{\"mode\":\"%s\",\"conns_asked\":%d,\"conns_open\":%d,\"size\":%d,\"warmup_s\":%.3f,\"duration_s\":%.3f,"
           "\"ops\":%llu,\"per_second\":%.1f,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,"
           "\"max_us\":%.1f,\"errors\":%llu,\"first_error\":\"%s\",\"opened\":%llu,\"closed_by_peer\":%llu,"
           "\"slow_closes\":%llu,\"slow_opens\":%llu,\"reconnects\":%llu,\"stale_retries\":%llu,\"rate\":%.1f,\"cpu_s\":%.3f,\"timeline\":[",
           m, nconns, open_now, size, warmup_s, duration_s, (unsigned long long) ops,
           secs > 0 ? (double) ops / secs : 0.0, percentile(0.50), percentile(0.90), percentile(0.99),
           percentile(0.999), max_us(), (unsigned long long) errors, first_error, (unsigned long long) opened,
           (unsigned long long) closed_by_peer, (unsigned long long) slow_closes, (unsigned long long) slow_opens, (unsigned long long) reconnects, (unsigned long long) stale_retries, rate, ut + st);
    /* Every second started, the last one partial: the timeline sums to every op of the run. */
    int last = (int) ((now_ns() - t_start + 999999999ull) / 1000000000ull);
    if (last >= TL_MAX) last = TL_MAX - 1;
    for (int i = 0; i < last; i++) printf("%s%llu", i ? "," : "", (unsigned long long) timeline[i]);
    printf("]}\n");
    return 0;
}
