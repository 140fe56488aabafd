/* harness.c -- the workloads, the same for every client (see bench.h), one per run:
 *
 *   PROG HOSTS get|set|create N INFLIGHT    pipelined async requests, at most INFLIGHT outstanding
 *                                           (create: create /bench-cd/..-k then delete it, N requests)
 *   PROG HOSTS sync N                       N synchronous gets: p50 and p99 latency
 *   PROG HOSTS watch N                      RSS after connect, after N one-shot watches, threads
 *   PROG HOSTS sessions K                   RSS and threads of K sessions in this process
 *   PROG HOSTS treecache N                  a TreeCache of /bench-tc with N children (created first,
 *                                           not timed): time to INITIALIZED and RSS growth
 *
 * Prints one "RESULT client=... work=... key=value ..." line on stdout.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static const char *const GET_PATH = "/bench-get";
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long outstanding = 0, failures = 0;
/* The main thread sleeps until this many requests are outstanding or fewer (-1: not sleeping). It refills
 * the window in batches of INFLIGHT/8, as a pipelining application would: woken for every completion it
 * would measure the harness's own futex calls (two per request) as much as the client's. */
static long wake_at = -1;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct usage { double cpu; long csw; };
static struct usage usage(void) {
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    struct usage u = {r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6,
                      r.ru_nvcsw + r.ru_nivcsw};
    return u;
}

/* A field of /proc/self/status ("VmRSS" in kB, "Threads"). */
static long status_field(const char *name) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(name);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, name, n) == 0 && line[n] == ':') { v = atol(line + n + 1); break; }
    if (f) fclose(f);
    return v;
}

void bench_done(int ok) {
    pthread_mutex_lock(&mu);
    if (!ok) failures++;
    outstanding--;
    if (outstanding <= wake_at) {
        wake_at = -1;
        pthread_cond_signal(&cv);
    }
    pthread_mutex_unlock(&mu);
}

static void acquire(long window) {
    pthread_mutex_lock(&mu);
    if (outstanding >= window) {
        long refill = window / 8 > 0 ? window / 8 : 1;
        while (outstanding > window - refill) {
            wake_at = window - refill;
            pthread_cond_wait(&cv, &mu);
        }
    }
    outstanding++;
    pthread_mutex_unlock(&mu);
}

static void drain(void) {
    pthread_mutex_lock(&mu);
    while (outstanding > 0) {
        wake_at = 0;
        pthread_cond_wait(&cv, &mu);
    }
    pthread_mutex_unlock(&mu);
}

static void submitted(int rc, const char *what) {
    if (rc != 0) { fprintf(stderr, "%s: %s submit failed (%d)\n", bench_client, what, rc); exit(1); }
}

