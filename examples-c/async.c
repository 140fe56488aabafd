/*
 * async.c -- pipelined asynchronous calls from C, two ways: with completion callbacks, and with
 * futures. Creates N nodes, reads them back, deletes them, and prints the throughput of each way.
 *
 *   ./async 127.0.0.1:2181 [N]          (or ZK_HOSTS=127.0.0.1:2181 ./async)
 *
 * Exits 0 when every call succeeded, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zkrs.h"

/* Completions run on the client's event thread, one at a time; the main thread waits on `all_done`. */
struct batch {
    pthread_mutex_t lock;
    pthread_cond_t all_done;
    int pending;
    int failed;
};

static void batch_done(struct batch *b, zkrs_rc rc, const char *detail) {
    pthread_mutex_lock(&b->lock);
    if (rc != ZKRS_RC_OK) {
        if (b->failed++ == 0) fprintf(stderr, "a call failed: %s: %s\n", zkrs_rc_name(rc), detail);
    }
    if (--b->pending == 0) pthread_cond_broadcast(&b->all_done);
    pthread_mutex_unlock(&b->lock);
}

static void on_created(void *ud, zkrs_rc rc, const char *detail, const char *path, const zkrs_stat *stat) {
    (void)path, (void)stat;
    batch_done(ud, rc, detail);
}

static void on_data(void *ud, zkrs_rc rc, const char *detail, const uint8_t *data, size_t len, const zkrs_stat *stat) {
    (void)stat;
    /* data is borrowed: check it here, do not keep the pointer */
    if (rc == ZKRS_RC_OK && (len != 5 || memcmp(data, "value", 5) != 0)) rc = ZKRS_RC_DATA_INCONSISTENCY;
    batch_done(ud, rc, detail);
}

static void on_deleted(void *ud, zkrs_rc rc, const char *detail) {
    batch_done(ud, rc, detail);
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int wait_batch(struct batch *b) {
    pthread_mutex_lock(&b->lock);
    while (b->pending > 0) pthread_cond_wait(&b->all_done, &b->lock);
    int failed = b->failed;
    pthread_mutex_unlock(&b->lock);
    return failed;
}

int main(int argc, char **argv) {
    const char *hosts = argc > 1 ? argv[1] : getenv("ZK_HOSTS");
    int n = argc > 2 ? atoi(argv[2]) : 1000;
    if (hosts == NULL || hosts[0] == '\0' || n <= 0) {
        fprintf(stderr, "usage: %s HOST:PORT[,HOST:PORT...][/chroot] [N]   (or set ZK_HOSTS)\n", argv[0]);
        return 2;
    }
    zkrs_config *cfg = NULL;
    zkrs_client *zk = NULL;
    zkrs_rc rc;
    if ((rc = zkrs_config_new(&cfg)) != ZKRS_RC_OK || (rc = zkrs_config_set(cfg, "hosts", hosts)) != ZKRS_RC_OK ||
        (rc = zkrs_client_new(cfg, &zk)) != ZKRS_RC_OK || (rc = zkrs_client_start(zk, 15000)) != ZKRS_RC_OK) {
        fprintf(stderr, "cannot connect to %s: %s: %s\n", hosts, zkrs_rc_name(rc), zkrs_last_error_message());
        zkrs_config_free(cfg);
        zkrs_client_free(zk);
        return 1;
    }
    zkrs_config_free(cfg);
    printf("connected to %s\n", hosts);

    char root[64], path[128];
    snprintf(root, sizeof root, "/zkrs-async-%ld", (long)getpid());
    if ((rc = zkrs_client_create(zk, root, NULL, 0, NULL, NULL, NULL)) != ZKRS_RC_OK) {
        fprintf(stderr, "create %s: %s: %s\n", root, zkrs_rc_name(rc), zkrs_last_error_message());
        zkrs_client_free(zk);
        return 1;
    }
    int failed = 0;
    struct batch b;
    pthread_mutex_init(&b.lock, NULL);
    pthread_cond_init(&b.all_done, NULL);

    /* 1. callbacks: submit everything, then wait once */
    double t0 = seconds();
    b.pending = n;
    b.failed = 0;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/n%06d", root, i);
        if ((rc = zkrs_client_create_async(zk, path, (const uint8_t *)"value", 5, NULL, on_created, &b)) != ZKRS_RC_OK) {
            fprintf(stderr, "create_async: %s\n", zkrs_rc_name(rc));
            batch_done(&b, rc, zkrs_last_error_message()); /* the callback will not run */
        }
    }
    failed += wait_batch(&b);
    double t1 = seconds();
    b.pending = n;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/n%06d", root, i);
        if ((rc = zkrs_client_get_data_async(zk, path, NULL, on_data, &b)) != ZKRS_RC_OK)
            batch_done(&b, rc, zkrs_last_error_message());
    }
    failed += wait_batch(&b);
    double t2 = seconds();
    printf("callbacks: %d creates in %.3f s (%.0f/s), %d gets in %.3f s (%.0f/s)\n", n, t1 - t0, n / (t1 - t0), n,
           t2 - t1, n / (t2 - t1));

    /* 2. futures: submit everything, keep the handles, then read each result */
    zkrs_future **fs = calloc((size_t)n, sizeof *fs);
    if (fs == NULL) return 1;
    t0 = seconds();
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/n%06d", root, i);
        if (zkrs_client_get_data_future(zk, path, NULL, &fs[i]) != ZKRS_RC_OK) fs[i] = NULL;
    }
    for (int i = 0; i < n; i++) {
        zkrs_buf *data = NULL;
        rc = fs[i] ? zkrs_future_get_data(fs[i], 15000, &data, NULL) : ZKRS_RC_SYSTEM_ERROR;
        if (rc != ZKRS_RC_OK || zkrs_buf_len(data) != 5 || memcmp(zkrs_buf_data(data), "value", 5) != 0) {
            if (failed++ == 0) fprintf(stderr, "future %d: %s: %s\n", i, zkrs_rc_name(rc), zkrs_last_error_message());
        }
        zkrs_buf_free(data);
        zkrs_future_free(fs[i]);
    }
    t1 = seconds();
    printf("futures: %d gets in %.3f s (%.0f/s)\n", n, t1 - t0, n / (t1 - t0));
    free(fs);

    /* clean up: async deletes, then the root */
    b.pending = n;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/n%06d", root, i);
        if ((rc = zkrs_client_delete_async(zk, path, -1, on_deleted, &b)) != ZKRS_RC_OK)
            batch_done(&b, rc, zkrs_last_error_message());
    }
    failed += wait_batch(&b);
    if ((rc = zkrs_client_delete(zk, root, -1, false)) != ZKRS_RC_OK) failed++;
    printf("deleted %d nodes and %s\n", n, root);
    zkrs_client_free(zk);
    pthread_cond_destroy(&b.all_done);
    pthread_mutex_destroy(&b.lock);
    printf(failed ? "FAILED: %d calls failed\n" : "OK\n", failed);
    return failed ? 1 : 0;
}
