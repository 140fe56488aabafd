/*
 * threads.c -- 10 pthreads sharing one client (sync calls, async calls, futures and watches at once,
 * each thread on its own nodes, errors kept per thread in zkrs_last_error_message), then close from
 * inside callbacks: from a watch callback, from an async completion, from a future's then callback and
 * from a state listener; close racing with calls from other threads.
 */
#include "check.h"

#define THREADS 10

static char P[128];

typedef struct worker {
    zkrs_client *zk;
    int index;
    int iterations;
    counter async_done;
    int async_errors;
    watch_rec watch;
} worker;

static void on_set(void *ud, zkrs_rc rc, const char *detail, const zkrs_stat *stat) {
    worker *w = ud;
    (void)stat;
    if (rc != ZKRS_RC_OK) {
        fprintf(stderr, "thread %d: async set: %s %s\n", w->index, zkrs_rc_name(rc), detail);
        __sync_add_and_fetch(&w->async_errors, 1);
    }
    counter_add(&w->async_done, 1);
}

static void *work(void *arg) {
    worker *w = arg;
    char base[256], node[300], msg[64];
    snprintf(base, sizeof base, "%s/t%d", P, w->index);
    CHECK_OK(zkrs_client_create(w->zk, base, NULL, 0, NULL, NULL, NULL));
    /* a watch that the other threads' traffic must not disturb */
    zkrs_watcher wa = watcher_for(&w->watch);
    bool exists;
    snprintf(node, sizeof node, "%s/watched", base);
    CHECK_OK(zkrs_client_exists(w->zk, node, &wa, &exists, NULL));
    CHECK(!exists);
    for (int i = 0; i < w->iterations; i++) {
        snprintf(node, sizeof node, "%s/n%d", base, i);
        snprintf(msg, sizeof msg, "thread %d item %d", w->index, i);
        CHECK_OK(zkrs_client_create(w->zk, node, U8(msg), strlen(msg), NULL, NULL, NULL));
        /* an error of this thread: its own message, naming its own path */
        CHECK_RC_MSG(zkrs_client_create(w->zk, node, NULL, 0, NULL, NULL, NULL), ZKRS_RC_NODE_EXISTS, node);
        zkrs_buf *b = NULL;
        CHECK_OK(zkrs_client_get_data(w->zk, node, NULL, &b, NULL));
        CHECK_BUF(b, msg);
        zkrs_buf_free(b);
        CHECK_OK(zkrs_client_set_data_async(w->zk, node, U8("async"), 5, 0, on_set, w));
        zkrs_future *f = NULL;
        CHECK_OK(zkrs_client_exists_future(w->zk, node, NULL, &f));
        CHECK_OK(zkrs_future_get_exists(f, WAIT_MS, &exists, NULL));
        CHECK(exists);
        zkrs_future_free(f);
    }
    WAIT_COUNT(&w->async_done, w->iterations);
    CHECK_INT(w->async_errors, 0);
    zkrs_string_list *kids = NULL;
    CHECK_OK(zkrs_client_get_children(w->zk, base, NULL, &kids, NULL));
    CHECK_INT(zkrs_string_list_len(kids), w->iterations);
    zkrs_string_list_free(kids);
    CHECK_INT(counter_get(&w->watch.fired), 0);
    /* now trip this thread's own watch */
    snprintf(node, sizeof node, "%s/watched", base);
    CHECK_OK(zkrs_client_create(w->zk, node, NULL, 0, NULL, NULL, NULL));
    WAIT_COUNT(&w->watch.freed, 1);
    CHECK_INT(counter_get(&w->watch.fired), 1);
    CHECK_EVENT(&w->watch, 0, ZKRS_EVENT_NODE_CREATED, node);
    return NULL;
}

static void test_threads(zkrs_client *zk) {
    pthread_t t[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].zk = zk;
        w[i].index = i;
        w[i].iterations = iters(100);
        counter_init(&w[i].async_done);
        watch_rec_init(&w[i].watch);
    }
    for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0);
    for (int i = 0; i < THREADS; i++) CHECK(pthread_join(t[i], NULL) == 0);
    int32_t count = 0;
    CHECK_OK(zkrs_client_get_all_children_number(zk, P, &count));
    CHECK_INT(count, THREADS * (w[0].iterations + 2));
    for (int i = 0; i < THREADS; i++) {
        counter_destroy(&w[i].async_done);
        watch_rec_destroy(&w[i].watch);
    }
    printf("%d threads x %d iterations on one client: ok\n", THREADS, w[0].iterations);
}

/* ---- close from inside callbacks ------------------------------------------------------------------- */

typedef struct closer {
    zkrs_client *zk;
    counter closed;
    zkrs_rc close_rc;
    zkrs_rc after_rc;
    int calls;
} closer;

static void close_from_watch(void *ud, const zkrs_watch_event *ev) {
    closer *c = ud;
    c->calls++;
    if (ev->type != ZKRS_EVENT_NODE_CREATED) return; /* the terminal event of our own close may come too */
    c->close_rc = zkrs_client_close(c->zk);
    bool e;
    c->after_rc = zkrs_client_exists(c->zk, "/", NULL, &e, NULL);
    counter_add(&c->closed, 1);
}

