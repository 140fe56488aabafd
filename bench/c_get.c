/* c_get: the official C client (libzookeeper_mt) doing the same pipelined getData workload: zoo_aget with
 * at most INFLIGHT outstanding, the completion decrementing a counter under a mutex+condvar.
 *
 *   c_get HOSTS N INFLIGHT [PATH]        (prints one "RESULT ..." line)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#define THREADED 1 /* the sync API of libzookeeper_mt */
#include <zookeeper/zookeeper.h>

#define DATA_LEN 100

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long outstanding = 0, errors = 0, bad_len = 0;
static int connected = 0;

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

static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    (void)zh; (void)path; (void)ctx;
    if (type == ZOO_SESSION_EVENT && state == ZOO_CONNECTED_STATE) {
        pthread_mutex_lock(&mu);
        connected = 1;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
    }
}

static void on_get(int rc, const char *value, int value_len, const struct Stat *stat, const void *data) {
    (void)value; (void)stat; (void)data;
    pthread_mutex_lock(&mu);
    if (rc != ZOK) errors++;
    else if (value_len != DATA_LEN) bad_len++;
    outstanding--;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s HOSTS N INFLIGHT [PATH]\n", argv[0]); return 2; }
    const char *hosts = argv[1];
    long n = atol(argv[2]);
    long window = atol(argv[3]);
    const char *path = argc > 4 ? argv[4] : "/bench-get";

    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    zhandle_t *zh = zookeeper_init(hosts, watcher, 10000, NULL, NULL, 0);
    if (!zh) { perror("zookeeper_init"); return 1; }
    zoo_set_servers_resolution_delay(zh, -1);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 15;
    pthread_mutex_lock(&mu);
    while (!connected) {
        if (pthread_cond_timedwait(&cv, &mu, &dl) != 0) { fprintf(stderr, "not connected\n"); return 1; }
    }
    pthread_mutex_unlock(&mu);

    char data[DATA_LEN];
    memset(data, 'x', sizeof data);
    int rc = zoo_create(zh, path, data, DATA_LEN, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) { fprintf(stderr, "create %s: %s\n", path, zerror(rc)); return 1; }

    long s0 = csw();
    double c0 = cpu(), t0 = now();
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&mu);
        while (outstanding >= window) pthread_cond_wait(&cv, &mu);
        outstanding++;
        pthread_mutex_unlock(&mu);
        rc = zoo_aget(zh, path, 0, on_get, NULL);
        if (rc != ZOK) { fprintf(stderr, "zoo_aget: %s\n", zerror(rc)); return 1; }
    }
    pthread_mutex_lock(&mu);
    while (outstanding > 0) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    double t1 = now(), c1 = cpu();
    long s1 = csw();

    zookeeper_close(zh);
    if (errors || bad_len) { fprintf(stderr, "c: %ld errors, %ld replies without %d bytes\n", errors, bad_len, DATA_LEN); return 1; }
    printf("RESULT client=c n=%ld inflight=%ld secs=%.3f ops_per_sec=%.0f cpu_us_per_op=%.2f csw_per_op=%.3f\n",
           n, window, t1 - t0, n / (t1 - t0), (c1 - c0) * 1e6 / n, (double)(s1 - s0) / n);
    return 0;
}
