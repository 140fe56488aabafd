/*
 * quickstart.c -- zkrs from C: connect, create, get with a watch, set, delete.
 *
 *   cc -Wall -Wextra -I include examples-c/quickstart.c -L target/debug -lzkrs -o quickstart
 *   ./quickstart 127.0.0.1:2181          (or ZK_HOSTS=127.0.0.1:2181 ./quickstart)
 *
 * Exits 0 when every step worked, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zkrs.h"

/* What the watch callback saw; written on the client's event thread, read here under the mutex. */
struct watch_state {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int fired;            /* times the watch callback ran */
    int freed;            /* times free_userdata ran */
    int32_t type;         /* ZKRS_EVENT_* */
    char path[256];
};

static void on_watch(void *userdata, const zkrs_watch_event *event) {
    struct watch_state *w = userdata;
    pthread_mutex_lock(&w->lock);
    w->fired++;
    w->type = event->type;
    /* event->path is borrowed: copy it */
    snprintf(w->path, sizeof w->path, "%s", event->path);
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
}

static void on_watch_free(void *userdata) {
    struct watch_state *w = userdata;
    pthread_mutex_lock(&w->lock);
    w->freed++;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
}

/* Waits up to timeout_ms until *counter >= want. */
static int wait_for(struct watch_state *w, int *counter, int want, int timeout_ms) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&w->lock);
    while (*counter < want) {
        if (pthread_cond_timedwait(&w->changed, &w->lock, &deadline) != 0) {
            break;
        }
    }
    int ok = *counter >= want;
    pthread_mutex_unlock(&w->lock);
    return ok;
}

#define CHECK(what, call)                                                                  \
    do {                                                                                   \
        zkrs_rc rc_ = (call);                                                              \
        if (rc_ != ZKRS_RC_OK) {                                                           \
            fprintf(stderr, "FAILED: %s: %s (%d): %s\n", what, zkrs_rc_name(rc_), (int)rc_, \
                    zkrs_last_error_message());                                            \
            goto fail;                                                                     \
        }                                                                                  \
    } while (0)

int main(int argc, char **argv) {
    const char *hosts = argc > 1 ? argv[1] : getenv("ZK_HOSTS");
    if (hosts == NULL || hosts[0] == '\0') {
        fprintf(stderr, "usage: %s HOST:PORT[,HOST:PORT...][/chroot]   (or set ZK_HOSTS)\n", argv[0]);
        return 2;
    }
    printf("zkrs %s (header %s)\n", zkrs_version(), ZKRS_VERSION_STRING);

    zkrs_config *cfg = NULL;
    zkrs_client *zk = NULL;
    zkrs_buf *created = NULL;
    zkrs_buf *data = NULL;
    int status = 1;
    struct watch_state w;
    memset(&w, 0, sizeof w);
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.changed, NULL);

    /* connect */
    CHECK("zkrs_config_new", zkrs_config_new(&cfg));
    CHECK("zkrs_config_set hosts", zkrs_config_set(cfg, "hosts", hosts));
    CHECK("zkrs_config_set session_timeout_ms", zkrs_config_set(cfg, "session_timeout_ms", "10000"));
    CHECK("zkrs_client_new", zkrs_client_new(cfg, &zk));
    zkrs_config_free(cfg); /* the client has its own copy */
    cfg = NULL;
    CHECK("zkrs_client_start", zkrs_client_start(zk, 15000));
    int64_t session = 0;
    CHECK("zkrs_client_session_id", zkrs_client_session_id(zk, &session));
    printf("connected to %s, session 0x%llx\n", hosts, (unsigned long long)session);

    /* create */
    char path[64];
    snprintf(path, sizeof path, "/zkrs-quickstart-%ld", (long)getpid());
    const char *hello = "hello";
    zkrs_stat stat;
    CHECK("zkrs_client_create",
          zkrs_client_create(zk, path, (const uint8_t *)hello, strlen(hello), NULL, &created, &stat));
    /* a zkrs_buf is always followed by a NUL byte, so a path can be printed as is */
    printf("created %s (version %d)\n", (const char *)zkrs_buf_data(created), stat.version);

    /* get, leaving a watch */
    zkrs_watcher watcher = {on_watch, &w, on_watch_free};
    CHECK("zkrs_client_get_data", zkrs_client_get_data(zk, path, &watcher, &data, &stat));
    printf("get %s -> \"%.*s\" (%zu bytes, version %d), watch set\n", path, (int)zkrs_buf_len(data),
           (const char *)zkrs_buf_data(data), zkrs_buf_len(data), stat.version);
    if (zkrs_buf_len(data) != strlen(hello) || memcmp(zkrs_buf_data(data), hello, strlen(hello)) != 0) {
        fprintf(stderr, "FAILED: read back different data\n");
        goto fail;
    }
    zkrs_buf_free(data);
    data = NULL;

    /* set: the watch fires */
    const char *world = "world";
    CHECK("zkrs_client_set_data",
          zkrs_client_set_data(zk, path, (const uint8_t *)world, strlen(world), stat.version, &stat));
    printf("set %s -> \"%s\" (version %d)\n", path, world, stat.version);
    if (!wait_for(&w, &w.fired, 1, 10000) || !wait_for(&w, &w.freed, 1, 10000)) {
        fprintf(stderr, "FAILED: the watch did not fire (fired %d, freed %d)\n", w.fired, w.freed);
        goto fail;
    }
    if (w.type != ZKRS_EVENT_NODE_DATA_CHANGED || strcmp(w.path, path) != 0) {
        fprintf(stderr, "FAILED: unexpected watch event %d on %s\n", (int)w.type, w.path);
        goto fail;
    }
    printf("watch fired: NODE_DATA_CHANGED on %s\n", w.path);

    /* a version conflict is an error code with a message, not a crash */
    zkrs_rc rc = zkrs_client_set_data(zk, path, (const uint8_t *)world, strlen(world), 0, NULL);
    if (rc != ZKRS_RC_BAD_VERSION) {
        fprintf(stderr, "FAILED: a stale version gave %s, not BAD_VERSION\n", zkrs_rc_name(rc));
        goto fail;
    }
    printf("set with a stale version -> %s: %s\n", zkrs_rc_name(rc), zkrs_last_error_message());

    /* delete */
    CHECK("zkrs_client_delete", zkrs_client_delete(zk, path, stat.version, false));
    bool exists = true;
    CHECK("zkrs_client_exists", zkrs_client_exists(zk, path, NULL, &exists, NULL));
    if (exists) {
        fprintf(stderr, "FAILED: %s still exists after delete\n", path);
        goto fail;
    }
    printf("deleted %s\n", path);

    /* close: the handle stays valid, calls return CLOSED */
    CHECK("zkrs_client_close", zkrs_client_close(zk));
    rc = zkrs_client_exists(zk, path, NULL, &exists, NULL);
    if (rc != ZKRS_RC_CLOSED) {
        fprintf(stderr, "FAILED: a call after close gave %s, not CLOSED\n", zkrs_rc_name(rc));
        goto fail;
    }
    if (w.fired != 1 || w.freed != 1) {
        fprintf(stderr, "FAILED: watch ran %d times, freed %d times (want 1 and 1)\n", w.fired, w.freed);
        goto fail;
    }
    printf("closed\nOK\n");
    status = 0;

fail:
    zkrs_buf_free(data);
    zkrs_buf_free(created);
    zkrs_client_free(zk);
    zkrs_config_free(cfg);
    pthread_cond_destroy(&w.changed);
    pthread_mutex_destroy(&w.lock);
    return status;
}
