/*
 * recipe_coord.c -- barriers, double barriers, counters and parties through the C API: every function,
 * the blocking calls ended by the barrier's removal, a timeout, close and a real session expiry, the
 * bytes kazoo reads, and bad input (NULL, invalid paths and UTF-8, wrong kinds, a freed client).
 */
#include "check.h"

static char prefix[128];

static void path_of(char *out, size_t size, const char *name) {
    snprintf(out, size, "%s/%s", prefix, name);
}

/* A blocking call run on its own thread; the test waits on `done` and reads `rc`. */
typedef struct blocked {
    pthread_t thread;
    zkrs_barrier *barrier;
    zkrs_double_barrier *member;
    int op; /* 0 barrier wait, 1 enter, 2 leave */
    int32_t timeout_ms;
    zkrs_rc rc;
    counter done;
} blocked;

static void *blocked_run(void *arg) {
    blocked *b = (blocked *)arg;
    switch (b->op) {
    case 0: b->rc = zkrs_barrier_wait(b->barrier, b->timeout_ms); break;
    case 1: b->rc = zkrs_double_barrier_enter(b->member, b->timeout_ms); break;
    default: b->rc = zkrs_double_barrier_leave(b->member, b->timeout_ms); break;
    }
    counter_add(&b->done, 1);
    return NULL;
}

static void blocked_start(blocked *b, int op, zkrs_barrier *barrier, zkrs_double_barrier *member, int32_t timeout_ms) {
    memset(b, 0, sizeof *b);
    counter_init(&b->done);
    b->op = op;
    b->barrier = barrier;
    b->member = member;
    b->timeout_ms = timeout_ms;
    if (pthread_create(&b->thread, NULL, blocked_run, b) != 0) FAIL("pthread_create");
}

static zkrs_rc blocked_finish(blocked *b) {
    WAIT_COUNT(&b->done, 1);
    pthread_join(b->thread, NULL);
    counter_destroy(&b->done);
    return b->rc;
}

/* The stored bytes of a node equal `text`. */
static void check_stored(zkrs_client *c, const char *path, const char *text) {
    zkrs_buf *data = NULL;
    CHECK_OK(zkrs_client_get_data(c, path, NULL, &data, NULL));
    CHECK_BUF(data, text);
    zkrs_buf_free(data);
}

/* ---- Barrier ------------------------------------------------------------------------------------ */

typedef struct in_callback {
    zkrs_barrier *barrier;
    zkrs_rc rc;
    counter done;
} in_callback;

static void wait_in_callback(void *userdata, zkrs_rc rc, const char *detail, bool exists, const zkrs_stat *stat) {
    (void)rc;
    (void)detail;
    (void)exists;
    (void)stat;
    in_callback *w = (in_callback *)userdata;
    w->rc = zkrs_barrier_wait(w->barrier, -1);
    counter_add(&w->done, 1);
}

