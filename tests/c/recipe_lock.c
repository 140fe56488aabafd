/*
 * recipe_lock.c -- zkrs_lock, zkrs_semaphore and zkrs_election from C: exclusion, timeouts, cancel from
 * another thread, read/write locks, the lost callback (node deleted; session expired for real through
 * the runner's proxy), election order, bad arguments, and use after the client closed. Every
 * free_userdata runs exactly once.
 */
#include "check.h"

static char P[128];

static void path_of(char *out, size_t size, const char *name) {
    snprintf(out, size, "%s/%s", P, name);
}

/* Checks that `list` holds exactly the given strings (NULL-terminated) and frees it. */
static void check_list(zkrs_string_list *list, int line, ...) {
    va_list ap;
    size_t i = 0;
    va_start(ap, line);
    for (;; i++) {
        const char *want = va_arg(ap, const char *);
        if (want == NULL) break;
        if (i >= zkrs_string_list_len(list)) check_die(__FILE__, line, "list has %zu items, want more", i);
        const char *got = zkrs_string_list_get(list, i);
        if (strcmp(got, want) != 0) check_die(__FILE__, line, "item %zu is \"%s\", want \"%s\"", i, got, want);
    }
    va_end(ap);
    if (zkrs_string_list_len(list) != i)
        check_die(__FILE__, line, "list has %zu items, want %zu", zkrs_string_list_len(list), i);
    zkrs_string_list_free(list);
}

static size_t contender_count(zkrs_lock *l) {
    zkrs_string_list *list = NULL;
    CHECK_OK(zkrs_lock_contenders(l, &list));
    size_t n = zkrs_string_list_len(list);
    zkrs_string_list_free(list);
    return n;
}

static void wait_contenders(zkrs_lock *l, size_t n, int line) {
    long long t0 = now_ms();
    while (contender_count(l) != n) {
        if (now_ms() - t0 > WAIT_MS) check_die(__FILE__, line, "never %zu contenders", n);
        sleep_ms(10);
    }
}
#define WAIT_CONTENDERS(l, n) wait_contenders((l), (n), __LINE__)

/* ---- a thread blocked in an acquire ------------------------------------------------------------------- */

typedef struct acquirer {
    pthread_t thread;
    zkrs_lock *lock;
    zkrs_semaphore *sem;
    int timeout_ms;
    zkrs_rc rc;
} acquirer;

static void *acquire_main(void *arg) {
    acquirer *a = arg;
    a->rc = a->lock ? zkrs_lock_acquire(a->lock, a->timeout_ms, true) : zkrs_semaphore_acquire(a->sem, a->timeout_ms);
    return NULL;
}

static void start_acquire(acquirer *a, zkrs_lock *l, zkrs_semaphore *s, int timeout_ms) {
    memset(a, 0, sizeof *a);
    a->lock = l;
    a->sem = s;
    a->timeout_ms = timeout_ms;
    a->rc = 12345;
    if (pthread_create(&a->thread, NULL, acquire_main, a) != 0) FAIL("pthread_create");
}

static zkrs_rc join_acquire(acquirer *a) {
    pthread_join(a->thread, NULL);
    return a->rc;
}

/* ---- lost callbacks ----------------------------------------------------------------------------------- */

typedef struct lost_rec {
    counter lost;
    counter freed;
} lost_rec;

static void on_lost(void *ud) {
    lost_rec *r = ud;
    if (counter_get(&r->freed) != 0) FAIL("a lost callback ran after its free_userdata");
    counter_add(&r->lost, 1);
}

static void on_lost_free(void *ud) {
    counter_add(&((lost_rec *)ud)->freed, 1);
}

static void lost_init(lost_rec *r) {
    counter_init(&r->lost);
    counter_init(&r->freed);
}

/* ---- the tests ------------------------------------------------------------------------------------------- */

