/*
 * futures.c -- zkrs_future: every kind (get_data, set_data, create, delete, exists, get_children,
 * get_acl), ready, wait with a timeout, the typed getters (repeatable), then (exactly once, on the event
 * thread), free before completion, free with a then pending, WOULD_DEADLOCK from a callback, and a
 * future of a client that never connects completing with CLOSING on close.
 */
#include "check.h"

static char P[128];
static pthread_t main_thread;

static const char *path(const char *suffix) {
    static char buf[8][256];
    static int next;
    char *b = buf[next++ % 8];
    snprintf(b, 256, "%s%s", P, suffix);
    return b;
}

static void test_kinds(zkrs_client *zk) {
    zkrs_future *f = NULL;
    zkrs_buf *b = NULL;
    zkrs_stat st;
    bool exists = false;

    CHECK(!zkrs_future_ready(NULL));

    /* create */
    CHECK_OK(zkrs_client_create_future(zk, P, U8("f"), 1, NULL, &f));
    CHECK_OK(zkrs_future_wait(f, WAIT_MS));
    CHECK(zkrs_future_ready(f));
    CHECK_OK(zkrs_future_get_created(f, 0, &b, &st));
    CHECK_STR((const char *)zkrs_buf_data(b), P);
    CHECK_INT(st.data_length, 1);
    zkrs_buf_free(b);
    b = NULL;
    CHECK_OK(zkrs_future_get_created(f, 0, NULL, NULL)); /* any number of times, outputs optional */
    CHECK_OK(zkrs_future_get(f, 0));
    /* the wrong getter for the kind */
    CHECK_RC(zkrs_future_get_data(f, 0, &b, NULL), ZKRS_RC_BAD_ARGUMENTS);
    CHECK(b == NULL);
    zkrs_future_free(f);

    CHECK_OK(zkrs_client_create_future(zk, P, NULL, 0, NULL, &f));
    CHECK_RC(zkrs_future_get_created(f, WAIT_MS, &b, &st), ZKRS_RC_NODE_EXISTS);
    CHECK(b == NULL);
    CHECK_RC(zkrs_future_get(f, 0), ZKRS_RC_NODE_EXISTS);
    zkrs_future_free(f);

    /* get_data, twice from one future: two buffers */
    CHECK_OK(zkrs_client_get_data_future(zk, P, NULL, &f));
    zkrs_buf *b2 = NULL;
    CHECK_OK(zkrs_future_get_data(f, WAIT_MS, &b, &st));
    CHECK_OK(zkrs_future_get_data(f, 0, &b2, NULL));
    CHECK_BUF(b, "f");
    CHECK_BUF(b2, "f");
    CHECK(b != b2);
    CHECK_INT(st.version, 0);
    zkrs_buf_free(b);
    zkrs_buf_free(b2);
    b = NULL;
    zkrs_future_free(f);
    CHECK_OK(zkrs_client_get_data_future(zk, path("/nope"), NULL, &f));
    CHECK_RC(zkrs_future_get_data(f, WAIT_MS, &b, NULL), ZKRS_RC_NO_NODE);
    CHECK(b == NULL);
    zkrs_future_free(f);

    /* set_data */
    CHECK_OK(zkrs_client_set_data_future(zk, P, U8("g"), 1, 0, &f));
    CHECK_OK(zkrs_future_get_stat(f, WAIT_MS, &st));
    CHECK_INT(st.version, 1);
    zkrs_future_free(f);
    CHECK_OK(zkrs_client_set_data_future(zk, P, U8("h"), 1, 0, &f));
    CHECK_RC(zkrs_future_get_stat(f, WAIT_MS, NULL), ZKRS_RC_BAD_VERSION);
    zkrs_future_free(f);

    /* exists */
    CHECK_OK(zkrs_client_exists_future(zk, P, NULL, &f));
    CHECK_OK(zkrs_future_get_exists(f, WAIT_MS, &exists, &st));
    CHECK(exists);
    CHECK_INT(st.version, 1);
    zkrs_future_free(f);
    CHECK_OK(zkrs_client_exists_future(zk, path("/nope"), NULL, &f));
    memset(&st, 0x44, sizeof st);
    CHECK_OK(zkrs_future_get_exists(f, WAIT_MS, &exists, &st));
    CHECK(!exists);
    CHECK_INT(st.czxid, 0);
    zkrs_future_free(f);

    /* get_children */
    CHECK_OK(zkrs_client_create(zk, path("/c1"), NULL, 0, NULL, NULL, NULL));
    zkrs_string_list *kids = NULL;
    CHECK_OK(zkrs_client_get_children_future(zk, P, NULL, &f));
    CHECK_OK(zkrs_future_get_children(f, WAIT_MS, &kids, &st));
    CHECK_INT(zkrs_string_list_len(kids), 1);
    CHECK_STR(zkrs_string_list_get(kids, 0), "c1");
    CHECK_INT(st.num_children, 1);
    zkrs_string_list_free(kids);
    kids = NULL;
    zkrs_future_free(f);
    CHECK_OK(zkrs_client_get_children_future(zk, path("/nope"), NULL, &f));
    CHECK_RC(zkrs_future_get_children(f, WAIT_MS, &kids, NULL), ZKRS_RC_NO_NODE);
    CHECK(kids == NULL);
    zkrs_future_free(f);

    /* get_acl */
    zkrs_acl_list *acl = NULL;
    CHECK_OK(zkrs_client_get_acl_future(zk, P, &f));
    CHECK_OK(zkrs_future_get_acl(f, WAIT_MS, &acl, &st));
    CHECK_INT(zkrs_acl_list_len(acl), 1);
    zkrs_acl_list_free(acl);
    acl = NULL;
    zkrs_future_free(f);
    CHECK_OK(zkrs_client_get_acl_future(zk, path("/nope"), &f));
    CHECK_RC(zkrs_future_get_acl(f, WAIT_MS, &acl, NULL), ZKRS_RC_NO_NODE);
    CHECK(acl == NULL);
    zkrs_future_free(f);

    /* delete */
    CHECK_OK(zkrs_client_delete_future(zk, P, -1, &f));
    CHECK_RC(zkrs_future_get(f, WAIT_MS), ZKRS_RC_NOT_EMPTY);
    zkrs_future_free(f);
    CHECK_OK(zkrs_client_delete_future(zk, path("/c1"), 0, &f));
    CHECK_OK(zkrs_future_get(f, WAIT_MS));
    zkrs_future_free(f);

    /* a future with a watch: the watch works like the sync call's */
    watch_rec w;
    watch_rec_init(&w);
    zkrs_watcher wa = watcher_for(&w);
    CHECK_OK(zkrs_client_exists_future(zk, path("/later"), &wa, &f));
    CHECK_OK(zkrs_future_get_exists(f, WAIT_MS, &exists, NULL));
    CHECK(!exists);
    zkrs_future_free(f);
    CHECK_OK(zkrs_client_create(zk, path("/later"), NULL, 0, NULL, NULL, NULL));
    WAIT_COUNT(&w.freed, 1);
    CHECK_INT(counter_get(&w.fired), 1);
    CHECK_EVENT(&w, 0, ZKRS_EVENT_NODE_CREATED, path("/later"));
    watch_rec_destroy(&w);

    /* a refused call gives no future */
    f = (zkrs_future *)&st;
    CHECK_RC(zkrs_client_get_data_future(zk, "bad", NULL, &f), ZKRS_RC_INVALID_PATH);
    CHECK(f == (zkrs_future *)&st);
    printf("future kinds: ok\n");
}