static void close_from_completion(void *ud, zkrs_rc rc, const char *detail, const uint8_t *data, size_t len,
                                  const zkrs_stat *stat) {
    closer *c = ud;
    (void)detail;
    (void)data;
    (void)len;
    (void)stat;
    c->calls++;
    if (rc != ZKRS_RC_OK) return; /* the other requests in flight complete with CLOSING */
    if (counter_get(&c->closed) != 0) return;
    c->close_rc = zkrs_client_close(c->zk);
    c->after_rc = zkrs_client_get_data_async(c->zk, "/", NULL, close_from_completion, c);
    counter_add(&c->closed, 1);
}

static void close_from_then(void *ud, zkrs_future *f) {
    closer *c = ud;
    c->calls++;
    CHECK_OK(zkrs_future_get(f, 0));
    c->close_rc = zkrs_client_close(c->zk);
    zkrs_future *g = NULL;
    c->after_rc = zkrs_client_get_data_future(c->zk, "/", NULL, &g);
    counter_add(&c->closed, 1);
}

static void close_from_listener(void *ud, const zkrs_state_event *ev) {
    closer *c = ud;
    c->calls++;
    if (ev->state != ZKRS_STATE_CONNECTED || counter_get(&c->closed) != 0) return;
    c->close_rc = zkrs_client_close(c->zk);
    int32_t state = 0;
    c->after_rc = zkrs_client_state(c->zk, &state);
    if (state != ZKRS_STATE_CLOSED) FAIL("state after close in a listener: %d", (int)state);
    counter_add(&c->closed, 1);
}

static void listener_freed(void *ud) {
    closer *c = ud;
    c->calls += 1000;
}

static void test_close_from_callbacks(const char *hosts, zkrs_client *other) {
    char node[256];
    closer c;

    /* from a watch callback */
    memset(&c, 0, sizeof c);
    counter_init(&c.closed);
    c.zk = test_connect(hosts);
    zkrs_watcher wa = {close_from_watch, &c, NULL};
    bool e;
    snprintf(node, sizeof node, "%s/close-watch", P);
    CHECK_OK(zkrs_client_exists(c.zk, node, &wa, &e, NULL));
    CHECK_OK(zkrs_client_create(other, node, NULL, 0, NULL, NULL, NULL));
    WAIT_COUNT(&c.closed, 1);
    CHECK_INT(c.close_rc, ZKRS_RC_OK);
    CHECK_INT(c.after_rc, ZKRS_RC_CLOSED);
    CHECK_OK(zkrs_client_close(c.zk));
    zkrs_client_free(c.zk);
    CHECK_INT(c.calls, 1);
    counter_destroy(&c.closed);

    /* from an async completion, with more requests in flight */
    memset(&c, 0, sizeof c);
    counter_init(&c.closed);
    c.zk = test_connect(hosts);
    int n = 0;
    /* The first completion may close the client while requests are still being submitted: from then on
       submitting is refused (CLOSING, then CLOSED) and that request's callback never runs. */
    for (int i = 0; i < iters(100); i++) {
        zkrs_rc rc = zkrs_client_get_data_async(c.zk, "/", NULL, close_from_completion, &c);
        if (rc == ZKRS_RC_CLOSED || rc == ZKRS_RC_CLOSING) break;
        CHECK_OK(rc);
        n++;
    }
    CHECK(n >= 1);
    WAIT_COUNT(&c.closed, 1);
    CHECK_INT(c.close_rc, ZKRS_RC_OK);
    CHECK_INT(c.after_rc, ZKRS_RC_CLOSED);
    /* close from outside too: returns once nothing runs any more; every completion ran exactly once */
    CHECK_OK(zkrs_client_close(c.zk));
    int calls_at_close = c.calls;
    if (calls_at_close != n) {
        sleep_ms(1000);
        printf("KNOWN-BUG %s:%d: close from inside a completion with %d requests in flight, then close outside: "
               "%d completions had run when the outer close returned, %d a second later\n",
               __FILE__, __LINE__, n, calls_at_close, c.calls);
    }
    zkrs_client_free(c.zk);
    if (c.calls != n) printf("KNOWN-BUG %s:%d: after free, %d of %d completions ran\n", __FILE__, __LINE__, c.calls, n);
    CHECK(c.calls <= n);
    counter_destroy(&c.closed);

    /* from a future's then callback */
    memset(&c, 0, sizeof c);
    counter_init(&c.closed);
    c.zk = test_connect(hosts);
    zkrs_future *f = NULL;
    CHECK_OK(zkrs_client_get_data_future(c.zk, "/", NULL, &f));
    CHECK_OK(zkrs_future_then(f, close_from_then, &c));
    WAIT_COUNT(&c.closed, 1);
    CHECK_INT(c.close_rc, ZKRS_RC_OK);
    CHECK_INT(c.after_rc, ZKRS_RC_CLOSED);
    zkrs_future_free(f);
    zkrs_client_free(c.zk); /* free without an outside close */
    CHECK_INT(c.calls, 1);
    counter_destroy(&c.closed);

    /* from a state listener (the CONNECTED of start) */
    memset(&c, 0, sizeof c);
    counter_init(&c.closed);
    zkrs_config *cfg = NULL;
    CHECK_OK(zkrs_config_new(&cfg));
    CHECK_OK(zkrs_config_set(cfg, "hosts", hosts));
    CHECK_OK(zkrs_client_new(cfg, &c.zk));
    zkrs_config_free(cfg);
    uint64_t id = 0;
    CHECK_OK(zkrs_client_add_state_listener(c.zk, close_from_listener, &c, listener_freed, &id));
    zkrs_rc rc = zkrs_client_start(c.zk, WAIT_MS);
    CHECK_MSG(rc == ZKRS_RC_OK || rc == ZKRS_RC_CLOSED || rc == ZKRS_RC_CLOSING,
              "start while a listener closes: %s", zkrs_rc_name(rc));
    WAIT_COUNT(&c.closed, 1);
    CHECK_INT(c.close_rc, ZKRS_RC_OK);
    CHECK_INT(c.after_rc, ZKRS_RC_OK);
    CHECK_OK(zkrs_client_close(c.zk));
    /* the listener's free_userdata ran once, after its last call: at close (header) */
    if (c.calls < 1000)
        printf("KNOWN-BUG %s:%d: a state listener's free_userdata had not run when zkrs_client_close returned "
               "(close called from inside the listener, then again outside)\n", __FILE__, __LINE__);
    zkrs_client_free(c.zk);
    CHECK_MSG(c.calls < 2000, "a listener's free_userdata ran twice (%d)", c.calls);
    if (c.calls < 1000)
        printf("KNOWN-BUG %s:%d: a state listener's free_userdata never ran (close called from inside the "
               "listener, then close and free outside)\n", __FILE__, __LINE__);
    counter_destroy(&c.closed);
    printf("close from a watch, a completion, a then callback and a listener: ok\n");
}

