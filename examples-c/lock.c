/*
 * lock.c -- a distributed lock from C: worker threads, each with its own client and zkrs_lock on one
 * path, take turns in a critical section; the program checks that no two were ever inside at once.
 * The lock is kazoo's: a Python process using kazoo's Lock on the same path takes part in the same queue.
 *
 *   cc -Wall -Wextra -I include examples-c/lock.c -L target/debug -lzkrs -lpthread -o lock
 *   ./lock 127.0.0.1:2181 [WORKERS] [ROUNDS]
 *
 * Exits 0 when every round worked, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zkrs.h"

static const char *hosts;
static char lock_path[128];
static int rounds = 5;

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int inside, max_inside, sections, failures;

static void fail(const char *what, zkrs_rc rc) {
    pthread_mutex_lock(&stats_lock);
    failures++;
    pthread_mutex_unlock(&stats_lock);
    printf("%s: %s (%s)\n", what, zkrs_rc_name(rc), zkrs_last_error_message());
}

static void critical_section(void) {
    pthread_mutex_lock(&stats_lock);
    inside++;
    if (inside > max_inside) max_inside = inside;
    pthread_mutex_unlock(&stats_lock);
    struct timespec pause = {0, 2 * 1000 * 1000};
    nanosleep(&pause, NULL);
    pthread_mutex_lock(&stats_lock);
    inside--;
    sections++;
    pthread_mutex_unlock(&stats_lock);
}

static void *worker(void *arg) {
    int id = (int)(long)arg;
    char name[32];
    snprintf(name, sizeof name, "worker-%d", id);
    zkrs_config *cfg = NULL;
    zkrs_client *zk = NULL;
    zkrs_lock *lock = NULL;
    zkrs_rc rc;
    if ((rc = zkrs_config_new(&cfg)) != ZKRS_RC_OK || (rc = zkrs_config_set(cfg, "hosts", hosts)) != ZKRS_RC_OK ||
        (rc = zkrs_client_new(cfg, &zk)) != ZKRS_RC_OK || (rc = zkrs_client_start(zk, 15000)) != ZKRS_RC_OK) {
        fail("connect", rc);
        goto out;
    }
    /* the identifier is stored in the contender node: zkrs_lock_contenders and kazoo show it */
    if ((rc = zkrs_lock_new(zk, lock_path, name, ZKRS_LOCK_EXCLUSIVE, &lock)) != ZKRS_RC_OK) {
        fail("zkrs_lock_new", rc);
        goto out;
    }
    for (int i = 0; i < rounds; i++) {
        /* wait at most 20 s; TIMEOUT, CANCELLED or SESSION_EXPIRED would say why not */
        if ((rc = zkrs_lock_acquire(lock, 20000, true)) != ZKRS_RC_OK) {
            fail("zkrs_lock_acquire", rc);
            break;
        }
        if (!zkrs_lock_is_held(lock)) fail("held lock reported as not held", ZKRS_RC_OK);
        critical_section();
        if ((rc = zkrs_lock_release(lock, NULL)) != ZKRS_RC_OK) fail("zkrs_lock_release", rc);
    }
out:
    zkrs_lock_free(lock);
    zkrs_client_free(zk);
    zkrs_config_free(cfg);
    return NULL;
}

int main(int argc, char **argv) {
    hosts = argc > 1 ? argv[1] : getenv("ZK_HOSTS");
    if (hosts == NULL || hosts[0] == '\0') {
        fprintf(stderr, "usage: %s HOST:PORT [WORKERS] [ROUNDS]   (or set ZK_HOSTS)\n", argv[0]);
        return 2;
    }
    int workers = argc > 2 ? atoi(argv[2]) : 4;
    rounds = argc > 3 ? atoi(argv[3]) : 5;
    if (workers < 1 || workers > 64 || rounds < 1) {
        fprintf(stderr, "WORKERS must be 1..64 and ROUNDS at least 1\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    snprintf(lock_path, sizeof lock_path, "/zkrs-lock-example-%ld-%ld", (long)getpid(), (long)time(NULL));
    printf("lock %s: %d workers x %d rounds\n", lock_path, workers, rounds);

    pthread_t threads[64];
    for (int i = 0; i < workers; i++) pthread_create(&threads[i], NULL, worker, (void *)(long)i);
    for (int i = 0; i < workers; i++) pthread_join(threads[i], NULL);

    printf("%d critical sections, at most %d holder(s) at once\n", sections, max_inside);
    if (failures == 0 && sections == workers * rounds && max_inside == 1) {
        printf("OK\n");
        return 0;
    }
    printf("FAILED\n");
    return 1;
}
