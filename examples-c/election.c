/*
 * election.c -- leader election from C: candidate threads, each with its own client, run for leader on
 * one path; each leads once for a moment and steps down, and the next in line takes over. The program
 * checks that there was never more than one leader. The election is kazoo's: kazoo's Election on the
 * same path competes in the same queue.
 *
 *   cc -Wall -Wextra -I include examples-c/election.c -L target/debug -lzkrs -lpthread -o election
 *   ./election 127.0.0.1:2181 [CANDIDATES]
 *
 * Exits 0 when every candidate led exactly once and alone, 1 otherwise.
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
static char election_path[128];

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int leaders_now, max_leaders, terms, failures;

struct candidate {
    int id;
    int led;     /* times the leader function ran */
    int freed;   /* times free_userdata ran */
};

/* Runs on the candidate's own thread (the one in zkrs_election_run) while it leads. */
static void lead(void *userdata, zkrs_election *election) {
    struct candidate *c = userdata;
    zkrs_string_list *queue = NULL;
    pthread_mutex_lock(&stats_lock);
    leaders_now++;
    if (leaders_now > max_leaders) max_leaders = leaders_now;
    pthread_mutex_unlock(&stats_lock);
    c->led++;
    if (zkrs_election_contenders(election, &queue) == ZKRS_RC_OK) {
        printf("candidate-%d leads (%zu in the election, first: %s)\n", c->id, zkrs_string_list_len(queue),
               zkrs_string_list_len(queue) ? zkrs_string_list_get(queue, 0) : "-");
        zkrs_string_list_free(queue);
    }
    struct timespec term = {0, 20 * 1000 * 1000};
    nanosleep(&term, NULL);
    if (!zkrs_election_is_leader(election)) printf("candidate-%d lost leadership during its term\n", c->id);
    pthread_mutex_lock(&stats_lock);
    leaders_now--;
    terms++;
    pthread_mutex_unlock(&stats_lock);
}

static void candidate_free(void *userdata) {
    ((struct candidate *)userdata)->freed++;
}

static void *run(void *arg) {
    struct candidate *c = arg;
    char name[32];
    snprintf(name, sizeof name, "candidate-%d", c->id);
    zkrs_config *cfg = NULL;
    zkrs_client *zk = NULL;
    zkrs_election *election = NULL;
    zkrs_rc rc;
    if ((rc = zkrs_config_new(&cfg)) != ZKRS_RC_OK || (rc = zkrs_config_set(cfg, "hosts", hosts)) != ZKRS_RC_OK ||
        (rc = zkrs_client_new(cfg, &zk)) != ZKRS_RC_OK || (rc = zkrs_client_start(zk, 15000)) != ZKRS_RC_OK ||
        (rc = zkrs_election_new(zk, election_path, name, &election)) != ZKRS_RC_OK ||
        /* blocks until elected (at most 20 s), leads, steps down */
        (rc = zkrs_election_run(election, 20000, lead, c, candidate_free)) != ZKRS_RC_OK) {
        printf("%s: %s (%s)\n", name, zkrs_rc_name(rc), zkrs_last_error_message());
        pthread_mutex_lock(&stats_lock);
        failures++;
        pthread_mutex_unlock(&stats_lock);
    }
    zkrs_election_free(election);
    zkrs_client_free(zk);
    zkrs_config_free(cfg);
    return NULL;
}

int main(int argc, char **argv) {
    hosts = argc > 1 ? argv[1] : getenv("ZK_HOSTS");
    if (hosts == NULL || hosts[0] == '\0') {
        fprintf(stderr, "usage: %s HOST:PORT [CANDIDATES]   (or set ZK_HOSTS)\n", argv[0]);
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 4;
    if (n < 1 || n > 64) {
        fprintf(stderr, "CANDIDATES must be 1..64\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    snprintf(election_path, sizeof election_path, "/zkrs-election-example-%ld-%ld", (long)getpid(), (long)time(NULL));
    printf("election %s: %d candidates\n", election_path, n);

    pthread_t threads[64];
    struct candidate cands[64];
    for (int i = 0; i < n; i++) {
        memset(&cands[i], 0, sizeof cands[i]);
        cands[i].id = i;
        pthread_create(&threads[i], NULL, run, &cands[i]);
    }
    int once = 1;
    for (int i = 0; i < n; i++) {
        pthread_join(threads[i], NULL);
        if (cands[i].led != 1 || cands[i].freed != 1) once = 0;
    }
    printf("%d terms, at most %d leader(s) at once\n", terms, max_leaders);
    if (failures == 0 && once && terms == n && max_leaders == 1) {
        printf("OK\n");
        return 0;
    }
    printf("FAILED\n");
    return 1;
}
