/*
 * The bench's upstream: one epoll loop on one thread, serving
 *   - WebSocket echo: any request with "Upgrade: websocket" gets 101 with the right
 *     Sec-WebSocket-Accept; every data frame comes back unmasked with the same opcode, ping gets
 *     pong, close gets close and then the server closes the TCP connection (RFC 6455 7.1.1);
 *   - HTTP/1.1 keep-alive: every other request gets a small 200 (pipelining supported; request
 *     bodies with Content-Length are skipped; "Connection: close" closes after the answer).
 * Usage: echo [--host 127.0.0.1] [--port 0]     prints "READY <port>" once listening.
 * Buffers are per connection and reused; one write per batch of answers.
 */
#include "ws.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>

enum { HTTP = 0, WS = 1 };

typedef struct conn {
    int fd;
    int mode;
    int close_after;          /* close once the pending output is written */
    unsigned char *in;
    size_t in_len, in_cap;
    unsigned char *out;       /* answers not yet accepted by the kernel */
    size_t out_len, out_off, out_cap;
    int want_out;
} conn;

static int ep;
static const char HTTP_OK[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n";
static const char HTTP_OK_CLOSE[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
static const char HTTP_400[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

static void ensure(unsigned char **b, size_t *cap, size_t need) {
    if (need <= *cap) return;
    size_t c = *cap ? *cap : 4096;
    while (c < need) c *= 2;
    unsigned char *n = realloc(*b, c);
    if (!n) { perror("realloc"); exit(1); }
    *b = n;
    *cap = c;
}

static void append(conn *c, const void *p, size_t n) {
    ensure(&c->out, &c->out_cap, c->out_len + n);
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
}

static void drop(conn *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

static void arm(conn *c, int out) {
    if (out == c->want_out) return;
    struct epoll_event ev = {.events = out ? EPOLLOUT : EPOLLIN, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = out;
}

/* Writes what is pending; returns -1 if the connection is gone (and freed). */
static int flush(conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t w = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (w < 0) {
            if (errno == EAGAIN) { arm(c, 1); return 0; }
            if (errno == EINTR) continue;
            drop(c);
            return -1;
        }
        c->out_off += (size_t) w;
    }
    c->out_off = c->out_len = 0;
    if (c->close_after) {
        shutdown(c->fd, SHUT_WR);
        drop(c);
        return -1;
    }
    arm(c, 0);
    return 0;
}

/* Consumes complete HTTP requests from c->in; returns bytes consumed. */
static size_t on_http(conn *c) {
    size_t used = 0;
    while (!c->close_after && c->mode == HTTP) {
        char *req = (char *) c->in + used;
        size_t avail = c->in_len - used;
        size_t he = http_head_end(req, avail);
        if (!he) {
            if (avail > 65536) { append(c, HTTP_400, sizeof HTTP_400 - 1); c->close_after = 1; }
            break;
        }
        size_t vl;
        const char *up = http_header(req, he, "Upgrade", &vl);
        if (up && vl == 9 && strncasecmp(up, "websocket", 9) == 0) {
            size_t kl;
            const char *key = http_header(req, he, "Sec-WebSocket-Key", &kl);
            if (!key || kl == 0) { append(c, HTTP_400, sizeof HTTP_400 - 1); c->close_after = 1; break; }
            char acc[29];
            ws_accept(key, kl, acc);
            char resp[256];
            int n = snprintf(resp, sizeof resp, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", acc);
            append(c, resp, (size_t) n);
            c->mode = WS;
            used += he;
            break;
        }
        size_t body = 0;
        const char *cl = http_header(req, he, "Content-Length", &vl);
        if (cl) body = strtoul(cl, NULL, 10);
        if (avail < he + body) break;
        const char *conn_h = http_header(req, he, "Connection", &vl);
        int http10 = he > 8 && memmem(req, (size_t) ((char *) memchr(req, '\n', he) - req), "HTTP/1.0", 8) != NULL;
        int close_it = (conn_h && vl == 5 && strncasecmp(conn_h, "close", 5) == 0)
                       || (http10 && !(conn_h && vl == 10 && strncasecmp(conn_h, "keep-alive", 10) == 0));
        if (close_it) { append(c, HTTP_OK_CLOSE, sizeof HTTP_OK_CLOSE - 1); c->close_after = 1; }
        else append(c, HTTP_OK, sizeof HTTP_OK - 1);
        used += he + body;
    }
    return used;
}

/* Consumes complete frames from c->in starting at `from`; returns the new offset. */
static size_t on_ws(conn *c, size_t from) {
    size_t used = from;
    while (!c->close_after) {
        int op, fin;
        uint64_t len;
        const unsigned char *mask;
        size_t hl = ws_parse(c->in + used, c->in_len - used, &op, &fin, &len, &mask);
        if (!hl || c->in_len - used < hl + len) break;
        unsigned char *payload = c->in + used + hl;
        if (mask) ws_unmask(payload, payload, len, mask);
        int reply = op == 0x9 ? 0xA : op;
        if (op != 0xA) {
            unsigned char h[14];
            size_t n = ws_header(h, reply, len, NULL);
            h[0] = (unsigned char) ((fin ? 0x80 : 0) | reply);
            append(c, h, n);
            append(c, payload, len);
        }
        if (op == 0x8) c->close_after = 1;
        used += hl + len;
    }
    return used;
}

static void on_read(conn *c) {
    ensure(&c->in, &c->in_cap, c->in_len + 16384);
    ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
    if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
        drop(c);
        return;
    }
    c->in_len += (size_t) r;
    size_t used = 0;
    if (c->mode == HTTP) used = on_http(c);
    if (c->mode == WS) used = on_ws(c, used);
    if (used) {
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
    }
    if (c->out_len) flush(c);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--host")) host = argv[i + 1];
        else if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else { fprintf(stderr, "echo: unknown option %s (expected --host --port)\n", argv[i]); return 2; }
    }
    signal(SIGPIPE, SIG_IGN);
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) { fprintf(stderr, "echo: bad host %s\n", host); return 2; }
    if (bind(ls, (struct sockaddr *) &a, sizeof a) || listen(ls, 4096)) { perror("echo: bind/listen"); return 1; }
    socklen_t al = sizeof a;
    getsockname(ls, (struct sockaddr *) &a, &al);
    set_nonblock(ls);
    ep = epoll_create1(0);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &lev);
    printf("READY %d\n", ntohs(a.sin_port));
    fflush(stdout);
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        if (n < 0) { if (errno == EINTR) continue; perror("epoll_wait"); return 1; }
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (!c) {
                for (;;) {
                    int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
                    if (fd < 0) break;
                    set_nodelay(fd);
                    conn *nc = calloc(1, sizeof *nc);
                    nc->fd = fd;
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = nc};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
                }
                continue;
            }
            if (c->want_out) {
                if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
                    if (flush(c) == 0 && !c->want_out && c->in_len) {
                        /* Input that arrived while we were blocked on output: answer it now. */
                        size_t used = 0;
                        if (c->mode == HTTP) used = on_http(c);
                        if (c->mode == WS) used = on_ws(c, used);
                        memmove(c->in, c->in + used, c->in_len - used);
                        c->in_len -= used;
                        if (c->out_len) flush(c);
                    }
                }
            } else {
                on_read(c);
            }
        }
    }
}