static void test_barrier(zkrs_client *c) {
    char path[256];
    path_of(path, sizeof path, "gate");
    zkrs_barrier *b = NULL;
    CHECK_RC(zkrs_barrier_new(NULL, path, &b), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_barrier_new(c, NULL, &b), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_barrier_new(c, path, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_barrier_new(c, "no-slash", &b), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_barrier_new(c, "/a//b", &b), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_barrier_new(c, "/bad\xff", &b), ZKRS_RC_INVALID_UTF8);
    CHECK(b == NULL);
    CHECK_OK(zkrs_barrier_new(c, path, &b));

    /* not in place: a wait returns at once */
    CHECK_OK(zkrs_barrier_wait(b, -1));
    CHECK_RC_MSG(zkrs_barrier_wait(b, -2), ZKRS_RC_BAD_ARGUMENTS, "timeout_ms");
    bool removed = true;
    CHECK_OK(zkrs_barrier_remove(b, &removed));
    CHECK(!removed);

    CHECK_OK(zkrs_barrier_create(b));
    CHECK_OK(zkrs_barrier_create(b));
    CHECK_RC(zkrs_barrier_wait(b, 0), ZKRS_RC_TIMEOUT);
    long long t0 = now_ms();
    CHECK_RC_MSG(zkrs_barrier_wait(b, 200), ZKRS_RC_TIMEOUT, "still in place");
    CHECK(now_ms() - t0 >= 200);

    /* a waiter on another thread is released by the removal, even after a data change */
    blocked w;
    blocked_start(&w, 0, b, NULL, WAIT_MS);
    sleep_ms(200);
    CHECK_OK(zkrs_client_set_data(c, path, U8("x"), 1, -1, NULL));
    sleep_ms(100);
    CHECK_INT(counter_get(&w.done), 0);
    CHECK_OK(zkrs_barrier_remove(b, &removed));
    CHECK(removed);
    CHECK_OK(blocked_finish(&w));
    CHECK_OK(zkrs_barrier_remove(b, NULL));

    /* inside a callback of the client a wait is refused instead of hanging */
    CHECK_OK(zkrs_barrier_create(b));
    in_callback ic;
    ic.barrier = b;
    ic.rc = ZKRS_RC_OK;
    counter_init(&ic.done);
    CHECK_OK(zkrs_client_exists_async(c, path, NULL, wait_in_callback, &ic));
    WAIT_COUNT(&ic.done, 1);
    CHECK_INT(ic.rc, ZKRS_RC_WOULD_DEADLOCK);
    counter_destroy(&ic.done);
    CHECK_OK(zkrs_barrier_remove(b, NULL));

    CHECK_RC(zkrs_barrier_create(NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_barrier_remove(NULL, &removed), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_barrier_wait(NULL, 0), ZKRS_RC_NULL_ARGUMENT);
    zkrs_barrier_free(b);
    zkrs_barrier_free(NULL);
    printf("barrier: create, wait (timeout, release by another thread, refused in a callback), remove\n");
}

/* ---- DoubleBarrier ------------------------------------------------------------------------------ */

static void test_double_barrier(zkrs_client *c, zkrs_client *c2) {
    char path[256], child[300];
    path_of(path, sizeof path, "double");
    zkrs_double_barrier *m1 = NULL, *m2 = NULL;
    CHECK_RC(zkrs_double_barrier_new(NULL, path, 2, "a", &m1), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_double_barrier_new(c, NULL, 2, "a", &m1), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_double_barrier_new(c, path, 2, "a", NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_double_barrier_new(c, "rel", 2, "a", &m1), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_double_barrier_new(c, path, 0, "a", &m1), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_RC(zkrs_double_barrier_new(c, path, -3, "a", &m1), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_RC(zkrs_double_barrier_new(c, path, 2, "\xc3(", &m1), ZKRS_RC_INVALID_UTF8);
    CHECK(m1 == NULL);
    CHECK_OK(zkrs_double_barrier_new(c, path, 2, "member-a", &m1));
    CHECK_OK(zkrs_double_barrier_new(c2, path, 2, NULL, &m2));

    bool in = true;
    CHECK_OK(zkrs_double_barrier_participating(m1, &in));
    CHECK(!in);
    CHECK_RC(zkrs_double_barrier_participating(NULL, &in), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_double_barrier_participating(m1, NULL), ZKRS_RC_NULL_ARGUMENT);

    /* alone, an enter times out and leaves nothing behind */
    CHECK_RC(zkrs_double_barrier_enter(m1, 200), ZKRS_RC_TIMEOUT);
    CHECK_OK(zkrs_double_barrier_participating(m1, &in));
    CHECK(!in);
    zkrs_string_list *kids = NULL;
    CHECK_OK(zkrs_client_get_children(c, path, NULL, &kids, NULL));
    CHECK_INT(zkrs_string_list_len(kids), 0);
    zkrs_string_list_free(kids);

    /* two members enter together (one on a thread) and leave together */
    blocked e;
    blocked_start(&e, 1, NULL, m1, WAIT_MS);
    sleep_ms(200);
    CHECK_INT(counter_get(&e.done), 0);
    CHECK_OK(zkrs_double_barrier_enter(m2, WAIT_MS));
    CHECK_OK(blocked_finish(&e));
    CHECK_OK(zkrs_double_barrier_participating(m1, &in));
    CHECK(in);
    snprintf(child, sizeof child, "%s/ready", path);
    bool exists = false;
    CHECK_OK(zkrs_client_exists(c, child, NULL, &exists, NULL));
    CHECK(exists);
    /* the member nodes hold the identifiers: ours, and kazoo's default <hostname>-<pid> */
    CHECK_OK(zkrs_client_get_children(c, path, NULL, &kids, NULL));
    CHECK_INT(zkrs_string_list_len(kids), 3);
    int seen_a = 0, seen_default = 0;
    char host[200], want_default[260];
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    snprintf(want_default, sizeof want_default, "%s-%ld", host, (long)getpid());
    for (size_t i = 0; i < zkrs_string_list_len(kids); i++) {
        const char *name = zkrs_string_list_get(kids, i);
        if (strcmp(name, "ready") == 0) continue;
        CHECK_INT(strlen(name), 32);
        snprintf(child, sizeof child, "%s/%s", path, name);
        zkrs_buf *data = NULL;
        CHECK_OK(zkrs_client_get_data(c, child, NULL, &data, NULL));
        if (zkrs_buf_len(data) == 8 && memcmp(zkrs_buf_data(data), "member-a", 8) == 0) seen_a++;
        if (zkrs_buf_len(data) == strlen(want_default) && memcmp(zkrs_buf_data(data), want_default, strlen(want_default)) == 0)
            seen_default++;
        zkrs_buf_free(data);
    }
    zkrs_string_list_free(kids);
    CHECK_INT(seen_a, 1);
    CHECK_INT(seen_default, 1);

    blocked l;
    blocked_start(&l, 2, NULL, m1, WAIT_MS);
    CHECK_OK(zkrs_double_barrier_leave(m2, WAIT_MS));
    CHECK_OK(blocked_finish(&l));
    CHECK_OK(zkrs_double_barrier_participating(m2, &in));
    CHECK(!in);
    CHECK_OK(zkrs_client_get_children(c, path, NULL, &kids, NULL));
    CHECK_INT(zkrs_string_list_len(kids), 0);
    zkrs_string_list_free(kids);

    /* under an ephemeral parent nobody can enter */
    char eph[256], under[300];
    path_of(eph, sizeof eph, "ephemeral");
    snprintf(under, sizeof under, "%s/barrier", eph);
    zkrs_create_options eo = {ZKRS_CREATE_EPHEMERAL, 0, NULL, false};
    CHECK_OK(zkrs_client_create(c, eph, NULL, 0, &eo, NULL, NULL));
    zkrs_double_barrier *m3 = NULL;
    CHECK_OK(zkrs_double_barrier_new(c, under, 1, "x", &m3));
    CHECK_RC(zkrs_double_barrier_enter(m3, WAIT_MS), ZKRS_RC_NO_CHILDREN_FOR_EPHEMERALS);
    CHECK_OK(zkrs_double_barrier_participating(m3, &in));
    CHECK(!in);
    zkrs_double_barrier_free(m3);

    CHECK_RC(zkrs_double_barrier_enter(NULL, 0), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_double_barrier_leave(NULL, 0), ZKRS_RC_NULL_ARGUMENT);
    zkrs_double_barrier_free(m1);
    zkrs_double_barrier_free(m2);
    zkrs_double_barrier_free(NULL);
    printf("double barrier: enter timeout, two members in and out, identifiers stored, ephemeral parent\n");
}

/* ---- Counter ------------------------------------------------------------------------------------ */

static void test_counter(zkrs_client *c) {
    char ipath[256], fpath[256], cpath[256];
    path_of(ipath, sizeof ipath, "int");
    path_of(fpath, sizeof fpath, "float");
    path_of(cpath, sizeof cpath, "curator");
    zkrs_counter *ic = NULL, *fc = NULL, *cc = NULL;
    CHECK_RC(zkrs_counter_new(NULL, ipath, ZKRS_COUNTER_INT, &ic), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_counter_new(c, NULL, ZKRS_COUNTER_INT, &ic), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_counter_new(c, ipath, ZKRS_COUNTER_INT, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_counter_new(c, "/x/", ZKRS_COUNTER_INT, &ic), ZKRS_RC_INVALID_PATH);
    CHECK_RC_MSG(zkrs_counter_new(c, ipath, 7, &ic), ZKRS_RC_BAD_ARGUMENTS, "kind");
    CHECK(ic == NULL);
    CHECK_OK(zkrs_counter_new(c, ipath, ZKRS_COUNTER_INT, &ic));
    CHECK_OK(zkrs_counter_new(c, fpath, ZKRS_COUNTER_FLOAT, &fc));
    CHECK_OK(zkrs_counter_new(c, cpath, ZKRS_COUNTER_CURATOR, &cc));

    int64_t v = 99, pre = 99, post = 99;
    CHECK_OK(zkrs_counter_value(ic, &v));
    CHECK_INT(v, 0);
    CHECK_OK(zkrs_counter_add(ic, 2, &pre, &post));
    CHECK_INT(pre, 0);
    CHECK_INT(post, 2);
    CHECK_OK(zkrs_counter_add(ic, 1, NULL, NULL));
    CHECK_OK(zkrs_counter_value(ic, &v));
    CHECK_INT(v, 3);
    check_stored(c, ipath, "3");
    CHECK_OK(zkrs_counter_subtract(ic, 4, &pre, &post));
    CHECK_INT(pre, 3);
    CHECK_INT(post, -1);
    check_stored(c, ipath, "-1");
    CHECK_OK(zkrs_counter_add(ic, INT64_MAX, NULL, NULL));
    pre = post = 42;
    CHECK_RC(zkrs_counter_add(ic, 10, &pre, &post), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_INT(pre, 42); /* out-parameters untouched on failure */
    CHECK_INT(post, 42);

    double fv = 9, fpre = 9, fpost = 9;
    CHECK_OK(zkrs_counter_value_float(fc, &fv));
    CHECK(fv == 0.0);
    CHECK_OK(zkrs_counter_add_float(fc, 0.1, &fpre, &fpost));
    CHECK(fpre == 0.0 && fpost == 0.1);
    CHECK_OK(zkrs_counter_add_float(fc, 0.2, NULL, NULL));
    check_stored(c, fpath, "0.30000000000000004");
    CHECK_OK(zkrs_counter_subtract_float(fc, 0.30000000000000004, &fpre, &fpost));
    CHECK(fpost == 0.0);
    check_stored(c, fpath, "0.0");
    CHECK_OK(zkrs_counter_add_float(fc, 1.5, NULL, NULL));
    check_stored(c, fpath, "1.5");
    CHECK_OK(zkrs_counter_value_float(fc, &fv));
    CHECK(fv == 1.5);

    CHECK_OK(zkrs_counter_add(cc, 2147483647, &pre, &post));
    CHECK_INT(post, 2147483647);
    zkrs_buf *raw = NULL;
    CHECK_OK(zkrs_client_get_data(c, cpath, NULL, &raw, NULL));
    CHECK_INT(zkrs_buf_len(raw), 4);
    CHECK(memcmp(zkrs_buf_data(raw), "\x7f\xff\xff\xff", 4) == 0);
    zkrs_buf_free(raw);
    CHECK_RC(zkrs_counter_add(cc, 1, NULL, NULL), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_OK(zkrs_counter_subtract(cc, 4294967295LL, NULL, &post));
    CHECK_INT(post, -2147483648LL);
    CHECK_OK(zkrs_client_get_data(c, cpath, NULL, &raw, NULL));
    CHECK(zkrs_buf_len(raw) == 4 && memcmp(zkrs_buf_data(raw), "\x80\0\0\0", 4) == 0);
    zkrs_buf_free(raw);

    /* the wrong kind of call for a counter, unreadable data, NULL */
    CHECK_RC(zkrs_counter_add_float(ic, 1.0, NULL, NULL), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_RC(zkrs_counter_subtract_float(cc, 1.0, NULL, NULL), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_RC(zkrs_counter_value_float(ic, &fv), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_RC(zkrs_counter_add(fc, 1, NULL, NULL), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_RC(zkrs_counter_subtract(fc, 1, NULL, NULL), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_RC(zkrs_counter_value(fc, &v), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_OK(zkrs_client_set_data(c, ipath, U8("2.5"), 3, -1, NULL));
    CHECK_RC(zkrs_counter_value(ic, &v), ZKRS_RC_MARSHALLING_ERROR);
    CHECK_RC(zkrs_counter_add(NULL, 1, NULL, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_counter_subtract(NULL, 1, NULL, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_counter_add_float(NULL, 1, NULL, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_counter_subtract_float(NULL, 1, NULL, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_counter_value(NULL, &v), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_counter_value(cc, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_counter_value_float(NULL, &fv), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_counter_value_float(fc, NULL), ZKRS_RC_NULL_ARGUMENT);
    zkrs_counter_free(ic);
    zkrs_counter_free(fc);
    zkrs_counter_free(cc);
    zkrs_counter_free(NULL);
    printf("counter: int, float (Python repr), curator (4 bytes), pre/post values, kinds and limits refused\n");
}

/* ---- Party -------------------------------------------------------------------------------------- */

static void check_members(zkrs_party *p, const char *const *want, size_t n) {
    zkrs_string_list *l = NULL;
    CHECK_OK(zkrs_party_members(p, &l));
    CHECK_INT(zkrs_string_list_len(l), n);
    for (size_t i = 0; i < n; i++) {
        int found = 0;
        for (size_t j = 0; j < zkrs_string_list_len(l); j++)
            if (strcmp(zkrs_string_list_get(l, j), want[i]) == 0) found = 1;
        CHECK_MSG(found, "member %s missing", want[i]);
    }
    zkrs_string_list_free(l);
    size_t len = 99;
    CHECK_OK(zkrs_party_len(p, &len));
    CHECK_INT(len, n);
}

static void test_party(zkrs_client *c, zkrs_client *c2, bool shallow) {
    char path[256];
    path_of(path, sizeof path, shallow ? "shallow" : "party");
    zkrs_party *a = NULL, *b = NULL, *anon = NULL;
    CHECK_RC(zkrs_party_new(NULL, path, "a", shallow, &a), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_party_new(c, NULL, "a", shallow, &a), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_party_new(c, path, "a", shallow, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_party_new(c, "party", "a", shallow, &a), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_party_new(c, path, "\xfe", shallow, &a), ZKRS_RC_INVALID_UTF8);
    if (shallow) CHECK_RC(zkrs_party_new(c, path, "a/b", true, &a), ZKRS_RC_INVALID_PATH);
    CHECK(a == NULL);
    CHECK_OK(zkrs_party_new(c, path, "worker-a", shallow, &a));
    CHECK_OK(zkrs_party_new(c2, path, "worker-b", shallow, &b));
    CHECK_OK(zkrs_party_new(c2, path, NULL, shallow, &anon));

    check_members(a, NULL, 0);
    bool in = true, removed = false;
    CHECK_OK(zkrs_party_participating(a, &in));
    CHECK(!in);
    CHECK_OK(zkrs_party_join(a));
    CHECK_OK(zkrs_party_join(a));
    CHECK_OK(zkrs_party_participating(a, &in));
    CHECK(in);
    CHECK_OK(zkrs_party_join(b));
    const char *both[] = {"worker-a", "worker-b"};
    check_members(a, both, 2);
    check_members(b, both, 2);
    CHECK_OK(zkrs_party_join(anon));
    const char *three[] = {"worker-a", "worker-b", ""};
    check_members(a, three, 3);
    CHECK_OK(zkrs_party_leave(anon, &removed));
    CHECK(removed);

    CHECK_OK(zkrs_party_leave(b, &removed));
    CHECK(removed);
    CHECK_OK(zkrs_party_leave(b, &removed));
    CHECK(!removed);
    CHECK_OK(zkrs_party_leave(b, NULL));
    const char *one[] = {"worker-a"};
    check_members(a, one, 1);
    CHECK_OK(zkrs_party_leave(a, NULL));
    CHECK_OK(zkrs_party_participating(a, &in));
    CHECK(!in);
    check_members(a, NULL, 0);

    zkrs_string_list *l = NULL;
    size_t len = 0;
    CHECK_RC(zkrs_party_join(NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_party_leave(NULL, &removed), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_party_members(NULL, &l), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_party_members(a, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_party_len(NULL, &len), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_party_len(a, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_party_participating(NULL, &in), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_party_participating(a, NULL), ZKRS_RC_NULL_ARGUMENT);
    zkrs_party_free(a);
    zkrs_party_free(b);
    zkrs_party_free(anon);
    zkrs_party_free(NULL);
    printf("%s: join (twice), members and len from two clients, leave (twice), NULL\n", shallow ? "shallow party" : "party");
}

/* ---- SetPartitioner ----------------------------------------------------------------------------- */

static int partitioner_state(zkrs_partitioner *p) {
    int32_t st = -1;
    CHECK_OK(zkrs_partitioner_state(p, &st, NULL));
    return st;
}

static void wait_partition_state(zkrs_partitioner *p, int32_t want) {
    long long end = now_ms() + WAIT_MS;
    while (partitioner_state(p) != want) {
        if (now_ms() > end) FAIL("partitioner state %d, want %d", partitioner_state(p), want);
        sleep_ms(20);
    }
}

/* Waits for the set and checks its items (in order). */
static void check_acquired(zkrs_partitioner *p, const char *const *want, size_t n) {
    int32_t acquired = -1;
    CHECK_OK(zkrs_partitioner_wait_for_acquire(p, WAIT_MS, &acquired));
    CHECK_INT(acquired, ZKRS_PARTITION_ACQUIRED);
    CHECK_INT(partitioner_state(p), ZKRS_PARTITION_ACQUIRED);
    zkrs_string_list *l = NULL;
    CHECK_OK(zkrs_partitioner_acquired_items(p, &l));
    CHECK_INT(zkrs_string_list_len(l), n);
    for (size_t i = 0; i < n; i++) CHECK_STR(zkrs_string_list_get(l, i), want[i]);
    zkrs_string_list_free(l);
}

static void test_partitioner(zkrs_client *c, zkrs_client *c2) {
    char path[256];
    path_of(path, sizeof path, "partition");
    const char *items[] = {"x", "y", "z"};
    const char *bad_item[] = {"x", "a/b"};
    const char *bad_utf8[] = {"\xff"};
    zkrs_partitioner *a = NULL, *b = NULL;
    CHECK_RC(zkrs_partitioner_new(NULL, path, items, 3, "a", 200, NULL, NULL, NULL, &a), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_new(c, NULL, items, 3, "a", 200, NULL, NULL, NULL, &a), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_new(c, path, NULL, 3, "a", 200, NULL, NULL, NULL, &a), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_new(c, path, items, 3, "a", 200, NULL, NULL, NULL, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_new(c, "rel", items, 3, "a", 200, NULL, NULL, NULL, &a), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_partitioner_new(c, path, bad_item, 2, "a", 200, NULL, NULL, NULL, &a), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_partitioner_new(c, path, bad_utf8, 1, "a", 200, NULL, NULL, NULL, &a), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_partitioner_new(c, path, items, 3, "a/b", 200, NULL, NULL, NULL, &a), ZKRS_RC_INVALID_PATH);
    CHECK(a == NULL);

    CHECK_OK(zkrs_partitioner_new(c, path, items, 3, "a", 200, NULL, NULL, NULL, &a));
    const char *all[] = {"x", "y", "z"};
    check_acquired(a, all, 3);
    /* a second member: the first releases, and after release_set both divide the set */
    CHECK_OK(zkrs_partitioner_new(c2, path, items, 3, "b", 200, NULL, NULL, NULL, &b));
    wait_partition_state(a, ZKRS_PARTITION_RELEASE);
    CHECK_OK(zkrs_partitioner_release_set(a));
    const char *a_items[] = {"x", "z"};
    const char *b_items[] = {"y"};
    check_acquired(a, a_items, 2);
    check_acquired(b, b_items, 1);
    /* b finishes: a releases and takes everything */
    CHECK_OK(zkrs_partitioner_finish(b));
    CHECK_INT(partitioner_state(b), ZKRS_PARTITION_FAILURE);
    int32_t acquired = -1;
    CHECK_OK(zkrs_partitioner_wait_for_acquire(b, 0, &acquired));
    CHECK_INT(acquired, ZKRS_PARTITION_FAILURE);
    wait_partition_state(a, ZKRS_PARTITION_RELEASE);
    CHECK_OK(zkrs_partitioner_release_set(a));
    check_acquired(a, all, 3);

    int32_t st = 0;
    zkrs_string_list *l = NULL;
    CHECK_RC(zkrs_partitioner_state(NULL, &st, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_state(a, NULL, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_wait_for_acquire(NULL, 0, &acquired), ZKRS_RC_NULL_ARGUMENT);
    CHECK_OK(zkrs_partitioner_wait_for_acquire(a, 0, NULL)); /* the state out-parameter is optional */
    CHECK_RC(zkrs_partitioner_acquired_items(NULL, &l), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_acquired_items(a, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_release_set(NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_finish(NULL), ZKRS_RC_NULL_ARGUMENT);
    zkrs_partitioner_free(b);
    zkrs_partitioner_free(a); /* finishes: releases the locks, leaves the party */
    zkrs_partitioner_free(NULL);
    char party[300];
    snprintf(party, sizeof party, "%s/party", path);
    zkrs_string_list *kids = NULL;
    CHECK_OK(zkrs_client_get_children(c, party, NULL, &kids, NULL));
    CHECK_INT(zkrs_string_list_len(kids), 0);
    zkrs_string_list_free(kids);
    printf("partitioner: one member takes all, two split, release on a join and on a finish, NULL\n");
}

/* ---- close, free and session loss --------------------------------------------------------------- */

static void test_close_and_free(const char *hosts) {
    char gate[256], dpath[256], cpath[256], ppath[256];
    path_of(gate, sizeof gate, "close-gate");
    path_of(dpath, sizeof dpath, "close-double");
    path_of(cpath, sizeof cpath, "close-counter");
    path_of(ppath, sizeof ppath, "close-party");
    zkrs_client *c = test_connect(hosts);
    zkrs_barrier *b = NULL;
    zkrs_double_barrier *m = NULL;
    zkrs_counter *ctr = NULL;
    zkrs_party *p = NULL;
    CHECK_OK(zkrs_barrier_new(c, gate, &b));
    CHECK_OK(zkrs_double_barrier_new(c, dpath, 2, "m", &m));
    CHECK_OK(zkrs_counter_new(c, cpath, ZKRS_COUNTER_INT, &ctr));
    CHECK_OK(zkrs_party_new(c, ppath, "p", false, &p));
    CHECK_OK(zkrs_party_join(p));
    CHECK_OK(zkrs_barrier_create(b));
    const char *items[] = {"i"};
    char ppath2[256];
    path_of(ppath2, sizeof ppath2, "close-partition");
    zkrs_partitioner *sp = NULL;
    CHECK_OK(zkrs_partitioner_new(c, ppath2, items, 1, "solo", 100, NULL, NULL, NULL, &sp));

    /* close ends a blocked barrier wait and a blocked enter */
    blocked w, e;
    blocked_start(&w, 0, b, NULL, -1);
    blocked_start(&e, 1, NULL, m, -1);
    sleep_ms(300);
    CHECK_INT(counter_get(&w.done), 0);
    CHECK_INT(counter_get(&e.done), 0);
    CHECK_OK(zkrs_client_close(c));
    CHECK_INT(blocked_finish(&w), ZKRS_RC_CLOSED);
    CHECK_INT(blocked_finish(&e), ZKRS_RC_CLOSED);

    /* freeing the client first: the objects stay valid and say CLOSED */
    zkrs_client_free(c);
    bool in = true;
    int64_t v = 0;
    size_t len = 0;
    zkrs_string_list *l = NULL;
    CHECK_RC(zkrs_barrier_create(b), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_barrier_wait(b, 0), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_barrier_remove(b, NULL), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_double_barrier_enter(m, 0), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_double_barrier_leave(m, 0), ZKRS_RC_CLOSED);
    CHECK_OK(zkrs_double_barrier_participating(m, &in));
    CHECK(!in);
    CHECK_RC(zkrs_counter_add(ctr, 1, NULL, NULL), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_counter_value(ctr, &v), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_party_join(p), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_party_members(p, &l), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_party_len(p, &len), ZKRS_RC_CLOSED);
    CHECK_OK(zkrs_party_participating(p, &in));
    CHECK(in); /* it did not leave; its node went with the session */
    int32_t acq = -1;
    CHECK_RC(zkrs_partitioner_release_set(sp), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_partitioner_finish(sp), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_partitioner_wait_for_acquire(sp, 0, &acq), ZKRS_RC_CLOSED);
    wait_partition_state(sp, ZKRS_PARTITION_FAILURE); /* the session is gone: final */
    zkrs_partitioner_free(sp);
    zkrs_barrier_free(b);
    zkrs_double_barrier_free(m);
    zkrs_counter_free(ctr);
    zkrs_party_free(p);

    /* the party's member went with the session */
    zkrs_client *c2 = test_connect(hosts);
    zkrs_party *q = NULL;
    CHECK_OK(zkrs_party_new(c2, ppath, "q", false, &q));
    CHECK_OK(zkrs_party_len(q, &len));
    CHECK_INT(len, 0);
    zkrs_party_free(q);
    zkrs_client_free(c2);
    printf("close ends blocked calls with CLOSED; after the client is freed every call says CLOSED\n");
}

static void test_session_loss(const char *hosts, const char *proxied) {
    if (proxied == NULL) {
        printf("session loss: skipped (no ZK_PROXY_HOSTS)\n");
        return;
    }
    char gate[256];
    path_of(gate, sizeof gate, "expire-gate");
    zkrs_client *c = test_connect(proxied);
    zkrs_barrier *b = NULL;
    CHECK_OK(zkrs_barrier_new(c, gate, &b));
    CHECK_OK(zkrs_barrier_create(b));
    blocked w;
    blocked_start(&w, 0, b, NULL, 60000);
    sleep_ms(300);
    zkrs_buf *idstr = NULL;
    CHECK_OK(zkrs_client_id_string(c, &idstr));
    char what[256];
    snprintf(what, sizeof what, "expire %s", (const char *)zkrs_buf_data(idstr));
    zkrs_buf_free(idstr);
    fault(what);
    CHECK_INT(blocked_finish(&w), ZKRS_RC_SESSION_EXPIRED);
    zkrs_barrier_free(b);
    zkrs_client_free(c);
    (void)hosts;
    printf("session loss ends a blocked barrier wait with SESSION_EXPIRED\n");
}

int main(int argc, char **argv) {
    const char *hosts = test_hosts(argc, argv);
    test_prefix(prefix, sizeof prefix, "coord");
    zkrs_client *c = test_connect(hosts);
    zkrs_client *c2 = test_connect(hosts);
    CHECK_OK(zkrs_client_create(c, prefix, NULL, 0, NULL, NULL, NULL));

    test_barrier(c);
    test_double_barrier(c, c2);
    test_counter(c);
    test_party(c, c2, false);
    test_party(c, c2, true);
    test_partitioner(c, c2);
    test_close_and_free(hosts);
    test_session_loss(hosts, proxy_hosts());

    CHECK_OK(zkrs_client_delete(c, prefix, -1, true));
    zkrs_client_free(c2);
    zkrs_client_free(c);
    printf("PASS recipe_coord\n");
    return 0;
}