/* ---- then ---------------------------------------------------------------------------------------------- */

typedef struct then_state {
    counter ran;
    zkrs_rc rc;
    char data[64];
    int on_main;
    zkrs_rc getter_in_cb;
} then_state;

static void on_then(void *ud, zkrs_future *f) {
    then_state *s = ud;
    zkrs_buf *b = NULL;
    s->on_main = pthread_equal(pthread_self(), main_thread);
    s->rc = zkrs_future_get_data(f, 0, &b, NULL);
    if (s->rc == ZKRS_RC_OK) snprintf(s->data, sizeof s->data, "%s", (const char *)zkrs_buf_data(b));
    zkrs_buf_free(b);
    s->getter_in_cb = zkrs_future_get(f, 0);
    counter_add(&s->ran, 1);
}

static void test_then(zkrs_client *zk) {
    zkrs_future *f = NULL;
    then_state s;
    memset(&s, 0, sizeof s);
    counter_init(&s.ran);
    CHECK_OK(zkrs_client_create(zk, path("/t"), U8("then"), 4, NULL, NULL, NULL));

    /* then before the result: runs once on the event thread; getters work inside it */
    CHECK_OK(zkrs_client_get_data_future(zk, path("/t"), NULL, &f));
    CHECK_OK(zkrs_future_then(f, on_then, &s));
    CHECK_RC(zkrs_future_then(f, on_then, &s), ZKRS_RC_BAD_ARGUMENTS); /* at most one */
    WAIT_COUNT(&s.ran, 1);
    CHECK_INT(s.rc, ZKRS_RC_OK);
    CHECK_INT(s.getter_in_cb, ZKRS_RC_OK);
    CHECK_STR(s.data, "then");
    CHECK(!s.on_main);
    zkrs_future_free(f);

    /* then after the result is there: still runs (soon) */
    CHECK_OK(zkrs_client_get_data_future(zk, path("/nope"), NULL, &f));
    for (long long t0 = now_ms(); !zkrs_future_ready(f) && now_ms() - t0 < WAIT_MS;) sleep_ms(1);
    CHECK(zkrs_future_ready(f)); /* ready does not take the result */
    CHECK_OK(zkrs_future_then(f, on_then, &s));
    WAIT_COUNT(&s.ran, 2);
    CHECK_INT(s.rc, ZKRS_RC_NO_NODE);
    zkrs_future_free(f);

    /* then after zkrs_future_wait or a getter took the result: refused */
    CHECK_OK(zkrs_client_get_data_future(zk, path("/t"), NULL, &f));
    CHECK_OK(zkrs_future_wait(f, WAIT_MS));
    CHECK_RC(zkrs_future_then(f, on_then, &s), ZKRS_RC_BAD_ARGUMENTS);
    zkrs_future_free(f);
    CHECK_OK(zkrs_client_get_data_future(zk, path("/t"), NULL, &f));
    CHECK_OK(zkrs_future_get(f, WAIT_MS));
    CHECK_RC(zkrs_future_then(f, on_then, &s), ZKRS_RC_BAD_ARGUMENTS);
    zkrs_future_free(f);

    /* freeing the future does not cancel the callback */
    CHECK_OK(zkrs_client_get_data_future(zk, path("/t"), NULL, &f));
    CHECK_OK(zkrs_future_then(f, on_then, &s));
    zkrs_future_free(f);
    WAIT_COUNT(&s.ran, 3);
    CHECK_INT(s.rc, ZKRS_RC_OK);
    CHECK_OK(zkrs_client_sync(zk, "/"));
    sleep_ms(20);
    CHECK_INT(counter_get(&s.ran), 3);

    /* freeing a future before its result: the operation still completes, nothing leaks */
    for (int i = 0; i < iters(200); i++) {
        CHECK_OK(zkrs_client_set_data_future(zk, path("/t"), U8("x"), 1, -1, &f));
        zkrs_future_free(f);
    }
    zkrs_stat st;
    CHECK_OK(zkrs_client_exists(zk, path("/t"), NULL, &(bool){false}, &st));
    CHECK_INT(st.version, iters(200));
    counter_destroy(&s.ran);
    printf("then: ok\n");
}

