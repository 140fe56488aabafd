/*
 * recipe_queue.c -- zkrs_queue from C: a plain queue (priority order, non-blocking and timed gets,
 * put_all), a locking queue (get, holds_lock, release, consume; a second queue cannot take a locked
 * entry), a blocked get ended by another thread's put, by close and by a real session expiry, a get
 * inside a callback, and every function with bad input (NULL pointers, bad path, non-UTF-8, bad
 * priority, data over 1 MiB, plain-queue misuse, after close).
 */
#include "check.h"

static char P[128];

static void path_of(char *out, size_t size, const char *name) {
    snprintf(out, size, "%s/%s", P, name);
}

/* Gets one entry (waiting up to ms) and checks its value. */
#define CHECK_GET(q, ms, text)                                                                         \
    do {                                                                                               \
        zkrs_buf *b_ = NULL;                                                                           \
        CHECK_OK(zkrs_queue_get((q), (ms), &b_));                                                      \
        CHECK_BUF(b_, (text));                                                                         \
        zkrs_buf_free(b_);                                                                             \
    } while (0)

static bool flag(zkrs_rc (*fn)(zkrs_queue *, bool *), zkrs_queue *q) {
    bool b = false;
    CHECK_OK(fn(q, &b));
    return b;
}

static void plain_queue(zkrs_client *c) {
    char path[160];
    path_of(path, sizeof path, "plain");
    zkrs_queue *q = NULL;
    CHECK_OK(zkrs_queue_new(c, path, false, &q));
    size_t n = 99;
    CHECK_OK(zkrs_queue_len(q, &n));
    CHECK_INT(n, 0);
    zkrs_buf *b = NULL;
    CHECK_RC(zkrs_queue_get(q, 0, &b), ZKRS_RC_TIMEOUT);
    CHECK(b == NULL);
    CHECK_RC_MSG(zkrs_queue_get(q, -2, &b), ZKRS_RC_BAD_ARGUMENTS, "timeout_ms");
    CHECK(b == NULL);
    long long t0 = now_ms();
    CHECK_RC(zkrs_queue_get(q, 200, &b), ZKRS_RC_TIMEOUT);
    CHECK(now_ms() - t0 >= 190);
    CHECK(b == NULL);

    CHECK_OK(zkrs_queue_put(q, U8("four"), 4, 101));
    CHECK_OK(zkrs_queue_put(q, U8("one"), 3, 0));
    CHECK_OK(zkrs_queue_put(q, U8("two"), 3, 0));
    CHECK_OK(zkrs_queue_put(q, U8("three"), 5, 10));
    CHECK_OK(zkrs_queue_put(q, NULL, 0, 999));
    const uint8_t *vals[2] = {U8("five"), U8("six")};
    size_t lens[2] = {4, 3};
    CHECK_OK(zkrs_queue_put_all(q, vals, lens, 2, ZKRS_QUEUE_DEFAULT_PRIORITY));
    CHECK_OK(zkrs_queue_put_all(q, NULL, NULL, 0, 5));
    CHECK_OK(zkrs_queue_len(q, &n));
    CHECK_INT(n, 7);

    /* the nodes are kazoo's: entry-<3-digit priority>-<10-digit sequence> */
    zkrs_string_list *kids = NULL;
    CHECK_OK(zkrs_client_get_children(c, path, NULL, &kids, NULL));
    CHECK_INT(zkrs_string_list_len(kids), 7);
    int prio0 = 0;
    for (size_t i = 0; i < zkrs_string_list_len(kids); i++) {
        const char *k = zkrs_string_list_get(kids, i);
        CHECK_INT(strlen(k), strlen("entry-000-") + 10);
        CHECK(strncmp(k, "entry-", 6) == 0);
        if (strncmp(k, "entry-000-", 10) == 0) prio0++;
    }
    CHECK_INT(prio0, 2);
    zkrs_string_list_free(kids);

    CHECK_GET(q, 0, "one");
    CHECK_GET(q, 0, "two");
    CHECK_GET(q, 0, "three");
    CHECK_GET(q, 0, "five"); /* priority 100 */
    CHECK_GET(q, 0, "six");
    CHECK_GET(q, 0, "four"); /* priority 101 */
    CHECK_GET(q, 0, "");
    CHECK_RC(zkrs_queue_get(q, 0, &b), ZKRS_RC_TIMEOUT);
    CHECK_OK(zkrs_queue_len(q, &n));
    CHECK_INT(n, 0);

    /* locking-only functions on a plain queue */
    bool x = true;
    CHECK_RC_MSG(zkrs_queue_consume(q, &x), ZKRS_RC_BAD_ARGUMENTS, "locking");
    CHECK_RC(zkrs_queue_release(q, &x), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_RC(zkrs_queue_holds_lock(q, &x), ZKRS_RC_BAD_ARGUMENTS);
    CHECK(x == true);
    zkrs_queue_free(q);
}

static void locking_queue(zkrs_client *c) {
    char path[160];
    path_of(path, sizeof path, "locking");
    zkrs_queue *q = NULL, *other = NULL;
    CHECK_OK(zkrs_queue_new(c, path, true, &q));
    CHECK_OK(zkrs_queue_new(c, path, true, &other));
    CHECK(!flag(zkrs_queue_consume, q));
    CHECK(!flag(zkrs_queue_holds_lock, q));
    CHECK(!flag(zkrs_queue_release, q));

    CHECK_OK(zkrs_queue_put(q, U8("one"), 3, ZKRS_QUEUE_DEFAULT_PRIORITY));
    const uint8_t *vals[2] = {U8("two"), U8("three")};
    size_t lens[2] = {3, 5};
    CHECK_OK(zkrs_queue_put_all(q, vals, lens, 2, ZKRS_QUEUE_DEFAULT_PRIORITY));
    size_t n = 0;
    CHECK_OK(zkrs_queue_len(q, &n));
    CHECK_INT(n, 3);

    CHECK_GET(q, 1000, "one");
    CHECK(flag(zkrs_queue_holds_lock, q));
    CHECK_GET(q, 0, "one"); /* the held entry again */
    CHECK_GET(other, 0, "two"); /* "one" is locked: the other queue takes the next */
    CHECK(flag(zkrs_queue_release, other));
    CHECK(!flag(zkrs_queue_holds_lock, other));

    char lock[200];
    bool exists = false;
    zkrs_string_list *kids = NULL;
    CHECK_OK(zkrs_client_get_children(c, path, NULL, &kids, NULL));
    CHECK_INT(zkrs_string_list_len(kids), 2); /* entries and taken */
    zkrs_string_list_free(kids);
    snprintf(lock, sizeof lock, "%s/taken", path);
    CHECK_OK(zkrs_client_get_children(c, lock, NULL, &kids, NULL));
    CHECK_INT(zkrs_string_list_len(kids), 1);
    snprintf(lock, sizeof lock, "%s/taken/%s", path, zkrs_string_list_get(kids, 0));
    zkrs_string_list_free(kids);
    zkrs_buf *id = NULL;
    CHECK_OK(zkrs_client_get_data(c, lock, NULL, &id, NULL));
    CHECK_INT(zkrs_buf_len(id), 32); /* the queue's 32-hex-digit id */
    zkrs_buf_free(id);

    CHECK(flag(zkrs_queue_consume, q));
    CHECK_OK(zkrs_client_exists(c, lock, NULL, &exists, NULL));
    CHECK(!exists);
    CHECK(!flag(zkrs_queue_holds_lock, q));
    CHECK(!flag(zkrs_queue_consume, q));
    CHECK_GET(q, 1000, "two");
    CHECK(flag(zkrs_queue_consume, q));
    CHECK_GET(q, 1000, "three");
    CHECK(flag(zkrs_queue_release, q));
    CHECK_GET(other, 1000, "three");
    CHECK(flag(zkrs_queue_consume, other));
    zkrs_buf *b = NULL;
    CHECK_RC(zkrs_queue_get(q, 50, &b), ZKRS_RC_TIMEOUT);
    CHECK_OK(zkrs_queue_len(q, &n));
    CHECK_INT(n, 0);
    zkrs_queue_free(other);
    zkrs_queue_free(q);
}

/* ---- blocked gets ------------------------------------------------------------------------------------ */

typedef struct getter {
    zkrs_queue *q;
    int timeout_ms;
    zkrs_rc rc;
    char value[64];
    counter done;
} getter;

static void *get_thread(void *arg) {
    getter *g = (getter *)arg;
    zkrs_buf *b = NULL;
    g->rc = zkrs_queue_get(g->q, g->timeout_ms, &b);
    if (g->rc == ZKRS_RC_OK) {
        snprintf(g->value, sizeof g->value, "%.*s", (int)zkrs_buf_len(b), (const char *)zkrs_buf_data(b));
        zkrs_buf_free(b);
    }
    counter_add(&g->done, 1);
    return NULL;
}

static void start_getter(getter *g, pthread_t *t, zkrs_queue *q, int timeout_ms) {
    memset(g, 0, sizeof *g);
    g->q = q;
    g->timeout_ms = timeout_ms;
    counter_init(&g->done);
    CHECK(pthread_create(t, NULL, get_thread, g) == 0);
}

static void blocked_get_woken_by_put(zkrs_client *c, bool locking) {
    char path[160];
    path_of(path, sizeof path, locking ? "wake-locking" : "wake-plain");
    zkrs_queue *q = NULL, *producer = NULL;
    CHECK_OK(zkrs_queue_new(c, path, locking, &q));
    CHECK_OK(zkrs_queue_new(c, path, locking, &producer));
    getter g;
    pthread_t t;
    start_getter(&g, &t, q, -1);
    sleep_ms(200);
    CHECK_INT(counter_get(&g.done), 0);
    CHECK_OK(zkrs_queue_put(producer, U8("late"), 4, 3));
    WAIT_COUNT(&g.done, 1);
    pthread_join(t, NULL);
    CHECK_OK(g.rc);
    CHECK_STR(g.value, "late");
    counter_destroy(&g.done);
    if (locking) CHECK(flag(zkrs_queue_consume, q));
    zkrs_queue_free(producer);
    zkrs_queue_free(q);
}

static void blocked_get_ended_by_close(const char *hosts) {
    zkrs_client *c = test_connect(hosts);
    char path[160];
    path_of(path, sizeof path, "close");
    zkrs_queue *plain = NULL, *locking = NULL;
    CHECK_OK(zkrs_queue_new(c, path, false, &plain));
    CHECK_OK(zkrs_queue_new(c, path, true, &locking));
    getter g1, g2;
    pthread_t t1, t2;
    start_getter(&g1, &t1, plain, -1);
    start_getter(&g2, &t2, locking, -1);
    sleep_ms(200);
    CHECK_INT(counter_get(&g1.done) + counter_get(&g2.done), 0);
    CHECK_OK(zkrs_client_close(c));
    WAIT_COUNT(&g1.done, 1);
    WAIT_COUNT(&g2.done, 1);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    CHECK_INT(g1.rc, ZKRS_RC_CLOSED);
    CHECK_INT(g2.rc, ZKRS_RC_CLOSED);
    counter_destroy(&g1.done);
    counter_destroy(&g2.done);

    /* every function after close */
    zkrs_buf *b = NULL;
    size_t n = 7;
    bool x = true;
    zkrs_queue *q2 = NULL;
    CHECK_RC(zkrs_queue_new(c, path, false, &q2), ZKRS_RC_CLOSED);
    CHECK(q2 == NULL);
    CHECK_RC(zkrs_queue_put(plain, U8("x"), 1, 1), ZKRS_RC_CLOSED);
    const uint8_t *vals[1] = {U8("x")};
    size_t lens[1] = {1};
    CHECK_RC(zkrs_queue_put_all(locking, vals, lens, 1, 1), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_queue_get(plain, 0, &b), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_queue_get(locking, -1, &b), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_queue_len(plain, &n), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_queue_consume(locking, &x), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_queue_release(locking, &x), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_queue_holds_lock(locking, &x), ZKRS_RC_CLOSED);
    CHECK(b == NULL && n == 7 && x == true);
    /* the queues outlive their client */
    zkrs_client_free(c);
    zkrs_queue_free(plain);
    zkrs_queue_free(locking);
}

static void blocked_get_ended_by_session_expiry(void) {
    const char *proxied = proxy_hosts();
    if (proxied == NULL) {
        printf("SKIP session expiry: no ZK_PROXY_HOSTS (run by tests/c_api.rs)\n");
        return;
    }
    zkrs_client *c = connect_with(proxied, "session_timeout_ms", "4000", (const char *)NULL);
    char path[160];
    path_of(path, sizeof path, "expire");
    zkrs_queue *q = NULL;
    CHECK_OK(zkrs_queue_new(c, path, true, &q));
    CHECK_OK(zkrs_queue_put(q, U8("held"), 4, 1));
    CHECK_GET(q, 1000, "held");
    zkrs_queue *waiting = NULL;
    CHECK_OK(zkrs_queue_new(c, path, true, &waiting));
    getter g;
    pthread_t t;
    start_getter(&g, &t, waiting, -1);
    sleep_ms(200);
    CHECK_INT(counter_get(&g.done), 0);
    zkrs_buf *idstr = NULL;
    CHECK_OK(zkrs_client_id_string(c, &idstr));
    char what[256];
    snprintf(what, sizeof what, "expire %s", (const char *)zkrs_buf_data(idstr));
    zkrs_buf_free(idstr);
    fault(what);
    WAIT_COUNT(&g.done, 1);
    pthread_join(t, NULL);
    CHECK_INT(g.rc, ZKRS_RC_SESSION_EXPIRED);
    counter_destroy(&g.done);
    /* the lock ended with the session: the entry is free again, the old holder knows it lost it */
    long long end = now_ms() + WAIT_MS;
    zkrs_rc rc;
    zkrs_buf *b = NULL;
    while ((rc = zkrs_queue_get(waiting, 1000, &b)) != ZKRS_RC_OK && now_ms() < end) sleep_ms(50);
    CHECK_OK(rc);
    CHECK_BUF(b, "held");
    zkrs_buf_free(b);
    CHECK(!flag(zkrs_queue_holds_lock, q));
    CHECK(!flag(zkrs_queue_consume, q));
    CHECK(flag(zkrs_queue_consume, waiting));
    zkrs_queue_free(waiting);
    zkrs_queue_free(q);
    CHECK_OK(zkrs_client_close(c));
    zkrs_client_free(c);
}

/* ---- inside a callback ------------------------------------------------------------------------------- */

typedef struct in_cb {
    zkrs_queue *q;
    zkrs_rc waiting_rc, zero_rc;
    counter done;
} in_cb;

static void get_in_callback(void *ud, zkrs_rc rc, const char *detail, const zkrs_stat *stat) {
    (void)rc, (void)detail, (void)stat;
    in_cb *x = (in_cb *)ud;
    zkrs_buf *b = NULL;
    x->waiting_rc = zkrs_queue_get(x->q, 5000, &b);
    x->zero_rc = zkrs_queue_get(x->q, 0, &b);
    counter_add(&x->done, 1);
}

static void get_inside_a_callback(zkrs_client *c) {
    char path[160];
    path_of(path, sizeof path, "in-callback");
    in_cb x;
    memset(&x, 0, sizeof x);
    counter_init(&x.done);
    CHECK_OK(zkrs_queue_new(c, path, false, &x.q));
    CHECK_OK(zkrs_client_set_data_async(c, P, U8(""), 0, -1, get_in_callback, &x));
    WAIT_COUNT(&x.done, 1);
    CHECK_INT(x.waiting_rc, ZKRS_RC_WOULD_DEADLOCK);
    CHECK_INT(x.zero_rc, ZKRS_RC_TIMEOUT);
    counter_destroy(&x.done);
    zkrs_queue_free(x.q);
}

/* ---- bad input --------------------------------------------------------------------------------------- */

static void bad_input(zkrs_client *c) {
    char path[160];
    path_of(path, sizeof path, "bad");
    zkrs_queue *q = NULL, *lq = NULL;
    CHECK_RC(zkrs_queue_new(NULL, path, false, &q), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_queue_new(c, NULL, false, &q), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_queue_new(c, path, false, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_queue_new(c, "no-slash", false, &q), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_queue_new(c, "/trailing/", true, &q), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_queue_new(c, "/bad\xff", true, &q), ZKRS_RC_INVALID_UTF8);
    CHECK(q == NULL);
    CHECK_OK(zkrs_queue_new(c, path, false, &q));
    char lpath[170];
    snprintf(lpath, sizeof lpath, "%s-locking", path);
    CHECK_OK(zkrs_queue_new(c, lpath, true, &lq));

    zkrs_buf *b = NULL;
    size_t n = 5;
    bool x = true;
    CHECK_RC(zkrs_queue_put(NULL, U8("x"), 1, 1), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_queue_put(q, NULL, 1, 1), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC_MSG(zkrs_queue_put(q, U8("x"), 1, -1), ZKRS_RC_BAD_ARGUMENTS, "priority");
    CHECK_RC(zkrs_queue_put(q, U8("x"), 1, 1000), ZKRS_RC_BAD_ARGUMENTS);
    size_t big = (1u << 20) + 1;
    uint8_t *huge = calloc(big, 1);
    CHECK(huge != NULL);
    CHECK_RC(zkrs_queue_put(q, huge, big, 1), ZKRS_RC_DATA_TOO_LARGE);
    CHECK_RC(zkrs_queue_put(lq, huge, big, 1), ZKRS_RC_DATA_TOO_LARGE);

    const uint8_t *vals[2] = {U8("ok"), huge};
    size_t lens[2] = {2, big};
    CHECK_RC(zkrs_queue_put_all(NULL, vals, lens, 2, 1), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_queue_put_all(q, NULL, lens, 2, 1), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_queue_put_all(q, vals, NULL, 2, 1), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_queue_put_all(q, vals, lens, 2, 1000), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_RC(zkrs_queue_put_all(lq, vals, lens, 2, 1), ZKRS_RC_DATA_TOO_LARGE); /* all or nothing */
    const uint8_t *nulls[2] = {U8("ok"), NULL};
    size_t one[2] = {2, 1};
    CHECK_RC_MSG(zkrs_queue_put_all(lq, nulls, one, 2, 1), ZKRS_RC_NULL_ARGUMENT, "values[1]");
    free(huge);
    CHECK_OK(zkrs_queue_len(lq, &n));
    CHECK_INT(n, 0);
    CHECK_OK(zkrs_queue_len(q, &n));
    CHECK_INT(n, 0);

    CHECK_RC(zkrs_queue_get(NULL, 0, &b), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_queue_get(q, 0, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_queue_len(NULL, &n), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_queue_len(q, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_queue_consume(NULL, &x), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_queue_consume(lq, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_queue_release(NULL, &x), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_queue_release(lq, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_queue_holds_lock(NULL, &x), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_queue_holds_lock(lq, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK(b == NULL && n == 0 && x == true);
    zkrs_queue_free(NULL);
    zkrs_queue_free(lq);
    zkrs_queue_free(q);
}

int main(int argc, char **argv) {
    const char *hosts = test_hosts(argc, argv);
    test_prefix(P, sizeof P, "queue");
    zkrs_client *c = test_connect(hosts);
    CHECK_OK(zkrs_client_ensure_path(c, P));
    plain_queue(c);
    locking_queue(c);
    blocked_get_woken_by_put(c, false);
    blocked_get_woken_by_put(c, true);
    get_inside_a_callback(c);
    bad_input(c);
    blocked_get_ended_by_close(hosts);
    blocked_get_ended_by_session_expiry();
    CHECK_OK(zkrs_client_delete(c, P, -1, true));
    CHECK_OK(zkrs_client_close(c));
    zkrs_client_free(c);
    printf("PASS recipe_queue\n");
    return 0;
}
