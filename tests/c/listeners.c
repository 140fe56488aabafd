/*
 * listeners.c -- state listeners through a real connection drop and a real session expiry (the runner
 * cuts the proxied connections / expires the session from a second connection when asked with fault()),
 * with the watches that live through them: a one-shot and a persistent watch survive the drop and end
 * with SESSION_EXPIRED at the expiry; the client then starts a new session by itself. Listener removal
 * and close release the userdata exactly once.
 */
#include "check.h"

static char P[128];

typedef struct rec {
    pthread_mutex_t lock;
    counter calls;
    counter freed;
    int state[128], kazoo[128], prev[128];
} rec;

static void on_state(void *ud, const zkrs_state_event *ev) {
    rec *r = ud;
    if (counter_get(&r->freed) != 0) FAIL("a listener ran after its free_userdata");
    pthread_mutex_lock(&r->lock);
    int i = r->calls.n < 128 ? r->calls.n : 127;
    r->state[i] = ev->state;
    r->kazoo[i] = ev->kazoo_state;
    r->prev[i] = ev->previous_kazoo_state;
    pthread_mutex_unlock(&r->lock);
    counter_add(&r->calls, 1);
}

static void on_free(void *ud) {
    counter_add(&((rec *)ud)->freed, 1);
}

static void rec_init(rec *r) {
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    counter_init(&r->calls);
    counter_init(&r->freed);
}

/* Waits until the listener has seen `state` at index >= from; returns that index. */
static int wait_state(rec *r, int from, int state, int line) {
    long long t0 = now_ms();
    for (;;) {
        pthread_mutex_lock(&r->lock);
        int n = r->calls.n;
        for (int i = from; i < n && i < 128; i++)
            if (r->state[i] == state) {
                pthread_mutex_unlock(&r->lock);
                return i;
            }
        pthread_mutex_unlock(&r->lock);
        if (now_ms() - t0 > WAIT_MS) check_die(__FILE__, line, "the listener never saw state %d (after %d)", state, from);
        counter_wait(&r->calls, n + 1, 200);
    }
}
#define WAIT_STATE(r, from, state) wait_state((r), (from), (state), __LINE__)

static void dump(rec *r, const char *what) {
    pthread_mutex_lock(&r->lock);
    printf("%s: listener saw", what);
    for (int i = 0; i < r->calls.n && i < 128; i++) printf(" [%d kazoo %d<-%d]", r->state[i], r->kazoo[i], r->prev[i]);
    printf("\n");
    pthread_mutex_unlock(&r->lock);
}

