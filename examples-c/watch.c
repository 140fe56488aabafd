/*
 * watch.c -- a persistent recursive watch from C: prints every event under a path until N events were
 * seen or a timeout passed.
 *
 *   ./watch 127.0.0.1:2181 /some/path [N [SECONDS]]      (defaults: the path /, N 10, 60 seconds)
 *
 * Then change nodes under the path (zkCli.sh, another program) and watch the events arrive. With
 * --self it makes N changes itself, so it can run unattended (the tests do that).
 * Exits 0 when N events were seen, 1 on a timeout or an error.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zkrs.h"

struct seen {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int events;
    int ended; /* a terminal event came: the watch is gone */
    int freed;
};

static const char *event_name(int32_t type) {
    switch (type) {
    case ZKRS_EVENT_NODE_CREATED: return "NODE_CREATED";
    case ZKRS_EVENT_NODE_DELETED: return "NODE_DELETED";
    case ZKRS_EVENT_NODE_DATA_CHANGED: return "NODE_DATA_CHANGED";
    case ZKRS_EVENT_NODE_CHILDREN_CHANGED: return "NODE_CHILDREN_CHANGED";
    case ZKRS_EVENT_PERSISTENT_WATCH_REMOVED: return "PERSISTENT_WATCH_REMOVED";
    case ZKRS_EVENT_SESSION_EXPIRED: return "SESSION_EXPIRED";
    case ZKRS_EVENT_CLIENT_CLOSED: return "CLIENT_CLOSED";
    default: return "OTHER";
    }
}

/* Runs on the client's event thread for every event; event->path is borrowed. */
static void on_event(void *ud, const zkrs_watch_event *event) {
    struct seen *s = ud;
    pthread_mutex_lock(&s->lock);
    int terminal = event->type == ZKRS_EVENT_PERSISTENT_WATCH_REMOVED || event->type >= ZKRS_EVENT_SESSION_EXPIRED;
    if (terminal) s->ended = 1;
    else s->events++;
    printf("event %d: %s %s\n", terminal ? 0 : s->events, event_name(event->type), event->path);
    fflush(stdout);
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
}

/* Runs exactly once, after the last on_event. */
static void on_free(void *ud) {
    struct seen *s = ud;
    pthread_mutex_lock(&s->lock);
    s->freed++;
    pthread_mutex_unlock(&s->lock);
}

int main(int argc, char **argv) {
    int self = 0, npos = 0;
    const char *args[4] = {NULL, "/", "10", "60"};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--self") == 0) self = 1;
        else if (npos < 4) args[npos++] = argv[i];
    }
    /* positional: HOSTS PATH N SECONDS */
    const char *hosts = args[0] ? args[0] : getenv("ZK_HOSTS");
    const char *path = args[1];
    int want = atoi(args[2]);
    int seconds = atoi(args[3]);
    if (hosts == NULL || hosts[0] == '\0' || path[0] != '/' || want <= 0 || seconds <= 0) {
        fprintf(stderr, "usage: %s HOST:PORT[,...] [/path [N [SECONDS]]] [--self]\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    zkrs_config *cfg = NULL;
    zkrs_client *zk = NULL;
    zkrs_watch *w = NULL;
    zkrs_rc rc;
    struct seen s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.changed, NULL);
    if ((rc = zkrs_config_new(&cfg)) != ZKRS_RC_OK || (rc = zkrs_config_set(cfg, "hosts", hosts)) != ZKRS_RC_OK ||
        (rc = zkrs_client_new(cfg, &zk)) != ZKRS_RC_OK || (rc = zkrs_client_start(zk, 15000)) != ZKRS_RC_OK) {
        fprintf(stderr, "cannot connect to %s: %s: %s\n", hosts, zkrs_rc_name(rc), zkrs_last_error_message());
        zkrs_config_free(cfg);
        zkrs_client_free(zk);
        return 1;
    }
    zkrs_config_free(cfg);
    rc = zkrs_client_add_watch(zk, path, ZKRS_ADD_WATCH_PERSISTENT_RECURSIVE, on_event, &s, on_free, &w);
    if (rc != ZKRS_RC_OK) {
        fprintf(stderr, "add_watch %s: %s: %s\n", path, zkrs_rc_name(rc), zkrs_last_error_message());
        zkrs_client_free(zk);
        return 1;
    }
    printf("watching %s and everything below it (persistent, recursive) for %d events or %d s\n", path, want, seconds);

    if (self) {
        /* make the changes ourselves: create a node under the path, change it, delete it, ... */
        char node[512];
        snprintf(node, sizeof node, "%s%szkrs-watch-%ld", path, strcmp(path, "/") == 0 ? "" : "/", (long)getpid());
        for (int i = 0; i < want; i++) {
            if (i % 3 == 0) rc = zkrs_client_create(zk, node, NULL, 0, NULL, NULL, NULL);
            else if (i % 3 == 1) rc = zkrs_client_set_data(zk, node, (const uint8_t *)"x", 1, -1, NULL);
            else rc = zkrs_client_delete(zk, node, -1, false);
            if (rc != ZKRS_RC_OK) fprintf(stderr, "change %d: %s: %s\n", i, zkrs_rc_name(rc), zkrs_last_error_message());
        }
    }

    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += seconds;
    pthread_mutex_lock(&s.lock);
    while (s.events < want && !s.ended)
        if (pthread_cond_timedwait(&s.changed, &s.lock, &deadline) != 0) break;
    int got = s.events;
    pthread_mutex_unlock(&s.lock);

    /* removing the watch ends it with PERSISTENT_WATCH_REMOVED; then free the handle and the client */
    rc = zkrs_watch_remove(w);
    if (rc != ZKRS_RC_OK) fprintf(stderr, "watch_remove: %s: %s\n", zkrs_rc_name(rc), zkrs_last_error_message());
    zkrs_watch_free(w);
    zkrs_client_free(zk);
    printf("%d events; the watch's userdata was released %d time(s)\n", got, s.freed);
    pthread_cond_destroy(&s.changed);
    pthread_mutex_destroy(&s.lock);
    if (got < want) {
        printf("TIMEOUT after %d s with %d of %d events\n", seconds, got, want);
        return 1;
    }
    printf("OK\n");
    return s.freed == 1 ? 0 : 1;
}
