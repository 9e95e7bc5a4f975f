/*
 * changer: makes a configuration change every --every-ms for --duration seconds, on a fixed
 * schedule, and prints one JSON line with what it did. Run by the bench pinned to the proxy core,
 * so that the change traffic never runs on the load core, where latency is timed.
 *
 *   changer --mode put --port P --every-ms 100 --duration S --start N
 *       PUT /api/v1/routes/swap {"name":"swap","path_prefix":"/swap/N","upstream":"echo"} to a
 *       Switchyard control plane on 127.0.0.1:P over one keep-alive connection, N = start, start+1, ...;
 *       each answer must be 2xx with X-Config-Version (the version that change made).
 *   changer --mode nginx --template FILE --conf FILE --pid PID --every-ms 100 --duration S --start N
 *       writes the template with every "@@N@@" replaced by N to FILE.new, renames it over --conf and
 *       sends SIGHUP to PID (what `nginx -s reload` does with a file that changed).
 *
 * Output: {"changes":n,"last":N,"last_version":V,"errors":e,"first_error":"...","span_ms":..,
 *          "call_ms_p50":..,"call_ms_max":..}
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHANGES 100000

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static char first_error[256];
static long errors;

static void error(const char *what) {
    errors++;
    if (!first_error[0]) snprintf(first_error, sizeof first_error, "%s", what);
}

static int connect_local(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short) port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *) &a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Case-insensitive header lookup in a head ending at end; value start in *v, length returned (-1: none). */
static int header(const char *head, const char *end, const char *name, const char **v) {
    size_t n = strlen(name);
    for (const char *p = head; p && p < end; p = memchr(p, '\n', (size_t) (end - p)), p = p ? p + 1 : p) {
        if ((size_t) (end - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *s = p + n + 1;
            while (s < end && (*s == ' ' || *s == '\t')) s++;
            const char *e = s;
            while (e < end && *e != '\r' && *e != '\n') e++;
            *v = s;
            return (int) (e - s);
        }
    }
    return -1;
}

/* One PUT over fd; returns the version it made, or -1. */
static long put_route(int fd, int port, long n) {
    char body[256], req[512];
    int bl = snprintf(body, sizeof body, "{\"name\":\"swap\",\"path_prefix\":\"/swap/%ld\",\"upstream\":\"echo\"}", n);
    int rl = snprintf(req, sizeof req,
                      "PUT /api/v1/routes/swap HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                      "Content-Length: %d\r\n\r\n%s", port, bl, body);
    if (write(fd, req, (size_t) rl) != rl) {
        error("write to the control plane failed");
        return -1;
    }
    static char buf[65536];
    size_t len = 0;
    char *he = NULL;
    while (!he) {
        ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
        if (r <= 0) {
            error("the control plane closed the connection");
            return -1;
        }
        len += (size_t) r;
        buf[len] = 0;
        he = strstr(buf, "\r\n\r\n");
        if (!he && len >= sizeof buf - 1) {
            error("answer head too large");
            return -1;
        }
    }
    const char *v;
    int vl = header(buf, he, "Content-Length", &v);
    long body_len = vl > 0 ? strtol(v, NULL, 10) : 0;
    size_t need = (size_t) (he + 4 - buf) + (size_t) body_len;
    while (len < need) {
        if (need > sizeof buf - 1) {
            error("answer too large");
            return -1;
        }
        ssize_t r = read(fd, buf + len, need - len);
        if (r <= 0) {
            error("the control plane closed the connection mid-answer");
            return -1;
        }
        len += (size_t) r;
    }
    if (len < 12 || buf[9] != '2') {
        char why[128];
        snprintf(why, sizeof why, "control plane answered %.12s", buf);
        error(why);
        return -1;
    }
    vl = header(buf, he, "X-Config-Version", &v);
    if (vl <= 0) {
        error("no X-Config-Version in the answer");
        return -1;
    }
    return strtol(v, NULL, 10);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t) n + 1);
    if (!s || fread(s, 1, (size_t) n, f) != (size_t) n) {
        fclose(f);
        free(s);
        return NULL;
    }
    s[n] = 0;
    fclose(f);
    return s;
}

