/* c_client.c -- bench.h for the official C client, libzookeeper_mt, with
 * zoo_set_servers_resolution_delay(zh, -1) (otherwise it re-resolves the host on every wake-up). */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#define THREADED 1
#include <zookeeper/zookeeper.h>

#include "bench.h"

const char *const bench_client = "c";
static zhandle_t *main_zh;

struct conn { pthread_mutex_t mu; pthread_cond_t cv; int connected; };

static void on_session(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    (void)zh, (void)path;
    struct conn *c = ctx; /* the context given to zookeeper_init */
    if (type == ZOO_SESSION_EVENT && state == ZOO_CONNECTED_STATE) {
        pthread_mutex_lock(&c->mu);
        c->connected = 1;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
    }
}

static zhandle_t *open_session(const char *hosts) {
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    struct conn *c = calloc(1, sizeof *c); /* lives as long as the session */
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    zhandle_t *zh = zookeeper_init(hosts, on_session, 10000, NULL, c, 0);
    if (!zh) return NULL;
    zoo_set_servers_resolution_delay(zh, -1);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 15;
    pthread_mutex_lock(&c->mu);
    while (!c->connected)
        if (pthread_cond_timedwait(&c->cv, &c->mu, &dl) != 0) { pthread_mutex_unlock(&c->mu); return NULL; }
    pthread_mutex_unlock(&c->mu);
    return zh;
}

int cl_connect(const char *hosts) {
    main_zh = open_session(hosts);
    return main_zh ? 0 : -1;
}
void cl_close(void) { zookeeper_close(main_zh); }

static void on_data(int rc, const char *value, int len, const struct Stat *stat, const void *ud) {
    (void)value, (void)stat, (void)ud;
    bench_done(rc == ZOK && len == DATA_LEN);
}
static void on_stat(int rc, const struct Stat *stat, const void *ud) {
    (void)stat, (void)ud;
    bench_done(rc == ZOK);
}
static void on_exists(int rc, const struct Stat *stat, const void *ud) {
    (void)stat, (void)ud;
    bench_done(rc == ZNONODE);
}
static void on_string(int rc, const char *value, const void *ud) {
    (void)value, (void)ud;
    bench_done(rc == ZOK);
}
static void on_void(int rc, const void *ud) {
    (void)ud;
    bench_done(rc == ZOK);
}
static void on_watch(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    (void)zh, (void)type, (void)state, (void)path, (void)ctx;
}

int cl_get(const char *path) { return zoo_aget(main_zh, path, 0, on_data, NULL); }
int cl_set(const char *path, const char *data, int len) { return zoo_aset(main_zh, path, data, len, -1, on_stat, NULL); }
int cl_create(const char *path, const char *data, int len) {
    return zoo_acreate(main_zh, path, data, len, &ZOO_OPEN_ACL_UNSAFE, 0, on_string, NULL);
}
int cl_delete(const char *path) { return zoo_adelete(main_zh, path, -1, on_void, NULL); }
int cl_exists_watch(const char *path) { return zoo_awexists(main_zh, path, on_watch, NULL, on_exists, NULL); }

int cl_sync_get(const char *path) {
    char buf[DATA_LEN];
    int len = sizeof buf;
    struct Stat st;
    int rc = zoo_get(main_zh, path, 0, buf, &len, &st);
    return rc == ZOK && len == DATA_LEN ? 0 : -1;
}
int cl_ensure(const char *path, const char *data, int len) {
    int rc = zoo_create(main_zh, path, data, len, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
    return rc == ZOK || rc == ZNODEEXISTS ? 0 : rc;
}

void *cl_session_open(const char *hosts) { return open_session(hosts); }
void cl_session_close(void *s) { zookeeper_close(s); }

long cl_tree_cache(const char *path) {
    (void)path;
    return -1;
}
