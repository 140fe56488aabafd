/*
 * watches.c -- one-shot watches of every kind through the C API: data watches (get_data: data change,
 * deletion), exists watches (creation, data change, deletion, on a node that does not exist), child
 * watches (a child added, the node deleted), watches set through the async and future forms, terminal
 * CLIENT_CLOSED events on close, and free_userdata exactly once in every case: after the event, when
 * the watch is never set (NO_NODE), when the call is refused, and at close.
 */
#include "check.h"

static char P[128];
static pthread_t main_thread;
static int fired_on_main;

static const char *path(const char *suffix) {
    static char buf[8][256];
    static int next;
    char *b = buf[next++ % 8];
    snprintf(b, 256, "%s%s", P, suffix);
    return b;
}

static void thread_checking_fn(void *ud, const zkrs_watch_event *ev) {
    if (pthread_equal(pthread_self(), main_thread)) fired_on_main = 1;
    watch_rec_fn(ud, ev);
}

static zkrs_watcher watcher(watch_rec *w) {
    zkrs_watcher x = watcher_for(w);
    x.fn = thread_checking_fn;
    return x;
}

/* Waits for exactly one event and one free, and checks the event. */
static void expect_one(watch_rec *w, int type, const char *p, int line) {
    if (counter_wait(&w->freed, 1, WAIT_MS) < 1) check_die(__FILE__, line, "free_userdata did not run");
    if (counter_get(&w->fired) != 1) check_die(__FILE__, line, "the watch fired %d times", counter_get(&w->fired));
    if (w->types[0] != type)
        check_die(__FILE__, line, "event %s, want %s", event_name(w->types[0]), event_name(type));
    if (strcmp(w->paths[0], p) != 0) check_die(__FILE__, line, "event path %s, want %s", w->paths[0], p);
    if (w->states[0] != ZKRS_STATE_CONNECTED) check_die(__FILE__, line, "event state %d", w->states[0]);
}
#define EXPECT_ONE(w, type, p) expect_one((w), (type), (p), __LINE__)

/*
 * After a sync call that returned NO_NODE the watch was never set: its free_userdata runs exactly once,
 * on the event thread, possibly after the call returned (as the header says).
 */
static void wait_freed_once(watch_rec *w) {
    WAIT_COUNT(&w->freed, 1);
}

static void fresh(watch_rec *w) {
    watch_rec_destroy(w);
    watch_rec_init(w);
}

/* After a round trip, the watch has neither fired nor been freed again. */
static void settle(zkrs_client *zk) {
    CHECK_OK(zkrs_client_sync(zk, "/"));
    bool e;
    CHECK_OK(zkrs_client_exists(zk, "/", NULL, &e, NULL));
    sleep_ms(30);
}