static void test_bad_arguments(zkrs_client *c) {
    char path[192];
    path_of(path, sizeof path, "bad");
    zkrs_lock *l = NULL;
    CHECK_RC(zkrs_lock_new(NULL, path, "x", ZKRS_LOCK_EXCLUSIVE, &l), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_lock_new(c, NULL, "x", ZKRS_LOCK_EXCLUSIVE, &l), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_lock_new(c, path, "x", ZKRS_LOCK_EXCLUSIVE, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_lock_new(c, "relative", "x", ZKRS_LOCK_EXCLUSIVE, &l), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_lock_new(c, path, "\xff\xfe", ZKRS_LOCK_EXCLUSIVE, &l), ZKRS_RC_INVALID_UTF8);
    CHECK_RC_MSG(zkrs_lock_new(c, path, "x", 7, &l), ZKRS_RC_BAD_ARGUMENTS, "kind");
    CHECK(l == NULL);
    const char *bad_patterns[] = {"-lock-", NULL};
    CHECK_RC(zkrs_lock_new_with_patterns(c, path, "x", ZKRS_LOCK_EXCLUSIVE, bad_patterns, 2, &l), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_lock_new_with_patterns(c, path, "x", ZKRS_LOCK_EXCLUSIVE, NULL, 1, &l), ZKRS_RC_NULL_ARGUMENT);
    CHECK(l == NULL);
    CHECK_RC(zkrs_lock_acquire(NULL, 0, true), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_lock_release(NULL, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_lock_cancel(NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK(!zkrs_lock_is_held(NULL));
    zkrs_lock_free(NULL);
    lost_rec r;
    lost_init(&r);
    CHECK_RC(zkrs_lock_set_lost_callback(NULL, on_lost, &r, on_lost_free), ZKRS_RC_NULL_ARGUMENT);
    CHECK_INT(counter_get(&r.freed), 1);

    CHECK_OK(zkrs_lock_new(c, path, NULL, ZKRS_LOCK_EXCLUSIVE, &l));
    CHECK_RC_MSG(zkrs_lock_acquire(l, -5, true), ZKRS_RC_BAD_ARGUMENTS, "timeout_ms");
    CHECK_RC(zkrs_lock_contenders(l, NULL), ZKRS_RC_NULL_ARGUMENT);
    zkrs_lock_free(l);

    zkrs_semaphore *s = NULL;
    CHECK_RC(zkrs_semaphore_new(c, path, "x", 0, &s), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_RC(zkrs_semaphore_new(c, NULL, "x", 1, &s), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_semaphore_acquire(NULL, 0), ZKRS_RC_NULL_ARGUMENT);
    CHECK(s == NULL);
    zkrs_semaphore_free(NULL);
    zkrs_election *e = NULL;
    CHECK_RC(zkrs_election_new(c, "x/y", "x", &e), ZKRS_RC_INVALID_PATH);
    CHECK(e == NULL);
    zkrs_election_free(NULL);
    printf("bad arguments: ok\n");
}

static void test_exclusion(zkrs_client *c1, zkrs_client *c2) {
    char path[192];
    path_of(path, sizeof path, "lock");
    zkrs_lock *a = NULL, *b = NULL;
    CHECK_OK(zkrs_lock_new(c1, path, "A", ZKRS_LOCK_EXCLUSIVE, &a));
    CHECK_OK(zkrs_lock_new(c2, path, "B", ZKRS_LOCK_EXCLUSIVE, &b));
    CHECK(!zkrs_lock_is_held(a));
    CHECK_OK(zkrs_lock_acquire(a, -1, true));
    CHECK(zkrs_lock_is_held(a));
    CHECK_RC_MSG(zkrs_lock_acquire(a, 0, true), ZKRS_RC_BAD_ARGUMENTS, "re-entrant");
    CHECK_RC(zkrs_lock_acquire(b, 0, true), ZKRS_RC_TIMEOUT);
    CHECK(!zkrs_lock_is_held(b));
    zkrs_string_list *list = NULL;
    CHECK_OK(zkrs_lock_contenders(b, &list));
    check_list(list, __LINE__, "A", (const char *)NULL);

    long long t0 = now_ms();
    CHECK_RC(zkrs_lock_acquire(b, 300, true), ZKRS_RC_TIMEOUT);
    long long took = now_ms() - t0;
    CHECK_MSG(took >= 290 && took < 5000, "a 300 ms acquire took %lld ms", took);
    CHECK_INT(contender_count(a), 1);

    /* cancelled from another thread: CANCELLED, and its contender is gone */
    acquirer w;
    start_acquire(&w, b, NULL, -1);
    WAIT_CONTENDERS(a, 2);
    CHECK_OK(zkrs_lock_cancel(b));
    CHECK_INT(join_acquire(&w), ZKRS_RC_CANCELLED);
    CHECK_OK(zkrs_lock_contenders(a, &list));
    check_list(list, __LINE__, "A", (const char *)NULL);

    /* a waiter gets the lock when the holder releases */
    start_acquire(&w, b, NULL, WAIT_MS);
    WAIT_CONTENDERS(a, 2);
    bool released = false;
    CHECK_OK(zkrs_lock_release(a, &released));
    CHECK(released);
    CHECK(!zkrs_lock_is_held(a));
    CHECK_INT(join_acquire(&w), ZKRS_RC_OK);
    CHECK(zkrs_lock_is_held(b));
    CHECK_OK(zkrs_lock_release(a, &released));
    CHECK(!released);
    /* freeing a held lock releases it */
    zkrs_lock_free(b);
    CHECK_OK(zkrs_lock_acquire(a, WAIT_MS, true));
    CHECK_OK(zkrs_lock_release(a, NULL));
    zkrs_lock_free(a);
    printf("exclusion: ok\n");
}

static void test_read_write(zkrs_client *c) {
    char path[192];
    path_of(path, sizeof path, "rw");
    zkrs_lock *r1 = NULL, *r2 = NULL, *w = NULL;
    CHECK_OK(zkrs_lock_new(c, path, "r1", ZKRS_LOCK_READ, &r1));
    CHECK_OK(zkrs_lock_new(c, path, "r2", ZKRS_LOCK_READ, &r2));
    CHECK_OK(zkrs_lock_new(c, path, "w", ZKRS_LOCK_WRITE, &w));
    CHECK_OK(zkrs_lock_acquire(r1, 0, true));
    CHECK_OK(zkrs_lock_acquire(r2, 0, true));
    CHECK_RC(zkrs_lock_acquire(w, 0, true), ZKRS_RC_TIMEOUT);
    CHECK_OK(zkrs_lock_release(r1, NULL));
    CHECK_OK(zkrs_lock_release(r2, NULL));
    CHECK_OK(zkrs_lock_acquire(w, 0, true));
    CHECK_RC(zkrs_lock_acquire(r1, 0, true), ZKRS_RC_TIMEOUT);
    CHECK_OK(zkrs_lock_release(w, NULL));
    zkrs_lock_free(r1);
    zkrs_lock_free(r2);
    zkrs_lock_free(w);
    printf("read/write: ok\n");
}

static void test_lost_when_node_deleted(zkrs_client *c1, zkrs_client *c2) {
    char path[192];
    path_of(path, sizeof path, "stolen");
    zkrs_lock *l = NULL;
    lost_rec r, first;
    lost_init(&r);
    lost_init(&first);
    CHECK_OK(zkrs_lock_new(c1, path, "x", ZKRS_LOCK_EXCLUSIVE, &l));
    CHECK_OK(zkrs_lock_set_lost_callback(l, on_lost, &first, on_lost_free));
    CHECK_OK(zkrs_lock_set_lost_callback(l, on_lost, &r, on_lost_free));
    CHECK_INT(counter_get(&first.freed), 1); /* replaced: released at once */
    CHECK_OK(zkrs_lock_acquire(l, -1, true));
    zkrs_string_list *children = NULL;
    CHECK_OK(zkrs_client_get_children(c2, path, NULL, &children, NULL));
    CHECK_INT(zkrs_string_list_len(children), 1);
    const char *name = zkrs_string_list_get(children, 0);
    CHECK_MSG(strstr(name, "__lock__") == name + 32, "contender name %s", name);
    char node[320];
    snprintf(node, sizeof node, "%s/%s", path, name);
    zkrs_string_list_free(children);
    CHECK_OK(zkrs_client_delete(c2, node, -1, false));
    WAIT_COUNT(&r.lost, 1);
    CHECK(!zkrs_lock_is_held(l));
    bool released = true;
    CHECK_OK(zkrs_lock_release(l, &released));
    CHECK(!released);
    zkrs_lock_free(l);
    CHECK_INT(counter_get(&r.freed), 1);
    CHECK_INT(counter_get(&r.lost), 1);
    CHECK_INT(counter_get(&first.lost), 0);
    printf("lost callback: ok\n");
}

static void test_lost_on_expiry(zkrs_client *c1) {
    const char *proxied = proxy_hosts();
    if (proxied == NULL) {
        printf("SKIP expiry: no ZK_PROXY_HOSTS\n");
        return;
    }
    char path[192];
    path_of(path, sizeof path, "expire");
    zkrs_client *cp = connect_with(proxied, "session_timeout_ms", "6000", (const char *)NULL);
    zkrs_lock *held = NULL, *waiter = NULL;
    lost_rec r;
    lost_init(&r);
    CHECK_OK(zkrs_lock_new(cp, path, "old", ZKRS_LOCK_EXCLUSIVE, &held));
    CHECK_OK(zkrs_lock_set_lost_callback(held, on_lost, &r, on_lost_free));
    CHECK_OK(zkrs_lock_acquire(held, -1, true));
    CHECK_OK(zkrs_lock_new(c1, path, "new", ZKRS_LOCK_EXCLUSIVE, &waiter));
    acquirer w;
    start_acquire(&w, waiter, NULL, WAIT_MS);
    WAIT_CONTENDERS(waiter, 2);
    zkrs_buf *idstr = NULL;
    CHECK_OK(zkrs_client_id_string(cp, &idstr));
    char what[256];
    snprintf(what, sizeof what, "expire %s", (const char *)zkrs_buf_data(idstr));
    zkrs_buf_free(idstr);
    fault(what);
    CHECK_INT(join_acquire(&w), ZKRS_RC_OK);
    WAIT_COUNT(&r.lost, 1);
    CHECK(!zkrs_lock_is_held(held));
    CHECK(zkrs_lock_is_held(waiter));
    zkrs_lock_free(held);
    CHECK_INT(counter_get(&r.freed), 1);
    CHECK_OK(zkrs_lock_release(waiter, NULL));
    zkrs_lock_free(waiter);
    zkrs_client_free(cp);
    printf("expiry: ok\n");
}

static void test_semaphore(zkrs_client *c1, zkrs_client *c2) {
    char path[192];
    path_of(path, sizeof path, "sem");
    zkrs_semaphore *s1 = NULL, *s2 = NULL, *s3 = NULL, *bad = NULL;
    CHECK_OK(zkrs_semaphore_new(c1, path, "s1", 2, &s1));
    CHECK_OK(zkrs_semaphore_new(c2, path, "s2", 2, &s2));
    CHECK_OK(zkrs_semaphore_new(c2, path, "s3", 2, &s3));
    CHECK_OK(zkrs_semaphore_acquire(s1, -1));
    CHECK_OK(zkrs_semaphore_acquire(s2, 0));
    CHECK(zkrs_semaphore_is_held(s1) && zkrs_semaphore_is_held(s2));
    CHECK_RC(zkrs_semaphore_acquire(s3, 0), ZKRS_RC_TIMEOUT);
    zkrs_string_list *holders = NULL;
    CHECK_OK(zkrs_semaphore_lease_holders(s3, &holders));
    CHECK_INT(zkrs_string_list_len(holders), 2);
    zkrs_string_list_free(holders);
    zkrs_buf *limit = NULL;
    CHECK_OK(zkrs_client_get_data(c1, path, NULL, &limit, NULL));
    CHECK_BUF(limit, "2");
    zkrs_buf_free(limit);

    acquirer w;
    start_acquire(&w, NULL, s3, WAIT_MS);
    sleep_ms(100);
    bool released = false;
    CHECK_OK(zkrs_semaphore_release(s2, &released));
    CHECK(released);
    CHECK_INT(join_acquire(&w), ZKRS_RC_OK);
    CHECK(zkrs_semaphore_is_held(s3));

    start_acquire(&w, NULL, s2, -1);
    sleep_ms(100);
    CHECK_OK(zkrs_semaphore_cancel(s2));
    CHECK_INT(join_acquire(&w), ZKRS_RC_CANCELLED);

    CHECK_OK(zkrs_semaphore_new(c1, path, "bad", 3, &bad));
    CHECK_RC_MSG(zkrs_semaphore_acquire(bad, WAIT_MS), ZKRS_RC_BAD_ARGUMENTS, "max leases");
    zkrs_semaphore_free(bad);
    CHECK_OK(zkrs_semaphore_release(s1, NULL));
    zkrs_semaphore_free(s1);
    zkrs_semaphore_free(s2);
    zkrs_semaphore_free(s3); /* held: released by free */
    zkrs_string_list *children = NULL;
    CHECK_OK(zkrs_client_get_children(c1, path, NULL, &children, NULL));
    long long t0 = now_ms();
    while (zkrs_string_list_len(children) != 0 && now_ms() - t0 < WAIT_MS) {
        zkrs_string_list_free(children);
        sleep_ms(10);
        CHECK_OK(zkrs_client_get_children(c1, path, NULL, &children, NULL));
    }
    CHECK_INT(zkrs_string_list_len(children), 0);
    zkrs_string_list_free(children);
    printf("semaphore: ok\n");
}

/* ---- election ------------------------------------------------------------------------------------------ */

typedef struct leader_rec {
    counter led;
    counter stop;
    counter freed;
    bool was_leader;
} leader_rec;

static void lead(void *ud, zkrs_election *e) {
    leader_rec *r = ud;
    r->was_leader = zkrs_election_is_leader(e);
    counter_add(&r->led, 1);
    WAIT_COUNT(&r->stop, 1);
}

static void lead_free(void *ud) {
    counter_add(&((leader_rec *)ud)->freed, 1);
}

typedef struct runner {
    pthread_t thread;
    zkrs_election *e;
    leader_rec rec;
    zkrs_rc rc;
} runner;

static void *run_main(void *arg) {
    runner *r = arg;
    r->rc = zkrs_election_run(r->e, WAIT_MS, lead, &r->rec, lead_free);
    return NULL;
}

static void start_run(runner *r, zkrs_client *c, const char *path, const char *id) {
    memset(r, 0, sizeof *r);
    counter_init(&r->rec.led);
    counter_init(&r->rec.stop);
    counter_init(&r->rec.freed);
    CHECK_OK(zkrs_election_new(c, path, id, &r->e));
    if (pthread_create(&r->thread, NULL, run_main, r) != 0) FAIL("pthread_create");
}

static void test_election(zkrs_client *c1, zkrs_client *c2) {
    char path[192];
    path_of(path, sizeof path, "election");
    runner one, two;
    start_run(&one, c1, path, "one");
    WAIT_COUNT(&one.rec.led, 1);
    CHECK(one.rec.was_leader);
    start_run(&two, c2, path, "two");
    zkrs_election *observer = NULL;
    CHECK_OK(zkrs_election_new(c1, path, "observer", &observer));
    zkrs_string_list *list = NULL;
    long long t0 = now_ms();
    for (;;) {
        CHECK_OK(zkrs_election_contenders(observer, &list));
        size_t n = zkrs_string_list_len(list);
        if (n == 2) break;
        zkrs_string_list_free(list);
        if (now_ms() - t0 > WAIT_MS) FAIL("two never queued");
        sleep_ms(10);
    }
    check_list(list, __LINE__, "one", "two", (const char *)NULL);
    leader_rec unused;
    memset(&unused, 0, sizeof unused);
    counter_init(&unused.freed);
    CHECK_RC(zkrs_election_run(observer, 0, lead, &unused, lead_free), ZKRS_RC_TIMEOUT);
    CHECK_INT(counter_get(&unused.freed), 1);
    CHECK_RC(zkrs_election_run(observer, 0, NULL, &unused, lead_free), ZKRS_RC_NULL_ARGUMENT);
    CHECK_INT(counter_get(&unused.freed), 2);
    CHECK_INT(counter_get(&two.rec.led), 0);

    counter_add(&one.rec.stop, 1);
    pthread_join(one.thread, NULL);
    CHECK_INT(one.rc, ZKRS_RC_OK);
    CHECK_INT(counter_get(&one.rec.freed), 1);
    WAIT_COUNT(&two.rec.led, 1);
    CHECK(!zkrs_election_is_leader(one.e));
    counter_add(&two.rec.stop, 1);
    pthread_join(two.thread, NULL);
    CHECK_INT(two.rc, ZKRS_RC_OK);
    CHECK_INT(counter_get(&two.rec.freed), 1);

    zkrs_election_free(one.e);
    zkrs_election_free(two.e);

    /* cancel while waiting to be elected */
    start_run(&one, c1, path, "one");
    WAIT_COUNT(&one.rec.led, 1);
    start_run(&two, c2, path, "two");
    sleep_ms(100);
    CHECK_OK(zkrs_election_cancel(two.e));
    pthread_join(two.thread, NULL);
    CHECK_INT(two.rc, ZKRS_RC_CANCELLED);
    CHECK_INT(counter_get(&two.rec.led), 0);
    CHECK_INT(counter_get(&two.rec.freed), 1);
    counter_add(&one.rec.stop, 1);
    pthread_join(one.thread, NULL);
    CHECK_INT(one.rc, ZKRS_RC_OK);
    zkrs_election_free(one.e);
    zkrs_election_free(two.e);
    zkrs_election_free(observer);
    printf("election: ok\n");
}

static void test_closed_client(const char *hosts) {
    char path[192];
    path_of(path, sizeof path, "closed");
    zkrs_client *c = test_connect(hosts);
    zkrs_lock *l = NULL;
    zkrs_semaphore *s = NULL;
    zkrs_election *e = NULL;
    CHECK_OK(zkrs_lock_new(c, path, "x", ZKRS_LOCK_EXCLUSIVE, &l));
    CHECK_OK(zkrs_semaphore_new(c, path, "x", 1, &s));
    CHECK_OK(zkrs_election_new(c, path, "x", &e));
    CHECK_OK(zkrs_lock_acquire(l, -1, true));
    CHECK_OK(zkrs_client_close(c));
    CHECK_RC(zkrs_lock_acquire(l, 0, true), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_lock_release(l, NULL), ZKRS_RC_CLOSED);
    CHECK(!zkrs_lock_is_held(l));
    CHECK_RC(zkrs_semaphore_acquire(s, 0), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_election_cancel(e), ZKRS_RC_CLOSED);
    lost_rec r;
    lost_init(&r);
    CHECK_RC(zkrs_lock_set_lost_callback(l, on_lost, &r, on_lost_free), ZKRS_RC_CLOSED);
    CHECK_INT(counter_get(&r.freed), 1);
    zkrs_client_free(c); /* the recipes outlive the client's handle */
    zkrs_lock_free(l);
    zkrs_semaphore_free(s);
    zkrs_election_free(e);
    printf("closed client: ok\n");
}

int main(int argc, char **argv) {
    const char *hosts = test_hosts(argc, argv);
    test_prefix(P, sizeof P, "recipe-lock");
    zkrs_client *c1 = test_connect(hosts);
    zkrs_client *c2 = test_connect(hosts);
    test_bad_arguments(c1);
    test_exclusion(c1, c2);
    test_read_write(c1);
    test_lost_when_node_deleted(c1, c2);
    test_lost_on_expiry(c1);
    test_semaphore(c1, c2);
    test_election(c1, c2);
    test_closed_client(hosts);
    CHECK_OK(zkrs_client_delete(c1, P, -1, true));
    zkrs_client_free(c1);
    zkrs_client_free(c2);
    printf("PASS recipe_lock\n");
    return 0;
}
