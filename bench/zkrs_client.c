/* zkrs_client.c -- bench.h for zkrs through its C API (include/zkrs.h, libzkrs.so), default config
 * (dispatch=thread: completions on the client's event thread). */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "bench.h"
#include "zkrs.h"

const char *const bench_client = "zkrs";
static zkrs_client *main_zk;
static zkrs_tree_cache *cache;

static zkrs_client *open_session(const char *hosts) {
    zkrs_config *cfg = NULL;
    zkrs_client *zk = NULL;
    zkrs_rc rc;
    if ((rc = zkrs_config_new(&cfg)) != ZKRS_RC_OK || (rc = zkrs_config_set(cfg, "hosts", hosts)) != ZKRS_RC_OK ||
        (rc = zkrs_config_set(cfg, "session_timeout_ms", "10000")) != ZKRS_RC_OK ||
        (rc = zkrs_client_new(cfg, &zk)) != ZKRS_RC_OK || (rc = zkrs_client_start(zk, 15000)) != ZKRS_RC_OK) {
        fprintf(stderr, "zkrs: %s: %s\n", zkrs_rc_name(rc), zkrs_last_error_message());
        zkrs_config_free(cfg);
        zkrs_client_free(zk);
        return NULL;
    }
    zkrs_config_free(cfg);
    return zk;
}

int cl_connect(const char *hosts) {
    main_zk = open_session(hosts);
    return main_zk ? 0 : -1;
}
void cl_close(void) {
    zkrs_tree_cache_free(cache);
    zkrs_client_free(main_zk);
}

static void on_data(void *ud, zkrs_rc rc, const char *detail, const uint8_t *data, size_t len, const zkrs_stat *stat) {
    (void)ud, (void)detail, (void)data, (void)stat;
    bench_done(rc == ZKRS_RC_OK && len == DATA_LEN);
}
static void on_stat(void *ud, zkrs_rc rc, const char *detail, const zkrs_stat *stat) {
    (void)ud, (void)detail, (void)stat;
    bench_done(rc == ZKRS_RC_OK);
}
static void on_exists(void *ud, zkrs_rc rc, const char *detail, bool exists, const zkrs_stat *stat) {
    (void)ud, (void)detail, (void)stat;
    bench_done(rc == ZKRS_RC_OK && !exists);
}
static void on_created(void *ud, zkrs_rc rc, const char *detail, const char *path, const zkrs_stat *stat) {
    (void)ud, (void)detail, (void)path, (void)stat;
    bench_done(rc == ZKRS_RC_OK);
}
static void on_void(void *ud, zkrs_rc rc, const char *detail) {
    (void)ud, (void)detail;
    bench_done(rc == ZKRS_RC_OK);
}
static void on_watch(void *ud, const zkrs_watch_event *ev) { (void)ud, (void)ev; }

int cl_get(const char *path) { return zkrs_client_get_data_async(main_zk, path, NULL, on_data, NULL); }
int cl_set(const char *path, const char *data, int len) {
    return zkrs_client_set_data_async(main_zk, path, (const uint8_t *)data, (size_t)len, -1, on_stat, NULL);
}
int cl_create(const char *path, const char *data, int len) {
    return zkrs_client_create_async(main_zk, path, (const uint8_t *)data, (size_t)len, NULL, on_created, NULL);
}
int cl_delete(const char *path) { return zkrs_client_delete_async(main_zk, path, -1, on_void, NULL); }
int cl_exists_watch(const char *path) {
    zkrs_watcher w = {on_watch, NULL, NULL};
    return zkrs_client_exists_async(main_zk, path, &w, on_exists, NULL);
}

int cl_sync_get(const char *path) {
    zkrs_buf *b = NULL;
    zkrs_stat st;
    zkrs_rc rc = zkrs_client_get_data(main_zk, path, NULL, &b, &st);
    int ok = rc == ZKRS_RC_OK && zkrs_buf_len(b) == DATA_LEN;
    zkrs_buf_free(b);
    return ok ? 0 : -1;
}
int cl_ensure(const char *path, const char *data, int len) {
    zkrs_rc rc = zkrs_client_create(main_zk, path, (const uint8_t *)data, (size_t)len, NULL, NULL, NULL);
    return rc == ZKRS_RC_OK || rc == ZKRS_RC_NODE_EXISTS ? 0 : rc;
}

void *cl_session_open(const char *hosts) { return open_session(hosts); }
void cl_session_close(void *s) { zkrs_client_free(s); }

/* TreeCache events arrive on the event thread; the main thread waits for INITIALIZED. */
static pthread_mutex_t tc_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tc_cv = PTHREAD_COND_INITIALIZER;
static long tc_added = 0;
static int tc_initialized = 0;

static void on_tree_event(void *ud, const zkrs_tree_event *ev) {
    (void)ud;
    pthread_mutex_lock(&tc_mu);
    if (ev->type == ZKRS_TREE_NODE_ADDED) tc_added++;
    if (ev->type == ZKRS_TREE_INITIALIZED) {
        tc_initialized = 1;
        pthread_cond_broadcast(&tc_cv);
    }
    pthread_mutex_unlock(&tc_mu);
}

long cl_tree_cache(const char *path) {
    zkrs_rc rc;
    if ((rc = zkrs_tree_cache_new(main_zk, path, &cache)) != ZKRS_RC_OK ||
        (rc = zkrs_tree_cache_listen(cache, on_tree_event, NULL, NULL)) != ZKRS_RC_OK ||
        (rc = zkrs_tree_cache_start(cache)) != ZKRS_RC_OK) {
        fprintf(stderr, "zkrs tree cache: %s: %s\n", zkrs_rc_name(rc), zkrs_last_error_message());
        return -2;
    }
    pthread_mutex_lock(&tc_mu);
    while (!tc_initialized) pthread_cond_wait(&tc_cv, &tc_mu);
    long added = tc_added;
    pthread_mutex_unlock(&tc_mu);
    return added;
}
