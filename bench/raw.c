/* raw: the server's own limit for one session. Does the ZooKeeper handshake by hand, then pipelines
 * requests framed from pre-encoded templates (only the xid, and the node name for create/delete, change)
 * with at most INFLIGHT outstanding, one write per batch and every complete reply parsed from each read.
 * Creates /bench-get (100 bytes) and /bench-cd first if they are missing. The same workloads as
 * harness.c, without a client library:
 *
 *   raw HOST PORT get|set|create N INFLIGHT    (create: create /bench-cd/raw-k then delete it)
 *   raw HOST PORT sync N                       one request at a time: p50, p99
 *
 * Prints one "RESULT ..." line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DATA_LEN 100

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void die(const char *m) { perror(m); exit(1); }

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu(void) {
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

/* Context switches (voluntary + involuntary) of the whole process so far. */
static long csw(void) {
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return r.ru_nvcsw + r.ru_nivcsw;
}

/* ---- jute encoding into a growable buffer ---- */
typedef struct { unsigned char *p; size_t len, cap; } buf_t;
static void reserve(buf_t *b, size_t n) {
    if (b->len + n > b->cap) {
        while (b->len + n > b->cap) b->cap = b->cap ? b->cap * 2 : 4096;
        b->p = realloc(b->p, b->cap);
        if (!b->p) die("realloc");
    }
}
static void put_bytes(buf_t *b, const void *d, size_t n) { reserve(b, n); memcpy(b->p + b->len, d, n); b->len += n; }
static void put_i32(buf_t *b, int32_t v) { uint32_t x = htonl((uint32_t)v); put_bytes(b, &x, 4); }
static void put_i64(buf_t *b, int64_t v) { put_i32(b, (int32_t)((uint64_t)v >> 32)); put_i32(b, (int32_t)(uint64_t)v); }
static void put_bool(buf_t *b, int v) { unsigned char c = v ? 1 : 0; put_bytes(b, &c, 1); }
static void put_str(buf_t *b, const char *s) { put_i32(b, (int32_t)strlen(s)); put_bytes(b, s, strlen(s)); }
static void put_buffer(buf_t *b, const void *d, int32_t n) { put_i32(b, n); if (n > 0) put_bytes(b, d, n); }
static void patch_len(buf_t *b, size_t start) { uint32_t x = htonl((uint32_t)(b->len - start - 4)); memcpy(b->p + start, &x, 4); }
static int32_t get_i32(const unsigned char *p) { uint32_t x; memcpy(&x, p, 4); return (int32_t)ntohl(x); }

static void write_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0) { if (errno == EINTR) continue; die("write"); }
        c += w; n -= (size_t)w;
    }
}
static void read_all(int fd, void *p, size_t n) {
    char *c = p;
    while (n > 0) {
        ssize_t r = read(fd, c, n);
        if (r < 0) { if (errno == EINTR) continue; die("read"); }
        if (r == 0) { fprintf(stderr, "server closed the connection\n"); exit(1); }
        c += r; n -= (size_t)r;
    }
}

/* One blocking request/reply (used for the create and the close, outside the measured part). */
static int32_t call(int fd, buf_t *req) {
    write_all(fd, req->p, req->len);
    unsigned char h[4];
    read_all(fd, h, 4);
    int32_t len = get_i32(h);
    unsigned char *body = malloc((size_t)len);
    read_all(fd, body, (size_t)len);
    int32_t err = get_i32(body + 12);
    free(body);
    return err;
}

