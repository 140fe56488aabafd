/*
 * recipe_watchers.c -- DataWatch, ChildrenWatch and TreeCache through the C API: first call before
 * new returns, a call per change with its event, stop by returning false, no callback after close/free
 * returns (a callback still running when free is called), free_userdata exactly once in every case
 * (also when new fails), the tree cache's events, reads from memory, a connection drop (via the
 * runner's proxy), PatientChildrenWatch (settled children, a change restarts the boundary, timeout,
 * the change notice), and bad input for every function.
 */
#include "check.h"

static char P[128];
static const char *test_hosts_saved;

static const char *path(const char *suffix) {
    static char buf[8][256];
    static int next;
    char *b = buf[next++ % 8];
    snprintf(b, 256, "%s%s", P, suffix);
    return b;
}

/* ---- a DataWatch recorder ------------------------------------------------------------------------- */

typedef struct data_rec {
    pthread_mutex_t lock;
    counter calls, freed;
    char data[16][32];   /* "" with has[i] == 0: no node */
    int has[16];
    int event[16];       /* 0: no event */
    int version[16];
    const char *stop_at; /* return false for this data */
    int slow_ms;         /* sleep in the call for this data ("slow") */
    volatile int after_free;
    volatile int called_after_free;
} data_rec;

static void data_rec_init(data_rec *r) {
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    counter_init(&r->calls);
    counter_init(&r->freed);
}

static void data_rec_destroy(data_rec *r) {
    counter_destroy(&r->calls);
    counter_destroy(&r->freed);
    pthread_mutex_destroy(&r->lock);
}

static bool data_fn(void *ud, const uint8_t *data, size_t len, const zkrs_stat *stat, const zkrs_watch_event *ev) {
    data_rec *r = ud;
    if (r->after_free) r->called_after_free = 1;
    if ((data == NULL) != (stat == NULL) && len != 0) FAIL("data and stat disagree");
    pthread_mutex_lock(&r->lock);
    int i = counter_get(&r->calls);
    if (i < 16) {
        r->has[i] = stat != NULL;
        snprintf(r->data[i], sizeof r->data[i], "%.*s", (int)len, data ? (const char *)data : "");
        r->event[i] = ev ? ev->type : 0;
        r->version[i] = stat ? stat->version : -1;
    }
    pthread_mutex_unlock(&r->lock);
    bool go_on = !(r->stop_at && stat && len == strlen(r->stop_at) && memcmp(data, r->stop_at, len) == 0);
    bool slow = stat && len == 4 && memcmp(data, "slow", 4) == 0;
    counter_add(&r->calls, 1);
    if (slow) sleep_ms(r->slow_ms);
    if (r->after_free) r->called_after_free = 1;
    return go_on;
}

static void data_free(void *ud) {
    counter_add(&((data_rec *)ud)->freed, 1);
}

static void test_data_watch(zkrs_client *c) {
    data_rec r;
    data_rec_init(&r);
    r.stop_at = "stop";
    zkrs_data_watch *w = NULL;
    CHECK_OK(zkrs_data_watch_new(c, path("/d"), data_fn, &r, data_free, &w));
    /* called before new returned, with no node and no event */
    CHECK_INT(counter_get(&r.calls), 1);
    CHECK_INT(r.has[0], 0);
    CHECK_INT(r.event[0], 0);
    CHECK_OK(zkrs_client_create(c, path("/d"), U8("a"), 1, NULL, NULL, NULL));
    WAIT_COUNT(&r.calls, 2);
    CHECK_STR(r.data[1], "a");
    CHECK_INT(r.event[1], ZKRS_EVENT_NODE_CREATED);
    CHECK_OK(zkrs_client_set_data(c, path("/d"), U8("b"), 1, -1, NULL));
    WAIT_COUNT(&r.calls, 3);
    CHECK_STR(r.data[2], "b");
    CHECK_INT(r.version[2], 1);
    CHECK_INT(r.event[2], ZKRS_EVENT_NODE_DATA_CHANGED);
    CHECK(!zkrs_data_watch_is_stopped(w));
    /* returning false stops it; free_userdata follows the last call */
    CHECK_OK(zkrs_client_set_data(c, path("/d"), U8("stop"), 4, -1, NULL));
    WAIT_COUNT(&r.freed, 1);
    CHECK(zkrs_data_watch_is_stopped(w));
    CHECK_OK(zkrs_client_set_data(c, path("/d"), U8("more"), 4, -1, NULL));
    CHECK_OK(zkrs_client_sync(c, "/"));
    sleep_ms(200);
    CHECK_INT(counter_get(&r.calls), 4);
    CHECK_OK(zkrs_data_watch_close(w)); /* idempotent */
    zkrs_data_watch_free(w);
    CHECK_INT(counter_get(&r.freed), 1);
    data_rec_destroy(&r);
    printf("data watch: first call at once, one call per change, stops on false\n");
}