/* ---- close racing with calls from other threads ----------------------------------------------------- */

typedef struct racer {
    zkrs_client *zk;
    volatile int stop;
    int ok, closed, other;
    counter completions;
    int submitted;
} racer;

static void on_race(void *ud, zkrs_rc rc, const char *detail, const uint8_t *data, size_t len, const zkrs_stat *stat) {
    racer *r = ud;
    (void)detail;
    (void)data;
    (void)len;
    (void)stat;
    if (rc != ZKRS_RC_OK && rc != ZKRS_RC_CLOSING) FAIL("race completion: %s", zkrs_rc_name(rc));
    counter_add(&r->completions, 1);
}

static void *race(void *arg) {
    racer *r = arg;
    while (!r->stop) {
        zkrs_buf *b = NULL;
        zkrs_rc rc = zkrs_client_get_data(r->zk, "/", NULL, &b, NULL);
        zkrs_buf_free(b);
        if (rc == ZKRS_RC_CLOSED) __sync_add_and_fetch(&r->closed, 1);
        else if (rc == ZKRS_RC_OK) __sync_add_and_fetch(&r->ok, 1);
        else if (rc != ZKRS_RC_CLOSING) {
            fprintf(stderr, "racing call: %s %s\n", zkrs_rc_name(rc), zkrs_last_error_message());
            __sync_add_and_fetch(&r->other, 1);
        }
        if (zkrs_client_get_data_async(r->zk, "/", NULL, on_race, r) == ZKRS_RC_OK)
            __sync_add_and_fetch(&r->submitted, 1);
        if (rc == ZKRS_RC_CLOSED || rc == ZKRS_RC_CLOSING) break;
    }
    return NULL;
}

static void test_close_race(const char *hosts) {
    racer r;
    memset(&r, 0, sizeof r);
    counter_init(&r.completions);
    r.zk = test_connect(hosts);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, race, &r) == 0);
    sleep_ms(200);
    CHECK_OK(zkrs_client_close(r.zk));
    for (int i = 0; i < 4; i++) CHECK(pthread_join(t[i], NULL) == 0);
    CHECK_INT(r.other, 0);
    CHECK(r.ok > 0);
    CHECK(r.closed >= 1);
    /* every accepted async call completed, each exactly once (on_race fails on anything else) */
    WAIT_COUNT(&r.completions, r.submitted);
    sleep_ms(20);
    CHECK_INT(counter_get(&r.completions), r.submitted);
    zkrs_client_free(r.zk);
    counter_destroy(&r.completions);
    printf("close racing with 4 calling threads: ok (%d calls before close)\n", r.ok);
}

int main(int argc, char **argv) {
    const char *hosts = test_hosts(argc, argv);
    test_prefix(P, sizeof P, "threads");
    zkrs_client *zk = test_connect(hosts);
    CHECK_OK(zkrs_client_create(zk, P, NULL, 0, NULL, NULL, NULL));
    test_threads(zk);
    test_close_from_callbacks(hosts, zk);
    test_close_race(hosts);
    CHECK_OK(zkrs_client_delete(zk, P, -1, true));
    zkrs_client_free(zk);
    printf("PASS threads\n");
    return 0;
}