static int reload_nginx(const char *template, const char *conf, pid_t pid, long n) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.new", conf);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        error("cannot write the new nginx config");
        return -1;
    }
    for (const char *p = template; *p;) {
        const char *m = strstr(p, "@@N@@");
        if (!m) {
            fputs(p, f);
            break;
        }
        fwrite(p, 1, (size_t) (m - p), f);
        fprintf(f, "%ld", n);
        p = m + 5;
    }
    if (fclose(f) != 0 || rename(tmp, conf) != 0) {
        error("cannot replace the nginx config");
        return -1;
    }
    if (kill(pid, SIGHUP) != 0) {
        error("kill -HUP failed");
        return -1;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    const char *mode = NULL, *template_path = NULL, *conf = NULL;
    int port = 0;
    long every_ms = 100, start = 1;
    double duration = 0;
    pid_t pid = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--mode")) mode = argv[i + 1];
        else if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--every-ms")) every_ms = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--duration")) duration = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--start")) start = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--template")) template_path = argv[i + 1];
        else if (!strcmp(argv[i], "--conf")) conf = argv[i + 1];
        else if (!strcmp(argv[i], "--pid")) pid = (pid_t) atol(argv[i + 1]);
        else {
            fprintf(stderr, "changer: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    int put = mode && !strcmp(mode, "put"), nginx = mode && !strcmp(mode, "nginx");
    if ((!put && !nginx) || every_ms <= 0 || duration <= 0 || (put && port <= 0)
        || (nginx && (!template_path || !conf || pid <= 0))) {
        fprintf(stderr, "usage: changer --mode put --port P | --mode nginx --template F --conf F --pid PID;"
                        " --every-ms MS --duration S [--start N]\n");
        return 2;
    }
    char *template = NULL;
    if (nginx && !(template = read_file(template_path))) {
        fprintf(stderr, "changer: cannot read %s\n", template_path);
        return 2;
    }
    int fd = -1;
    if (put && (fd = connect_local(port)) < 0) {
        fprintf(stderr, "changer: cannot connect to 127.0.0.1:%d\n", port);
        return 2;
    }
    static double took[MAX_CHANGES];
    long changes = 0, last = -1, last_version = -1;
    double t0 = now_ms(), end = t0 + duration * 1e3;
    for (long k = 0;; k++) {
        double due = t0 + (double) k * (double) every_ms;
        if (due >= end || changes >= MAX_CHANGES) break;
        double now = now_ms();
        if (due > now) {
            struct timespec ts = {(time_t) ((due - now) / 1e3), (long) (((due - now) / 1e3 - (time_t) ((due - now) / 1e3)) * 1e9)};
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
            }
        }
        long n = start + k;
        double a = now_ms();
        if (put) {
            long v = put_route(fd, port, n);
            if (v < 0) break;
            last_version = v;
        } else if (reload_nginx(template, conf, pid, n) < 0) {
            break;
        }
        took[changes++] = now_ms() - a;
        last = n;
    }
    double span = now_ms() - t0;
    qsort(took, (size_t) changes, sizeof took[0], cmp_double);
    printf("{\"changes\":%ld,\"last\":%ld,\"last_version\":%ld,\"errors\":%ld,\"first_error\":\"%s\",\"span_ms\":%.1f,"
           "\"call_ms_p50\":%.3f,\"call_ms_max\":%.3f}\n",
           changes, last, last_version, errors, first_error, span, changes ? took[changes / 2] : 0.0,
           changes ? took[changes - 1] : 0.0);
    if (fd >= 0) close(fd);
    free(template);
    return errors ? 1 : 0;
}