/* free while the callback runs on the event thread: free waits for it, and no call follows */
static void test_no_callback_after_free(zkrs_client *c) {
    data_rec r;
    data_rec_init(&r);
    r.slow_ms = 300;
    zkrs_data_watch *w = NULL;
    CHECK_OK(zkrs_data_watch_new(c, path("/d"), data_fn, &r, data_free, &w));
    WAIT_COUNT(&r.calls, 1);
    CHECK_OK(zkrs_client_set_data(c, path("/d"), U8("slow"), 4, -1, NULL));
    WAIT_COUNT(&r.calls, 2); /* the slow call has started */
    long long t0 = now_ms();
    zkrs_data_watch_free(w);
    r.after_free = 1;
    CHECK_MSG(now_ms() - t0 >= 100, "free returned while the callback was still running");
    CHECK_INT(counter_get(&r.freed), 1);
    CHECK_OK(zkrs_client_set_data(c, path("/d"), U8("x"), 1, -1, NULL));
    CHECK_OK(zkrs_client_sync(c, "/"));
    sleep_ms(200);
    CHECK_INT(r.called_after_free, 0);
    CHECK_INT(counter_get(&r.calls), 2);
    data_rec_destroy(&r);
    printf("data watch: free waits for a running callback, none after it\n");
}

/* ---- ChildrenWatch -------------------------------------------------------------------------------- */

typedef struct children_rec {
    counter calls, freed;
    size_t len[16];
    int event[16];
    char first[16][32];
} children_rec;

static bool children_fn(void *ud, const zkrs_string_list *children, const zkrs_watch_event *ev) {
    children_rec *r = ud;
    int i = counter_get(&r->calls);
    if (i < 16) {
        r->len[i] = zkrs_string_list_len(children);
        r->event[i] = ev ? ev->type : 0;
        snprintf(r->first[i], sizeof r->first[i], "%s", r->len[i] ? zkrs_string_list_get(children, 0) : "");
    }
    counter_add(&r->calls, 1);
    return true;
}

static void children_free(void *ud) {
    counter_add(&((children_rec *)ud)->freed, 1);
}

static void test_children_watch(zkrs_client *c) {
    children_rec r;
    memset(&r, 0, sizeof r);
    counter_init(&r.calls);
    counter_init(&r.freed);
    zkrs_children_watch *w = NULL;
    /* the node must exist; free_userdata runs once anyway */
    CHECK_RC(zkrs_children_watch_new(c, path("/nope"), true, true, children_fn, &r, children_free, &w), ZKRS_RC_NO_NODE);
    CHECK(w == NULL);
    WAIT_COUNT(&r.freed, 1);
    CHECK_INT(counter_get(&r.calls), 0);

    CHECK_OK(zkrs_client_create(c, path("/p"), NULL, 0, NULL, NULL, NULL));
    CHECK_OK(zkrs_children_watch_new(c, path("/p"), true, true, children_fn, &r, children_free, &w));
    CHECK_INT(counter_get(&r.calls), 1);
    CHECK_INT((int)r.len[0], 0);
    CHECK_INT(r.event[0], 0);
    CHECK_OK(zkrs_client_create(c, path("/p/fred"), NULL, 0, NULL, NULL, NULL));
    WAIT_COUNT(&r.calls, 2);
    CHECK_INT((int)r.len[1], 1);
    CHECK_STR(r.first[1], "fred");
    CHECK_INT(r.event[1], ZKRS_EVENT_NODE_CHILDREN_CHANGED);
    CHECK_OK(zkrs_client_delete(c, path("/p/fred"), -1, false));
    WAIT_COUNT(&r.calls, 3);
    CHECK_INT((int)r.len[2], 0);
    /* deleting the node ends the watch without a call */
    CHECK_OK(zkrs_client_delete(c, path("/p"), -1, false));
    WAIT_COUNT(&r.freed, 2);
    CHECK(zkrs_children_watch_is_stopped(w));
    CHECK_INT(counter_get(&r.calls), 3);
    zkrs_children_watch_free(w);
    CHECK_INT(counter_get(&r.freed), 2);
    counter_destroy(&r.calls);
    counter_destroy(&r.freed);
    printf("children watch: NO_NODE, children per change with events, ends with the node\n");
}