/* ---- WOULD_DEADLOCK ------------------------------------------------------------------------------------- */

typedef struct deadlock_state {
    zkrs_client *zk;
    counter done;
    zkrs_rc wait_rc, get_rc, later_rc;
    zkrs_future *inner;
} deadlock_state;

static void on_outer(void *ud, zkrs_rc rc, const char *detail, const uint8_t *data, size_t len, const zkrs_stat *stat) {
    deadlock_state *s = ud;
    (void)detail;
    (void)data;
    (void)len;
    (void)stat;
    if (rc != ZKRS_RC_OK) FAIL("outer get: %s", zkrs_rc_name(rc));
    /* a future of the same client cannot complete while this callback runs on its event thread */
    if (zkrs_client_get_data_future(s->zk, P, NULL, &s->inner) != ZKRS_RC_OK) FAIL("inner future");
    s->wait_rc = zkrs_future_wait(s->inner, -1);
    s->get_rc = zkrs_future_get(s->inner, 1000);
    counter_add(&s->done, 1);
}

static void test_would_deadlock(zkrs_client *zk) {
    deadlock_state s;
    memset(&s, 0, sizeof s);
    s.zk = zk;
    counter_init(&s.done);
    CHECK_OK(zkrs_client_get_data_async(zk, P, NULL, on_outer, &s));
    WAIT_COUNT(&s.done, 1);
    CHECK_INT(s.wait_rc, ZKRS_RC_WOULD_DEADLOCK);
    CHECK_INT(s.get_rc, ZKRS_RC_WOULD_DEADLOCK);
    /* outside the callback the same future completes */
    CHECK_OK(zkrs_future_get(s.inner, WAIT_MS));
    zkrs_future_free(s.inner);
    counter_destroy(&s.done);
    printf("wait inside a callback: WOULD_DEADLOCK\n");
}