/* Appends one request frame: RequestHeader{xid, type} + the request for `kind` on `path`. */
enum { GET, SET, CREATE, DELETE };
static const char DATA[DATA_LEN] = {[0 ... DATA_LEN - 1] = 'x'};
static void put_request(buf_t *b, int32_t xid, int kind, const char *path) {
    size_t start = b->len;
    put_i32(b, 0);
    put_i32(b, xid);
    switch (kind) {
    case GET:    /* GetDataRequest{path, watch} */
        put_i32(b, 4); put_str(b, path); put_bool(b, 0); break;
    case SET:    /* SetDataRequest{path, data, version} */
        put_i32(b, 5); put_str(b, path); put_buffer(b, DATA, DATA_LEN); put_i32(b, -1); break;
    case CREATE: /* CreateRequest{path, data, acl: world:anyone all, flags 0} */
        put_i32(b, 1); put_str(b, path); put_buffer(b, DATA, DATA_LEN);
        put_i32(b, 1); put_i32(b, 31); put_str(b, "world"); put_str(b, "anyone"); put_i32(b, 0); break;
    case DELETE: /* DeleteRequest{path, version} */
        put_i32(b, 2); put_str(b, path); put_i32(b, -1); break;
    }
    patch_len(b, start);
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: %s HOST PORT get|set|create|sync N [INFLIGHT]\n", argv[0]); return 2; }
    const char *host = argv[1];
    int port = atoi(argv[2]);
    const char *work = argv[3];
    long n = atol(argv[4]);
    long window = argc > 5 ? atol(argv[5]) : 1000;
    int sync = strcmp(work, "sync") == 0;
    int kind = sync || strcmp(work, "get") == 0 ? GET : strcmp(work, "set") == 0 ? SET : strcmp(work, "create") == 0 ? CREATE : -1;
    if (kind < 0) { fprintf(stderr, "unknown workload %s\n", work); return 2; }
    if (sync) window = 1;
    const char *path = "/bench-get";

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) { fprintf(stderr, "bad address %s\n", host); return 2; }
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    /* ConnectRequest */
    buf_t b = {0};
    put_i32(&b, 0);
    put_i32(&b, 0);              /* protocolVersion */
    put_i64(&b, 0);              /* lastZxidSeen */
    put_i32(&b, 10000);          /* timeOut */
    put_i64(&b, 0);              /* sessionId */
    unsigned char zero16[16] = {0};
    put_buffer(&b, zero16, 16);  /* passwd */
    put_bool(&b, 0);             /* readOnly */
    patch_len(&b, 0);
    write_all(fd, b.p, b.len);
    unsigned char hdr[4];
    read_all(fd, hdr, 4);
    int32_t clen = get_i32(hdr);
    if (clen < 16 || clen > 1024) { fprintf(stderr, "bad ConnectResponse length %d\n", clen); return 1; }
    unsigned char cr[1024];
    read_all(fd, cr, (size_t)clen);
    int32_t timeout = get_i32(cr + 4);
    if (timeout <= 0) { fprintf(stderr, "session refused\n"); return 1; }

    /* The benchmark's nodes, if missing. */
    int32_t xid = 1;
    const char *nodes[] = {path, "/bench-cd"};
    for (int i = 0; i < 2; i++) {
        b.len = 0;
        put_request(&b, xid++, CREATE, nodes[i]);
        int32_t err = call(fd, &b);
        if (err != 0 && err != -110 /* ZNODEEXISTS */) { fprintf(stderr, "create %s: error %d\n", nodes[i], err); return 1; }
    }

    /* The pre-encoded frame of the get/set workloads; its xid is patched per request. */
    buf_t tmpl = {0};
    put_request(&tmpl, 0, kind == CREATE ? GET : kind, path);

    size_t rcap = 1 << 20;
    unsigned char *rbuf = malloc(rcap);
    size_t rstart = 0, rend = 0;
    buf_t w = {0};
    reserve(&w, 256 * (size_t)window);
    long sent = 0, done = 0, errors = 0, bad_len = 0, writes = 0, reads = 0;
    double *lat = sync ? malloc(sizeof(double) * (size_t)(n > 0 ? n : 1)) : NULL;
    double sent_at = 0;
    char node[64];

    long s0 = csw();
    double c0 = cpu(), t0 = now();
    while (done < n) {
        /* Top the window up: one write for the whole batch. */
        w.len = 0;
        while (sent < n && sent - done < window) {
            if (kind == CREATE) {
                snprintf(node, sizeof node, "/bench-cd/raw-%ld", sent / 2);
                put_request(&w, xid++, sent % 2 == 0 ? CREATE : DELETE, node);
            } else {
                uint32_t x = htonl((uint32_t)xid++);
                memcpy(tmpl.p + 4, &x, 4);
                put_bytes(&w, tmpl.p, tmpl.len);
            }
            sent++;
        }
        if (w.len) { if (sync) sent_at = now(); write_all(fd, w.p, w.len); writes++; }
        /* One read; every complete reply in it. */
        if (rend == rcap) {
            memmove(rbuf, rbuf + rstart, rend - rstart);
            rend -= rstart;
            rstart = 0;
        }
        ssize_t r = read(fd, rbuf + rend, rcap - rend);
        if (r < 0) { if (errno == EINTR) continue; die("read"); }
        if (r == 0) { fprintf(stderr, "server closed the connection\n"); return 1; }
        rend += (size_t)r;
        reads++;
        while (rend - rstart >= 4) {
            int32_t len = get_i32(rbuf + rstart);
            if (len < 16 || (size_t)len > rcap - 4) { fprintf(stderr, "bad frame length %d\n", len); return 1; }
            if (rend - rstart < 4 + (size_t)len) break;
            const unsigned char *f = rbuf + rstart + 4;  /* ReplyHeader{xid, zxid, err} + reply */
            if (get_i32(f + 12) != 0) errors++;
            else if (kind == GET && get_i32(f + 16) != DATA_LEN) bad_len++;  /* GetDataResponse: data, Stat */
            if (sync) lat[done] = now() - sent_at;
            done++;
            rstart += 4 + (size_t)len;
        }
        if (rstart == rend) rstart = rend = 0;
        else if (rstart > rcap / 2) {
            memmove(rbuf, rbuf + rstart, rend - rstart);
            rend -= rstart;
            rstart = 0;
        }
    }
    double t1 = now(), c1 = cpu();
    long s1 = csw();

    /* closeSession (op -11). */
    b.len = 0;
    put_i32(&b, 0);
    put_i32(&b, xid++);
    put_i32(&b, -11);
    patch_len(&b, 0);
    call(fd, &b);
    close(fd);

    if (n == 0) n = 1; /* the connect-only run prints zeros */
    if (errors || bad_len) { fprintf(stderr, "raw: %ld errors, %ld replies without %d bytes\n", errors, bad_len, DATA_LEN); return 1; }
    printf("RESULT client=raw work=%s n=%ld inflight=%ld secs=%.3f ops=%.0f cpu_us=%.2f csw=%.3f writes=%ld reads=%ld",
           work, n, window, t1 - t0, n / (t1 - t0), (c1 - c0) * 1e6 / n, (double)(s1 - s0) / n, writes, reads);
    if (sync) {
        qsort(lat, (size_t)n, sizeof *lat, cmp_double);
        printf(" p50_us=%.1f p99_us=%.1f", lat[n / 2] * 1e6, lat[(long)(n * 0.99)] * 1e6);
    }
    printf(" threads=1\n");
    return 0;
}