/* ---- TreeCache ------------------------------------------------------------------------------------ */

typedef struct tree_rec {
    pthread_mutex_t lock;
    counter events, freed, faults;
    int type[256];
    char path[256][96];
    volatile int after_close;
    volatile int called_after_close;
} tree_rec;

static void tree_fn(void *ud, const zkrs_tree_event *ev) {
    tree_rec *r = ud;
    if (r->after_close) r->called_after_close = 1;
    if ((ev->path == NULL) != (ev->stat == NULL)) FAIL("tree event path and stat disagree");
    pthread_mutex_lock(&r->lock);
    int i = counter_get(&r->events);
    if (i < 256) {
        r->type[i] = ev->type;
        snprintf(r->path[i], sizeof r->path[i], "%s", ev->path ? ev->path : "");
    }
    pthread_mutex_unlock(&r->lock);
    counter_add(&r->events, 1);
}

static void tree_free(void *ud) {
    counter_add(&((tree_rec *)ud)->freed, 1);
}

static void fault_fn(void *ud, zkrs_rc rc, const char *detail) {
    (void)rc;
    (void)detail;
    counter_add(&((tree_rec *)ud)->faults, 1);
}

/* Waits for an event of `type` (and `p`, unless NULL) from index `from` on; returns its index. */
static int wait_tree(tree_rec *r, int from, int type, const char *p, int line) {
    long long end = now_ms() + WAIT_MS;
    while (now_ms() < end) {
        int n = counter_get(&r->events);
        pthread_mutex_lock(&r->lock);
        for (int i = from; i < n && i < 256; i++) {
            if (r->type[i] == type && (p == NULL || strcmp(r->path[i], p) == 0)) {
                pthread_mutex_unlock(&r->lock);
                return i;
            }
        }
        pthread_mutex_unlock(&r->lock);
        sleep_ms(10);
    }
    check_die(__FILE__, line, "no tree event %d for %s", type, p ? p : "-");
    return -1;
}
#define WAIT_TREE(r, from, type, p) wait_tree((r), (from), (type), (p), __LINE__)