int main(int argc, char **argv) {
    (void)test_hosts(argc, argv);
    const char *proxied = proxy_hosts();
    if (proxied == NULL) {
        printf("SKIP listeners: no ZK_PROXY_HOSTS (run by tests/c_api.rs)\nPASS listeners\n");
        return 0;
    }
    test_prefix(P, sizeof P, "listeners");
    rec r, r2;
    rec_init(&r);
    rec_init(&r2);

    zkrs_config *cfg = NULL;
    zkrs_client *c = NULL;
    CHECK_OK(zkrs_config_new(&cfg));
    CHECK_OK(zkrs_config_set(cfg, "hosts", proxied));
    CHECK_OK(zkrs_config_set(cfg, "session_timeout_ms", "8000"));
    CHECK_OK(zkrs_config_set(cfg, "log_level", "error"));
    CHECK_OK(zkrs_client_new(cfg, &c));
    zkrs_config_free(cfg);
    uint64_t id1 = 0, id2 = 0;
    CHECK_OK(zkrs_client_add_state_listener(c, on_state, &r, on_free, &id1));
    CHECK_OK(zkrs_client_add_state_listener(c, on_state, &r2, on_free, &id2));
    CHECK(id1 != id2);
    CHECK_OK(zkrs_client_start(c, WAIT_MS));
    int i = WAIT_STATE(&r, 0, ZKRS_STATE_CONNECTED);
    CHECK_INT(r.kazoo[i], ZKRS_KAZOO_STATE_CONNECTED);
    CHECK_INT(r.prev[i], ZKRS_KAZOO_STATE_LOST);
    int64_t session = 0;
    CHECK_OK(zkrs_client_session_id(c, &session));

    /* watches that should survive the drop */
    CHECK_OK(zkrs_client_create(c, P, NULL, 0, NULL, NULL, NULL));
    watch_rec once, persistent;
    watch_rec_init(&once);
    watch_rec_init(&persistent);
    zkrs_watcher wo = watcher_for(&once);
    bool e;
    char node[256];
    snprintf(node, sizeof node, "%s/n", P);
    CHECK_OK(zkrs_client_exists(c, node, &wo, &e, NULL));
    zkrs_watch *pw = NULL;
    CHECK_OK(zkrs_client_add_watch(c, P, ZKRS_ADD_WATCH_PERSISTENT_RECURSIVE, watch_rec_fn, &persistent,
                                   watch_rec_free, &pw));

    /* a real connection drop: SUSPENDED, then CONNECTED again with the same session */
    int from = counter_get(&r.calls);
    fault("drop");
    i = WAIT_STATE(&r, from, ZKRS_STATE_CONNECTING);
    CHECK_INT(r.kazoo[i], ZKRS_KAZOO_STATE_SUSPENDED);
    CHECK_INT(r.prev[i], ZKRS_KAZOO_STATE_CONNECTED);
    i = WAIT_STATE(&r, i, ZKRS_STATE_CONNECTED);
    CHECK_INT(r.kazoo[i], ZKRS_KAZOO_STATE_CONNECTED);
    CHECK_INT(r.prev[i], ZKRS_KAZOO_STATE_SUSPENDED);
    int64_t after = 0;
    CHECK_OK(zkrs_client_session_id(c, &after));
    CHECK_INT(after, session);
    dump(&r, "after the drop");
    /* the watches were re-registered: both see the creation */
    CHECK_INT(counter_get(&once.fired), 0);
    CHECK_OK(zkrs_client_create(c, node, NULL, 0, NULL, NULL, NULL));
    WAIT_COUNT(&once.freed, 1);
    CHECK_EVENT(&once, 0, ZKRS_EVENT_NODE_CREATED, node);
    WAIT_COUNT(&persistent.fired, 1);
    CHECK_EVENT(&persistent, 0, ZKRS_EVENT_NODE_CREATED, node);
    printf("connection drop: SUSPENDED -> CONNECTED, same session, watches kept\n");

    /* removing a listener releases its userdata once; it is not called any more */
    CHECK_OK(zkrs_client_remove_state_listener(c, id2));
    WAIT_COUNT(&r2.freed, 1);
    int r2_calls = counter_get(&r2.calls);
    CHECK_RC(zkrs_client_remove_state_listener(c, id2), ZKRS_RC_BAD_ARGUMENTS);

    /* a real expiry: EXPIRED (LOST), watches end with SESSION_EXPIRED, then a new session */
    watch_rec once2;
    watch_rec_init(&once2);
    zkrs_watcher wo2 = watcher_for(&once2);
    CHECK_OK(zkrs_client_exists(c, node, &wo2, &e, NULL));
    CHECK(e);
    zkrs_buf *idstr = NULL;
    CHECK_OK(zkrs_client_id_string(c, &idstr));
    char what[256];
    snprintf(what, sizeof what, "expire %s", (const char *)zkrs_buf_data(idstr));
    zkrs_buf_free(idstr);
    from = counter_get(&r.calls);
    fault(what);
    i = WAIT_STATE(&r, from, ZKRS_STATE_EXPIRED);
    CHECK_INT(r.kazoo[i], ZKRS_KAZOO_STATE_LOST);
    WAIT_COUNT(&once2.freed, 1);
    CHECK_INT(counter_get(&once2.fired), 1);
    CHECK_EVENT(&once2, 0, ZKRS_EVENT_SESSION_EXPIRED, node);
    CHECK_INT(once2.states[0], ZKRS_STATE_EXPIRED);
    WAIT_COUNT(&persistent.freed, 1);
    int pn = counter_get(&persistent.fired);
    CHECK_INT(persistent.types[pn - 1], ZKRS_EVENT_SESSION_EXPIRED);
    i = WAIT_STATE(&r, i, ZKRS_STATE_CONNECTED);
    CHECK_INT(r.kazoo[i], ZKRS_KAZOO_STATE_CONNECTED);
    CHECK_INT(r.prev[i], ZKRS_KAZOO_STATE_LOST);
    CHECK_OK(zkrs_client_session_id(c, &after));
    CHECK(after != 0 && after != session);
    dump(&r, "after the expiry");
    /* the new session works */
    CHECK_OK(zkrs_client_exists(c, node, NULL, &e, NULL));
    CHECK(e);
    CHECK_INT(counter_get(&r2.calls), r2_calls);
    printf("session expiry: EXPIRED (LOST) -> CONNECTED with a new session, watches ended\n");

    /* close: the remaining listener sees CLOSED and is released once */
    CHECK_OK(zkrs_client_delete(c, P, -1, true));
    CHECK_OK(zkrs_client_close(c));
    CHECK_INT(counter_get(&r.freed), 1);
    int n = counter_get(&r.calls);
    CHECK_INT(r.state[n - 1 < 127 ? n - 1 : 127], ZKRS_STATE_CLOSED);
    zkrs_watch_free(pw);
    zkrs_client_free(c);
    CHECK_INT(counter_get(&r.freed), 1);
    CHECK_INT(counter_get(&r2.freed), 1);
    watch_rec_destroy(&once);
    watch_rec_destroy(&once2);
    watch_rec_destroy(&persistent);
    printf("PASS listeners\n");
    return 0;
}