static void check_failures(const char *work) {
    if (failures) { fprintf(stderr, "%s %s: %ld requests failed\n", bench_client, work, failures); exit(1); }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s HOSTS get|set|create|sync|watch|sessions N [INFLIGHT]\n", argv[0]);
        return 2;
    }
    const char *hosts = argv[1], *work = argv[2];
    long n = atol(argv[3]);
    long window = argc > 4 ? atol(argv[4]) : 1000;
    char data[DATA_LEN], path[128];
    memset(data, 'x', sizeof data);

    if (strcmp(work, "sessions") == 0) {
        long rss0 = status_field("VmRSS"), th0 = status_field("Threads");
        void **s = calloc((size_t)n, sizeof *s);
        for (long i = 0; i < n; i++)
            if (!(s[i] = cl_session_open(hosts))) { fprintf(stderr, "session %ld failed\n", i); return 1; }
        long rss1 = status_field("VmRSS"), th1 = status_field("Threads");
        printf("RESULT client=%s work=sessions n=%ld rss_kb=%ld rss_kb_per_session=%.1f threads=%ld threads_per_session=%.2f\n",
               bench_client, n, rss1, (double)(rss1 - rss0) / n, th1, (double)(th1 - th0) / n);
        for (long i = 0; i < n; i++) cl_session_close(s[i]);
        free(s);
        return 0;
    }

    long th0 = status_field("Threads");
    if (cl_connect(hosts) != 0) { fprintf(stderr, "%s: cannot connect to %s\n", bench_client, hosts); return 1; }
    long rss_connect = status_field("VmRSS"), anon_connect = status_field("RssAnon");
    long threads = status_field("Threads") - th0;
    if (cl_ensure(GET_PATH, data, DATA_LEN) != 0 || cl_ensure("/bench-cd", "", 0) != 0) {
        fprintf(stderr, "%s: cannot create the benchmark's nodes\n", bench_client);
        return 1;
    }

    if (strcmp(work, "treecache") == 0) {
        if (cl_ensure("/bench-tc", "", 0) != 0) return 1;
        for (long i = 0; i < n; i++) {
            snprintf(path, sizeof path, "/bench-tc/n%ld", i);
            if (cl_ensure(path, data, DATA_LEN) != 0) { fprintf(stderr, "cannot create %s\n", path); return 1; }
        }
        long rss0 = status_field("VmRSS");
        double t0 = now();
        long nodes = cl_tree_cache("/bench-tc");
        double t1 = now();
        if (nodes == -1) { fprintf(stderr, "%s has no TreeCache\n", bench_client); return 3; }
        if (nodes < 0) return 1;
        long rss1 = status_field("VmRSS");
        printf("RESULT client=%s work=treecache n=%ld nodes=%ld init_ms=%.1f rss_kb=%ld\n", bench_client, n, nodes,
               (t1 - t0) * 1e3, rss1 - rss0);
    } else if (strcmp(work, "sync") == 0) {
        double *lat = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
        struct usage u0 = usage();
        double t0 = now();
        for (long i = 0; i < n; i++) {
            double a = now();
            if (cl_sync_get(GET_PATH) != 0) { fprintf(stderr, "%s: sync get failed\n", bench_client); return 1; }
            lat[i] = now() - a;
        }
        double t1 = now();
        struct usage u1 = usage();
        qsort(lat, (size_t)n, sizeof *lat, cmp_double);
        printf("RESULT client=%s work=sync n=%ld secs=%.3f ops=%.0f cpu_us=%.2f csw=%.3f p50_us=%.1f p99_us=%.1f\n",
               bench_client, n, t1 - t0, n / (t1 - t0), (u1.cpu - u0.cpu) * 1e6 / n, (double)(u1.csw - u0.csw) / n,
               lat[n / 2] * 1e6, lat[(long)(n * 0.99)] * 1e6);
    } else if (strcmp(work, "watch") == 0) {
        for (long i = 0; i < n; i++) {
            acquire(window);
            snprintf(path, sizeof path, "/bench-w/%s-%ld-%ld", bench_client, (long)getpid(), i);
            submitted(cl_exists_watch(path), "exists");
        }
        drain();
        check_failures(work);
        long rss1 = status_field("VmRSS");
        printf("RESULT client=%s work=watch n=%ld rss_connect_kb=%ld anon_connect_kb=%ld rss_watch_kb=%ld "
               "bytes_per_watch=%.0f threads=%ld\n",
               bench_client, n, rss_connect, anon_connect, rss1, (double)(rss1 - rss_connect) * 1024 / n, threads);
    } else {
        int kind = strcmp(work, "get") == 0 ? 0 : strcmp(work, "set") == 0 ? 1 : strcmp(work, "create") == 0 ? 2 : -1;
        if (kind < 0) { fprintf(stderr, "unknown workload %s\n", work); return 2; }
        struct usage u0 = usage();
        double t0 = now();
        for (long i = 0; i < n; i++) {
            acquire(window);
            if (kind == 0) submitted(cl_get(GET_PATH), "get");
            else if (kind == 1) submitted(cl_set(GET_PATH, data, DATA_LEN), "set");
            else {
                /* One session's requests are applied in order: the delete follows its create. */
                snprintf(path, sizeof path, "/bench-cd/%s-%ld", bench_client, i / 2);
                submitted(i % 2 == 0 ? cl_create(path, data, DATA_LEN) : cl_delete(path), "create/delete");
            }
        }
        drain();
        double t1 = now();
        struct usage u1 = usage();
        check_failures(work);
        printf("RESULT client=%s work=%s n=%ld inflight=%ld secs=%.3f ops=%.0f cpu_us=%.2f csw=%.3f threads=%ld\n",
               bench_client, work, n, window, t1 - t0, n > 0 ? n / (t1 - t0) : 0.0,
               n > 0 ? (u1.cpu - u0.cpu) * 1e6 / n : 0.0, n > 0 ? (double)(u1.csw - u0.csw) / n : 0.0, threads);
    }
    cl_close();
    return 0;
}