static void test_data_watches(zkrs_client *zk, zkrs_client *other) {
    watch_rec w;
    watch_rec_init(&w);
    zkrs_watcher wa = watcher(&w);
    zkrs_buf *b = NULL;

    /* data change, made by another client */
    CHECK_OK(zkrs_client_create(zk, path("/d"), U8("1"), 1, NULL, NULL, NULL));
    CHECK_OK(zkrs_client_get_data(zk, path("/d"), &wa, &b, NULL));
    zkrs_buf_free(b);
    CHECK_INT(counter_get(&w.freed), 0);
    CHECK_OK(zkrs_client_set_data(other, path("/d"), U8("2"), 1, -1, NULL));
    EXPECT_ONE(&w, ZKRS_EVENT_NODE_DATA_CHANGED, path("/d"));
    /* one-shot: a second change is not seen */
    CHECK_OK(zkrs_client_set_data(other, path("/d"), U8("3"), 1, -1, NULL));
    settle(zk);
    CHECK_INT(counter_get(&w.fired), 1);
    CHECK_INT(counter_get(&w.freed), 1);

    /* deletion */
    fresh(&w);
    CHECK_OK(zkrs_client_get_data(zk, path("/d"), &wa, &b, NULL));
    zkrs_buf_free(b);
    CHECK_OK(zkrs_client_delete(other, path("/d"), -1, false));
    EXPECT_ONE(&w, ZKRS_EVENT_NODE_DELETED, path("/d"));

    /* no node: the watch is not set, free_userdata runs (before the sync call returns), fn never */
    fresh(&w);
    CHECK_RC(zkrs_client_get_data(zk, path("/d"), &wa, &b, NULL), ZKRS_RC_NO_NODE);
    wait_freed_once(&w);
    CHECK_INT(counter_get(&w.fired), 0);
    CHECK_OK(zkrs_client_create(other, path("/d"), NULL, 0, NULL, NULL, NULL));
    settle(zk);
    CHECK_INT(counter_get(&w.fired), 0);
    CHECK_INT(counter_get(&w.freed), 1);

    /* a refused call: freed before it returns */
    fresh(&w);
    CHECK_RC(zkrs_client_get_data(zk, "relative", &wa, &b, NULL), ZKRS_RC_INVALID_PATH);
    CHECK_INT(counter_get(&w.freed), 1);
    fresh(&w);
    CHECK_RC(zkrs_client_get_data(zk, path("/d"), &wa, NULL, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_INT(counter_get(&w.freed), 1);
    CHECK_INT(counter_get(&w.fired), 0);
    /* a watcher without fn is refused, and its free_userdata still runs once */
    fresh(&w);
    zkrs_watcher nofn = wa;
    nofn.fn = NULL;
    CHECK_RC(zkrs_client_get_data(zk, path("/d"), &nofn, &b, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_INT(counter_get(&w.freed), 1);
    /* free_userdata may be NULL */
    fresh(&w);
    zkrs_watcher nofree = wa;
    nofree.free_userdata = NULL;
    CHECK_OK(zkrs_client_get_data(zk, path("/d"), &nofree, &b, NULL));
    zkrs_buf_free(b);
    CHECK_OK(zkrs_client_set_data(other, path("/d"), U8("x"), 1, -1, NULL));
    WAIT_COUNT(&w.fired, 1);
    CHECK_INT(w.types[0], ZKRS_EVENT_NODE_DATA_CHANGED);
    CHECK_INT(counter_get(&w.freed), 0);
    watch_rec_destroy(&w);
    printf("data watches: ok\n");
}

static void test_exists_watches(zkrs_client *zk, zkrs_client *other) {
    watch_rec w;
    watch_rec_init(&w);
    zkrs_watcher wa = watcher(&w);
    bool exists = true;

    /* on a node that does not exist: set, fires on creation */
    CHECK_OK(zkrs_client_exists(zk, path("/e"), &wa, &exists, NULL));
    CHECK(!exists);
    CHECK_INT(counter_get(&w.freed), 0);
    CHECK_OK(zkrs_client_create(other, path("/e"), NULL, 0, NULL, NULL, NULL));
    EXPECT_ONE(&w, ZKRS_EVENT_NODE_CREATED, path("/e"));

    /* on an existing node: data change */
    fresh(&w);
    CHECK_OK(zkrs_client_exists(zk, path("/e"), &wa, &exists, NULL));
    CHECK(exists);
    CHECK_OK(zkrs_client_set_data(other, path("/e"), U8("v"), 1, -1, NULL));
    EXPECT_ONE(&w, ZKRS_EVENT_NODE_DATA_CHANGED, path("/e"));

    /* deletion */
    fresh(&w);
    CHECK_OK(zkrs_client_exists(zk, path("/e"), &wa, &exists, NULL));
    CHECK_OK(zkrs_client_delete(other, path("/e"), -1, false));
    EXPECT_ONE(&w, ZKRS_EVENT_NODE_DELETED, path("/e"));

    /* async form */
    fresh(&w);
    zkrs_future *f = NULL;
    CHECK_OK(zkrs_client_exists_future(zk, path("/e"), &wa, &f));
    CHECK_OK(zkrs_future_get_exists(f, WAIT_MS, &exists, NULL));
    CHECK(!exists);
    zkrs_future_free(f);
    CHECK_OK(zkrs_client_create(other, path("/e"), NULL, 0, NULL, NULL, NULL));
    EXPECT_ONE(&w, ZKRS_EVENT_NODE_CREATED, path("/e"));
    watch_rec_destroy(&w);
    printf("exists watches: ok\n");
}

static void on_children_done(void *ud, zkrs_rc rc, const char *detail, const zkrs_string_list *kids, const zkrs_stat *stat) {
    (void)kids;
    (void)stat;
    CHECK_CB_RC(rc, detail, ZKRS_RC_OK);
    counter_add(ud, 1);
}

static void test_child_watches(zkrs_client *zk, zkrs_client *other) {
    watch_rec w;
    watch_rec_init(&w);
    zkrs_watcher wa = watcher(&w);
    zkrs_string_list *kids = NULL;

    CHECK_OK(zkrs_client_create(zk, path("/p"), NULL, 0, NULL, NULL, NULL));
    CHECK_OK(zkrs_client_get_children(zk, path("/p"), &wa, &kids, NULL));
    zkrs_string_list_free(kids);
    /* the node's own data change does not fire a child watch */
    CHECK_OK(zkrs_client_set_data(other, path("/p"), U8("d"), 1, -1, NULL));
    settle(zk);
    CHECK_INT(counter_get(&w.fired), 0);
    CHECK_OK(zkrs_client_create(other, path("/p/c"), NULL, 0, NULL, NULL, NULL));
    EXPECT_ONE(&w, ZKRS_EVENT_NODE_CHILDREN_CHANGED, path("/p"));

    /* child removed, via the async form */
    fresh(&w);
    counter done;
    counter_init(&done);
    CHECK_OK(zkrs_client_get_children_async(zk, path("/p"), &wa, on_children_done, &done));
    WAIT_COUNT(&done, 1);
    CHECK_OK(zkrs_client_delete(other, path("/p/c"), -1, false));
    EXPECT_ONE(&w, ZKRS_EVENT_NODE_CHILDREN_CHANGED, path("/p"));
    counter_destroy(&done);

    /* the node deleted */
    fresh(&w);
    CHECK_OK(zkrs_client_get_children(zk, path("/p"), &wa, &kids, NULL));
    zkrs_string_list_free(kids);
    CHECK_OK(zkrs_client_delete(other, path("/p"), -1, false));
    EXPECT_ONE(&w, ZKRS_EVENT_NODE_DELETED, path("/p"));

    /* no node: not set */
    fresh(&w);
    CHECK_RC(zkrs_client_get_children(zk, path("/p"), &wa, &kids, NULL), ZKRS_RC_NO_NODE);
    wait_freed_once(&w);
    CHECK_INT(counter_get(&w.fired), 0);
    watch_rec_destroy(&w);
    printf("child watches: ok\n");
}

/* Many watches on one node, of all kinds, and watches left pending at close. */
static void test_many_and_close(const char *hosts, zkrs_client *other) {
    zkrs_client *c = test_connect(hosts);
    int n = iters(100);
    watch_rec *ws = calloc((size_t)n * 3, sizeof *ws);
    CHECK(ws != NULL);
    CHECK_OK(zkrs_client_create(other, path("/m"), NULL, 0, NULL, NULL, NULL));
    for (int i = 0; i < 3 * n; i++) {
        watch_rec_init(&ws[i]);
        zkrs_watcher wa = watcher(&ws[i]);
        zkrs_buf *b = NULL;
        zkrs_string_list *kids = NULL;
        bool e;
        if (i % 3 == 0) {
            CHECK_OK(zkrs_client_get_data(c, path("/m"), &wa, &b, NULL));
            zkrs_buf_free(b);
        } else if (i % 3 == 1) {
            CHECK_OK(zkrs_client_exists(c, path("/m"), &wa, &e, NULL));
        } else {
            CHECK_OK(zkrs_client_get_children(c, path("/m"), &wa, &kids, NULL));
            zkrs_string_list_free(kids);
        }
    }
    /* a data change fires the data and exists watches (2n), not the child watches */
    CHECK_OK(zkrs_client_set_data(other, path("/m"), U8("x"), 1, -1, NULL));
    for (int i = 0; i < 3 * n; i++)
        if (i % 3 != 2) {
            WAIT_COUNT(&ws[i].freed, 1);
            CHECK_EVENT(&ws[i], 0, ZKRS_EVENT_NODE_DATA_CHANGED, path("/m"));
        }
    settle(c);
    for (int i = 2; i < 3 * n; i += 3) CHECK_INT(counter_get(&ws[i].fired), 0);
    /* close: the child watches end with CLIENT_CLOSED, before close returns */
    CHECK_OK(zkrs_client_close(c));
    for (int i = 0; i < 3 * n; i++) {
        CHECK_INT(counter_get(&ws[i].fired), 1);
        CHECK_INT(counter_get(&ws[i].freed), 1);
        if (i % 3 == 2) {
            CHECK_EVENT(&ws[i], 0, ZKRS_EVENT_CLIENT_CLOSED, path("/m"));
            CHECK_INT(ws[i].states[0], ZKRS_STATE_CLOSED);
        }
    }
    zkrs_client_free(c);
    for (int i = 0; i < 3 * n; i++) watch_rec_destroy(&ws[i]);
    free(ws);

    /* free without close: watches end the same way */
    c = test_connect(hosts);
    watch_rec w;
    watch_rec_init(&w);
    zkrs_watcher wa = watcher(&w);
    bool e;
    CHECK_OK(zkrs_client_exists(c, path("/never"), &wa, &e, NULL));
    zkrs_client_free(c);
    CHECK_INT(counter_get(&w.fired), 1);
    CHECK_INT(counter_get(&w.freed), 1);
    CHECK_EVENT(&w, 0, ZKRS_EVENT_CLIENT_CLOSED, path("/never"));
    watch_rec_destroy(&w);
    printf("%d watches of each kind on one node, close and free end the rest: ok\n", n);
}

/* The event path is relative to the chroot. */
static void test_chroot_paths(const char *hosts, zkrs_client *other) {
    char chrooted[512];
    snprintf(chrooted, sizeof chrooted, "%s%s", hosts, path("/ch"));
    CHECK_OK(zkrs_client_ensure_path(other, path("/ch")));
    zkrs_client *c = test_connect(chrooted);
    watch_rec w;
    watch_rec_init(&w);
    zkrs_watcher wa = watcher(&w);
    bool e;
    CHECK_OK(zkrs_client_exists(c, "/n", &wa, &e, NULL));
    CHECK_OK(zkrs_client_create(other, path("/ch/n"), NULL, 0, NULL, NULL, NULL));
    EXPECT_ONE(&w, ZKRS_EVENT_NODE_CREATED, "/n");
    zkrs_client_free(c);
    watch_rec_destroy(&w);
    printf("chroot event paths: ok\n");
}

int main(int argc, char **argv) {
    const char *hosts = test_hosts(argc, argv);
    main_thread = pthread_self();
    test_prefix(P, sizeof P, "watches");
    zkrs_client *zk = test_connect(hosts);
    zkrs_client *other = test_connect(hosts);
    CHECK_OK(zkrs_client_create(zk, P, NULL, 0, NULL, NULL, NULL));
    test_data_watches(zk, other);
    test_exists_watches(zk, other);
    test_child_watches(zk, other);
    test_many_and_close(hosts, other);
    test_chroot_paths(hosts, other);
    CHECK(!fired_on_main);
    CHECK_OK(zkrs_client_delete(other, P, -1, true));
    zkrs_client_free(zk);
    zkrs_client_free(other);
    printf("PASS watches\n");
    return 0;
}