static void test_tree_cache(zkrs_client *c) {
    tree_rec r;
    memset(&r, 0, sizeof r);
    pthread_mutex_init(&r.lock, NULL);
    counter_init(&r.events);
    counter_init(&r.freed);
    counter_init(&r.faults);
    CHECK_OK(zkrs_client_create(c, path("/t/a"), U8("A"), 1,
                                &(zkrs_create_options){.mode = 0, .makepath = true}, NULL, NULL));
    zkrs_tree_cache *t = NULL;
    CHECK_OK(zkrs_tree_cache_new(c, path("/t"), &t));
    CHECK_OK(zkrs_tree_cache_listen(t, tree_fn, &r, tree_free));
    CHECK_OK(zkrs_tree_cache_listen_fault(t, fault_fn, &r, tree_free));
    CHECK_OK(zkrs_tree_cache_start(t));
    CHECK_RC(zkrs_tree_cache_start(t), ZKRS_RC_BAD_ARGUMENTS);
    int i = WAIT_TREE(&r, 0, ZKRS_TREE_INITIALIZED, NULL);
    CHECK_INT(i, 2); /* the root and /a first */
    CHECK_INT(r.type[0], ZKRS_TREE_NODE_ADDED);
    CHECK_STR(r.path[0], path("/t"));

    zkrs_buf *b = NULL;
    zkrs_stat st;
    CHECK_OK(zkrs_tree_cache_get_data(t, path("/t/a"), &b, &st));
    CHECK_BUF(b, "A");
    CHECK_INT(st.version, 0);
    zkrs_buf_free(b);
    zkrs_string_list *l = NULL;
    CHECK_OK(zkrs_tree_cache_get_children(t, path("/t"), &l));
    CHECK_INT((int)zkrs_string_list_len(l), 1);
    CHECK_STR(zkrs_string_list_get(l, 0), "a");
    zkrs_string_list_free(l);
    CHECK_RC(zkrs_tree_cache_get_data(t, path("/t/zz"), &b, NULL), ZKRS_RC_NO_NODE);
    CHECK_RC(zkrs_tree_cache_get_children(t, path("/t/zz"), &l), ZKRS_RC_NO_NODE);
    CHECK_RC(zkrs_tree_cache_get_data(t, "/elsewhere", &b, NULL), ZKRS_RC_BAD_ARGUMENTS);

    CHECK_OK(zkrs_client_create(c, path("/t/a/b"), U8("B"), 1, NULL, NULL, NULL));
    i = WAIT_TREE(&r, i, ZKRS_TREE_NODE_ADDED, path("/t/a/b"));
    CHECK_OK(zkrs_client_set_data(c, path("/t/a/b"), U8("C"), 1, -1, NULL));
    i = WAIT_TREE(&r, i, ZKRS_TREE_NODE_UPDATED, path("/t/a/b"));
    CHECK_OK(zkrs_client_delete(c, path("/t/a"), -1, true));
    i = WAIT_TREE(&r, i, ZKRS_TREE_NODE_REMOVED, path("/t/a/b"));
    i = WAIT_TREE(&r, i, ZKRS_TREE_NODE_REMOVED, path("/t/a"));

    /* a real connection drop through the runner's proxy: SUSPENDED, RECONNECTED, then changes again */
    if (proxy_hosts() != NULL) {
        zkrs_client *pc = test_connect(proxy_hosts());
        tree_rec pr;
        memset(&pr, 0, sizeof pr);
        pthread_mutex_init(&pr.lock, NULL);
        counter_init(&pr.events);
        counter_init(&pr.freed);
        counter_init(&pr.faults);
        zkrs_tree_cache *pt = NULL;
        CHECK_OK(zkrs_tree_cache_new(pc, path("/t"), &pt));
        CHECK_OK(zkrs_tree_cache_listen(pt, tree_fn, &pr, tree_free));
        CHECK_OK(zkrs_tree_cache_start(pt));
        int j = WAIT_TREE(&pr, 0, ZKRS_TREE_INITIALIZED, NULL);
        fault("drop");
        j = WAIT_TREE(&pr, j, ZKRS_TREE_CONNECTION_SUSPENDED, NULL);
        j = WAIT_TREE(&pr, j, ZKRS_TREE_CONNECTION_RECONNECTED, NULL);
        CHECK_OK(zkrs_client_create(c, path("/t/after"), NULL, 0, NULL, NULL, NULL));
        WAIT_TREE(&pr, j, ZKRS_TREE_NODE_ADDED, path("/t/after"));
        zkrs_tree_cache_free(pt);
        CHECK_INT(counter_get(&pr.freed), 1);
        CHECK_OK(zkrs_client_close(pc));
        zkrs_client_free(pc);
        counter_destroy(&pr.events);
        counter_destroy(&pr.freed);
        counter_destroy(&pr.faults);
        pthread_mutex_destroy(&pr.lock);
        printf("tree cache: connection drop -> SUSPENDED, RECONNECTED, changes seen again\n");
    }

    /* close: both listeners released, nothing after it, the copy gone */
    CHECK_OK(zkrs_tree_cache_close(t));
    r.after_close = 1;
    CHECK_INT(counter_get(&r.freed), 2);
    CHECK_RC(zkrs_tree_cache_get_data(t, path("/t"), &b, NULL), ZKRS_RC_NO_NODE);
    CHECK_RC(zkrs_tree_cache_start(t), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_OK(zkrs_client_create(c, path("/t/late"), NULL, 0, NULL, NULL, NULL));
    CHECK_OK(zkrs_client_sync(c, "/"));
    sleep_ms(200);
    CHECK_INT(r.called_after_close, 0);
    CHECK_INT(counter_get(&r.faults), 0);
    zkrs_tree_cache_free(t);
    counter_destroy(&r.events);
    counter_destroy(&r.freed);
    counter_destroy(&r.faults);
    pthread_mutex_destroy(&r.lock);
    printf("tree cache: events in order, reads from memory, close releases everything\n");
}

/* ---- PatientChildrenWatch ------------------------------------------------------------------------ */

/* Creates a child after a delay, on its own thread, while the main thread waits. */
typedef struct late_child {
    zkrs_client *c;
    int delay_ms;
    char child[256];
} late_child;

static void *create_late(void *arg) {
    late_child *l = arg;
    sleep_ms(l->delay_ms);
    CHECK_OK(zkrs_client_create(l->c, l->child, NULL, 0, NULL, NULL, NULL));
    return NULL;
}

static void test_patient_children_watch(zkrs_client *c) {
    zkrs_patient_children_watch *w = NULL;
    zkrs_string_list *l = NULL;
    CHECK_OK(zkrs_client_create(c, path("/pc"), NULL, 0, NULL, NULL, NULL));
    CHECK_OK(zkrs_client_create(c, path("/pc/a"), NULL, 0, NULL, NULL, NULL));
    CHECK_OK(zkrs_patient_children_watch_new(c, path("/pc"), 300, &w));
    CHECK_RC(zkrs_patient_children_watch_changed(w, 0), ZKRS_RC_BAD_ARGUMENTS); /* no wait yet */

    /* stable children come back once the boundary has passed, not before */
    long long t0 = now_ms();
    CHECK_OK(zkrs_patient_children_watch_wait(w, -1, &l));
    CHECK_MSG(now_ms() - t0 >= 300, "wait returned after %lld ms, before the 300 ms boundary", now_ms() - t0);
    CHECK_INT((int)zkrs_string_list_len(l), 1);
    CHECK_STR(zkrs_string_list_get(l, 0), "a");
    zkrs_string_list_free(l);
    l = NULL;

    /* the change notice: nothing yet, then the next change */
    CHECK_RC(zkrs_patient_children_watch_changed(w, 0), ZKRS_RC_TIMEOUT);
    CHECK_OK(zkrs_client_create(c, path("/pc/b"), NULL, 0, NULL, NULL, NULL));
    CHECK_OK(zkrs_patient_children_watch_changed(w, WAIT_MS));

    /* a change 200 ms into a 600 ms boundary restarts it: no return before 800 ms, with the new child */
    zkrs_patient_children_watch *w2 = NULL;
    CHECK_OK(zkrs_patient_children_watch_new(c, path("/pc"), 600, &w2));
    late_child late = {c, 200, ""};
    snprintf(late.child, sizeof late.child, "%s", path("/pc/c"));
    pthread_t th;
    t0 = now_ms();
    CHECK(pthread_create(&th, NULL, create_late, &late) == 0);
    CHECK_OK(zkrs_patient_children_watch_wait(w2, WAIT_MS, &l));
    long long took = now_ms() - t0;
    pthread_join(th, NULL);
    zkrs_patient_children_watch_free(w2);
    CHECK_MSG(took >= 800, "wait returned after %lld ms, the change at 200 ms did not restart the boundary", took);
    CHECK_INT((int)zkrs_string_list_len(l), 3);
    zkrs_string_list_free(l);
    l = NULL;

    /* children that never settle within the timeout: TIMEOUT, out-param untouched */
    zkrs_patient_children_watch *slow = NULL;
    CHECK_OK(zkrs_patient_children_watch_new(c, path("/pc"), 5000, &slow));
    t0 = now_ms();
    CHECK_RC(zkrs_patient_children_watch_wait(slow, 200, &l), ZKRS_RC_TIMEOUT);
    CHECK_MSG(now_ms() - t0 < 4000, "the 200 ms timeout took %lld ms", now_ms() - t0);
    CHECK(l == NULL);
    zkrs_patient_children_watch_free(slow);

    /* no node: NO_NODE */
    zkrs_patient_children_watch *none = NULL;
    CHECK_OK(zkrs_patient_children_watch_new(c, path("/nope"), 0, &none));
    CHECK_RC(zkrs_patient_children_watch_wait(none, WAIT_MS, &l), ZKRS_RC_NO_NODE);
    CHECK(l == NULL);
    zkrs_patient_children_watch_free(none);

    /* freed after a wait, with its child watch still armed: later changes touch nothing */
    zkrs_patient_children_watch_free(w);
    CHECK_OK(zkrs_client_create(c, path("/pc/d"), NULL, 0, NULL, NULL, NULL));
    CHECK_OK(zkrs_client_sync(c, "/"));
    /* freed without any wait */
    CHECK_OK(zkrs_patient_children_watch_new(c, path("/pc"), 100, &w));
    zkrs_patient_children_watch_free(w);
    printf("patient children watch: settled children, a change restarts the boundary, timeout, change notice\n");
}

/* ---- bad input ------------------------------------------------------------------------------------ */

static void test_bad_input(zkrs_client *c) {
    data_rec r;
    data_rec_init(&r);
    zkrs_data_watch *dw = NULL;
    zkrs_children_watch *cw = NULL;
    zkrs_tree_cache *t = NULL;
    const char bad_utf8[] = {'/', (char)0xff, 0};
    CHECK_RC(zkrs_data_watch_new(NULL, path("/d"), data_fn, &r, data_free, &dw), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_data_watch_new(c, NULL, data_fn, &r, data_free, &dw), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_data_watch_new(c, bad_utf8, data_fn, &r, data_free, &dw), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_data_watch_new(c, "no-slash", data_fn, &r, data_free, &dw), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_data_watch_new(c, path("/d"), NULL, &r, data_free, &dw), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_data_watch_new(c, path("/d"), data_fn, &r, data_free, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_INT(counter_get(&r.freed), 6); /* free_userdata once per failed call */
    CHECK_INT(counter_get(&r.calls), 0);
    CHECK(dw == NULL);
    CHECK_RC(zkrs_children_watch_new(NULL, path("/p"), true, false, children_fn, NULL, NULL, &cw), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_children_watch_new(c, "/a//b", true, false, children_fn, NULL, NULL, &cw), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_children_watch_new(c, path("/p"), true, false, NULL, NULL, NULL, &cw), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_children_watch_new(c, path("/p"), true, false, children_fn, NULL, NULL, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK(cw == NULL);
    CHECK_RC(zkrs_tree_cache_new(NULL, path("/t"), &t), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_tree_cache_new(c, bad_utf8, &t), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_tree_cache_new(c, "/x/", &t), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_tree_cache_new(c, path("/t"), NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK(t == NULL);
    CHECK_OK(zkrs_tree_cache_new(c, path("/t2"), &t));
    CHECK_RC(zkrs_tree_cache_start(NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_tree_cache_listen(NULL, tree_fn, &r, data_free), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_tree_cache_listen(t, NULL, &r, data_free), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_tree_cache_listen_fault(t, NULL, &r, data_free), ZKRS_RC_NULL_ARGUMENT);
    CHECK_INT(counter_get(&r.freed), 9);
    zkrs_buf *b = NULL;
    zkrs_string_list *l = NULL;
    CHECK_RC(zkrs_tree_cache_get_data(NULL, path("/t2"), &b, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_tree_cache_get_data(t, NULL, &b, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_tree_cache_get_data(t, path("/t2"), NULL, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_tree_cache_get_data(t, bad_utf8, &b, NULL), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_tree_cache_get_children(t, path("/t2"), NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_tree_cache_get_children(t, "bad", &l), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_tree_cache_get_data(t, path("/t2"), &b, NULL), ZKRS_RC_NO_NODE); /* not started */
    CHECK(b == NULL && l == NULL);
    CHECK_RC(zkrs_tree_cache_close(NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_data_watch_close(NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_children_watch_close(NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK(!zkrs_data_watch_is_stopped(NULL));
    CHECK(!zkrs_children_watch_is_stopped(NULL));
    zkrs_tree_cache_free(NULL);
    zkrs_data_watch_free(NULL);
    zkrs_children_watch_free(NULL);
    zkrs_tree_cache_free(t); /* never started */

    zkrs_patient_children_watch *pw = NULL;
    zkrs_string_list *pl = NULL;
    CHECK_RC(zkrs_patient_children_watch_new(NULL, path("/p"), 10, &pw), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_patient_children_watch_new(c, NULL, 10, &pw), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_patient_children_watch_new(c, bad_utf8, 10, &pw), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_patient_children_watch_new(c, "no-slash", 10, &pw), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_patient_children_watch_new(c, "/a//b", 10, &pw), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_patient_children_watch_new(c, path("/p"), -1, &pw), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_RC(zkrs_patient_children_watch_new(c, path("/p"), 10, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK(pw == NULL);
    CHECK_RC(zkrs_patient_children_watch_wait(NULL, 10, &pl), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_patient_children_watch_changed(NULL, 10), ZKRS_RC_NULL_ARGUMENT);
    CHECK_OK(zkrs_patient_children_watch_new(c, P, 0, &pw));
    CHECK_RC(zkrs_patient_children_watch_wait(pw, 10, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK(pl == NULL);
    zkrs_patient_children_watch_free(pw);
    zkrs_patient_children_watch_free(NULL);

    /* a closed client */
    zkrs_client *closed = test_connect(test_hosts_saved);
    CHECK_OK(zkrs_tree_cache_new(closed, path("/t3"), &t));
    CHECK_OK(zkrs_patient_children_watch_new(closed, P, 0, &pw));
    CHECK_OK(zkrs_patient_children_watch_wait(pw, WAIT_MS, &pl));
    zkrs_string_list_free(pl);
    pl = NULL;
    CHECK_OK(zkrs_client_close(closed));
    CHECK_RC(zkrs_patient_children_watch_new(closed, P, 0, &pw), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_patient_children_watch_wait(pw, WAIT_MS, &pl), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_patient_children_watch_changed(pw, 0), ZKRS_RC_CLOSED);
    CHECK(pl == NULL);
    zkrs_patient_children_watch_free(pw); /* after its client was closed */
    CHECK_RC(zkrs_data_watch_new(closed, path("/d"), data_fn, &r, data_free, &dw), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_children_watch_new(closed, path("/d"), true, false, children_fn, NULL, NULL, &cw), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_tree_cache_new(closed, path("/t"), &t), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_tree_cache_start(t), ZKRS_RC_CLOSED);
    CHECK_INT(counter_get(&r.freed), 10);
    zkrs_tree_cache_free(t);
    zkrs_client_free(closed);
    data_rec_destroy(&r);
    printf("bad input: clear codes, free_userdata once per refused call\n");
}

/* closing the client ends its watches: free_userdata before close returns */
static void test_client_close(void) {
    zkrs_client *c = test_connect(test_hosts_saved);
    data_rec r;
    data_rec_init(&r);
    zkrs_data_watch *w = NULL;
    CHECK_OK(zkrs_data_watch_new(c, path("/d"), data_fn, &r, data_free, &w));
    CHECK_OK(zkrs_client_close(c));
    CHECK_INT(counter_get(&r.freed), 1);
    CHECK(zkrs_data_watch_is_stopped(w));
    CHECK_OK(zkrs_data_watch_close(w));
    zkrs_client_free(c);
    zkrs_data_watch_free(w); /* the handle outlives its client */
    data_rec_destroy(&r);
    printf("client close ends the watch and releases its userdata\n");
}

int main(int argc, char **argv) {
    test_hosts_saved = test_hosts(argc, argv);
    test_prefix(P, sizeof P, "recipe-watchers");
    zkrs_client *c = test_connect(test_hosts_saved);
    CHECK_OK(zkrs_client_create(c, P, NULL, 0, NULL, NULL, NULL));
    test_data_watch(c);
    test_no_callback_after_free(c);
    test_children_watch(c);
    test_tree_cache(c);
    test_patient_children_watch(c);
    test_bad_input(c);
    test_client_close();
    CHECK_OK(zkrs_client_delete(c, P, -1, true));
    CHECK_OK(zkrs_client_close(c));
    zkrs_client_free(c);
    printf("PASS recipe_watchers\n");
    return 0;
}