/* ---- wait with a timeout, and CLOSING on close ------------------------------------------------------- */

static void test_timeout_and_closing(void) {
    zkrs_config *cfg = NULL;
    zkrs_client *c = NULL;
    zkrs_future *f = NULL, *g = NULL;
    then_state s;
    memset(&s, 0, sizeof s);
    counter_init(&s.ran);
    /* nothing listens on port 1: the client keeps trying, requests wait in its queue */
    CHECK_OK(zkrs_config_new(&cfg));
    CHECK_OK(zkrs_config_set(cfg, "hosts", "127.0.0.1:1"));
    CHECK_OK(zkrs_config_set(cfg, "log_level", "error"));
    CHECK_OK(zkrs_client_new(cfg, &c));
    zkrs_config_free(cfg);
    CHECK_RC(zkrs_client_start(c, 0), ZKRS_RC_TIMEOUT);
    long long t0 = now_ms();
    CHECK_RC(zkrs_client_start(c, 100), ZKRS_RC_TIMEOUT);
    CHECK(now_ms() - t0 >= 90);
    CHECK_OK(zkrs_client_get_data_future(c, "/x", NULL, &f));
    CHECK_OK(zkrs_client_get_data_future(c, "/y", NULL, &g));
    CHECK_OK(zkrs_future_then(g, on_then, &s));
    CHECK(!zkrs_future_ready(f));
    CHECK_RC(zkrs_future_wait(f, 0), ZKRS_RC_TIMEOUT);
    /* -1 is the only negative timeout */
    CHECK_RC_MSG(zkrs_future_wait(f, -2), ZKRS_RC_BAD_ARGUMENTS, "timeout_ms");
    CHECK_RC_MSG(zkrs_future_get(f, INT32_MIN), ZKRS_RC_BAD_ARGUMENTS, "timeout_ms");
    CHECK_RC_MSG(zkrs_client_start(c, -7), ZKRS_RC_BAD_ARGUMENTS, "timeout_ms");
    t0 = now_ms();
    CHECK_RC(zkrs_future_wait(f, 150), ZKRS_RC_TIMEOUT);
    long long waited = now_ms() - t0;
    CHECK_MSG(waited >= 140, "waited only %lld ms", waited);
    zkrs_buf *b = NULL;
    CHECK_RC(zkrs_future_get_data(f, 10, &b, NULL), ZKRS_RC_TIMEOUT);
    CHECK(b == NULL);
    /* the then future's result belongs to its callback */
    CHECK_RC(zkrs_future_get(g, 0), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_OK(zkrs_client_close(c));
    /* close completed both: the waiting one with CLOSING, the then callback ran before close returned */
    CHECK(zkrs_future_ready(f));
    CHECK_RC(zkrs_future_get_data(f, 0, &b, NULL), ZKRS_RC_CLOSING);
    CHECK_INT(counter_get(&s.ran), 1);
    CHECK_INT(s.rc, ZKRS_RC_CLOSING);
    /* after close: no new future */
    zkrs_future *h = NULL;
    CHECK_RC(zkrs_client_get_data_future(c, "/x", NULL, &h), ZKRS_RC_CLOSED);
    CHECK(h == NULL);
    zkrs_future_free(f);
    zkrs_future_free(g);
    zkrs_client_free(c);
    counter_destroy(&s.ran);
    printf("wait with a timeout; CLOSING on close: ok\n");
}

int main(int argc, char **argv) {
    const char *hosts = test_hosts(argc, argv);
    main_thread = pthread_self();
    test_prefix(P, sizeof P, "futures");
    zkrs_client *zk = test_connect(hosts);
    test_kinds(zk);
    test_then(zk);
    test_would_deadlock(zk);
    test_timeout_and_closing();
    /* futures outliving their client: freed after the client */
    zkrs_future *f = NULL;
    CHECK_OK(zkrs_client_get_data_future(zk, P, NULL, &f));
    CHECK_OK(zkrs_client_delete(zk, P, -1, true));
    zkrs_client_free(zk);
    CHECK(zkrs_future_ready(f));
    zkrs_rc rc = zkrs_future_get(f, 0);
    CHECK_MSG(rc == ZKRS_RC_OK || rc == ZKRS_RC_CLOSING, "future after free of its client: %s", zkrs_rc_name(rc));
    zkrs_future_free(f);
    printf("PASS futures\n");
    return 0;
}
