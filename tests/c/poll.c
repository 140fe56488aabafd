/*
 * poll.c -- dispatch=poll driven by poll(2) on zkrs_client_event_fd: callbacks (completions, watches,
 * then) run only inside zkrs_client_dispatch, on the calling thread; the fd is readable exactly while
 * callbacks wait; close runs what is pending. Also transactions (commit, commit_async, commit_future):
 * per-op results, a failed op rolls the rest back.
 */
#include "check.h"

#include <poll.h>

static char P[128];
static pthread_t main_thread;

typedef struct done {
    int calls;
    zkrs_rc rc;
    int off_thread;
} done;

static void on_get(void *ud, zkrs_rc rc, const char *detail, const uint8_t *d, size_t n, const zkrs_stat *s) {
    done *x = ud;
    (void)detail, (void)d, (void)n, (void)s;
    x->calls++;
    x->rc = rc;
    if (!pthread_equal(pthread_self(), main_thread)) x->off_thread = 1;
}

static int readable(int fd, int ms) {
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, ms);
    if (r < 0) FAIL("poll: %s", strerror(errno));
    return r > 0 && (p.revents & POLLIN);
}

/* Polls the fd and dispatches until `*calls` reaches want. */
static void pump(zkrs_client *c, int fd, int *calls, int want) {
    long long t0 = now_ms();
    while (*calls < want) {
        if (now_ms() - t0 > WAIT_MS) FAIL("callbacks did not arrive through the event fd (%d of %d)", *calls, want);
        if (!readable(fd, 1000)) continue;
        size_t served = 0;
        CHECK_OK(zkrs_client_dispatch(c, 0, &served));
    }
}

static void test_poll(const char *hosts) {
    zkrs_client *c = connect_with(hosts, "dispatch", "poll", (const char *)NULL);
    int32_t fd = -1;
    CHECK_OK(zkrs_client_event_fd(c, &fd));
    CHECK(fd >= 0);
    /* start's own state callbacks may be waiting: drain them */
    size_t served = 0;
    CHECK_OK(zkrs_client_dispatch(c, 0, &served));
    CHECK(!readable(fd, 0));
    CHECK_OK(zkrs_client_dispatch(c, 0, &served));
    CHECK_INT(served, 0);
    CHECK_RC_MSG(zkrs_client_dispatch(c, -2, &served), ZKRS_RC_BAD_ARGUMENTS, "timeout_ms");

    /* a completion waits for dispatch */
    done d = {0, 12345, 0};
    CHECK_OK(zkrs_client_create(c, P, U8("p"), 1, NULL, NULL, NULL));
    CHECK_OK(zkrs_client_get_data_async(c, P, NULL, on_get, &d));
    CHECK(readable(fd, WAIT_MS));
    CHECK_INT(d.calls, 0); /* nothing runs by itself */
    pump(c, fd, &d.calls, 1);
    CHECK_INT(d.calls, 1);
    CHECK_INT(d.rc, ZKRS_RC_OK);
    CHECK(!d.off_thread);
    CHECK(!readable(fd, 0));

    /* many in flight, pumped by poll(2) */
    int n = iters(300);
    done many = {0, 0, 0};
    for (int i = 0; i < n; i++) CHECK_OK(zkrs_client_get_data_async(c, P, NULL, on_get, &many));
    pump(c, fd, &many.calls, n);
    CHECK_INT(many.calls, n);
    CHECK(!many.off_thread);

    /* a watch event, through dispatch, on this thread */
    watch_rec w;
    watch_rec_init(&w);
    zkrs_watcher wa = watcher_for(&w);
    zkrs_buf *b = NULL;
    CHECK_OK(zkrs_client_get_data(c, P, &wa, &b, NULL));
    zkrs_buf_free(b);
    CHECK_OK(zkrs_client_set_data(c, P, U8("q"), 1, -1, NULL));
    pump(c, fd, &w.fired.n, 1);
    CHECK_EVENT(&w, 0, ZKRS_EVENT_NODE_DATA_CHANGED, P);
    CHECK_INT(counter_get(&w.freed), 1);

    /* dispatch with a timeout and nothing to do waits that long */
    long long t0 = now_ms();
    CHECK_OK(zkrs_client_dispatch(c, 100, &served));
    CHECK_INT(served, 0);
    CHECK(now_ms() - t0 >= 90);

    /* a future's wait works without dispatch; then runs inside dispatch */
    zkrs_future *f = NULL;
    CHECK_OK(zkrs_client_get_data_future(c, P, NULL, &f));
    /* results are delivered inside dispatch: with nobody dispatching, a wait times out (documented) */
    CHECK_RC(zkrs_future_get(f, 100), ZKRS_RC_TIMEOUT);
    CHECK(readable(fd, WAIT_MS));
    CHECK_OK(zkrs_client_dispatch(c, 0, &served));
    CHECK_OK(zkrs_future_get(f, 0));
    zkrs_future_free(f);

    /* close runs what is still pending, with CLOSING or its result, exactly once */
    done last = {0, 12345, 0};
    CHECK_OK(zkrs_client_get_data_async(c, P, NULL, on_get, &last));
    CHECK_OK(zkrs_client_delete(c, P, -1, false));
    CHECK_OK(zkrs_client_close(c));
    CHECK_INT(last.calls, 1);
    CHECK_RC(zkrs_client_dispatch(c, 0, &served), ZKRS_RC_CLOSED);
    zkrs_client_free(c);
    CHECK_INT(last.calls, 1);
    watch_rec_destroy(&w);
    printf("poll dispatch through the event fd: ok\n");
}

static void on_txn(void *ud, zkrs_rc rc, const char *detail, const zkrs_txn_results *r) {
    done *x = ud;
    (void)detail;
    x->rc = rc;
    x->calls = (int)zkrs_txn_results_len(r) + 100;
}

static void test_txn(const char *hosts) {
    zkrs_client *c = test_connect(hosts);
    zkrs_txn *t = NULL;
    zkrs_txn_results *r = NULL;
    char a[256], b2[256];
    snprintf(a, sizeof a, "%s-txn", P);
    snprintf(b2, sizeof b2, "%s-txn/b", P);
    CHECK_OK(zkrs_txn_new(c, &t));
    CHECK_OK(zkrs_txn_create(t, a, U8("A"), 1, NULL));
    CHECK_OK(zkrs_txn_create(t, b2, NULL, 0, NULL));
    CHECK_OK(zkrs_txn_set_data(t, a, U8("A2"), 2, 0));
    CHECK_OK(zkrs_txn_check(t, b2, 0));
    CHECK_INT(zkrs_txn_len(t), 4);
    CHECK_OK(zkrs_txn_commit(t, &r));
    CHECK_INT(zkrs_txn_results_len(r), 4);
    CHECK_INT(zkrs_txn_results_failed_index(r), -1);
    int32_t kind = 0;
    zkrs_rc rc = 1;
    const char *p = NULL;
    zkrs_stat st;
    CHECK_OK(zkrs_txn_results_get(r, 0, &kind, &rc, &p, NULL));
    CHECK_INT(kind, ZKRS_TXN_CREATE);
    CHECK_INT(rc, ZKRS_RC_OK);
    CHECK_STR(p, a);
    CHECK_OK(zkrs_txn_results_get(r, 2, &kind, &rc, NULL, &st));
    CHECK_INT(kind, ZKRS_TXN_SET_DATA);
    CHECK_INT(st.version, 1);
    CHECK_RC(zkrs_txn_results_get(r, 4, &kind, &rc, NULL, NULL), ZKRS_RC_BAD_ARGUMENTS);
    zkrs_txn_results_free(r);
    r = NULL;
    zkrs_txn_free(t);

    /* a failing op: its code, its index, the others rolled back */
    CHECK_OK(zkrs_txn_new(c, &t));
    CHECK_OK(zkrs_txn_delete(t, b2, -1));
    CHECK_OK(zkrs_txn_create(t, a, NULL, 0, NULL)); /* exists */
    CHECK_RC(zkrs_txn_commit(t, &r), ZKRS_RC_NODE_EXISTS);
    CHECK(r != NULL);
    CHECK_INT(zkrs_txn_results_failed_index(r), 1);
    CHECK_OK(zkrs_txn_results_get(r, 0, NULL, &rc, NULL, NULL));
    CHECK_INT(rc, ZKRS_RC_RUNTIME_INCONSISTENCY);
    CHECK_OK(zkrs_txn_results_get(r, 1, NULL, &rc, NULL, NULL));
    CHECK_INT(rc, ZKRS_RC_NODE_EXISTS);
    zkrs_txn_results_free(r);
    r = NULL;
    bool e = false;
    CHECK_OK(zkrs_client_exists(c, b2, NULL, &e, NULL));
    CHECK(e); /* rolled back */
    /* the same builder again, async and as a future */
    done d = {0, 12345, 0};
    CHECK_OK(zkrs_txn_commit_async(t, on_txn, &d));
    zkrs_future *f = NULL;
    CHECK_OK(zkrs_txn_commit_future(t, &f));
    CHECK_RC(zkrs_future_get_txn(f, WAIT_MS, &r), ZKRS_RC_NODE_EXISTS);
    CHECK_INT(zkrs_txn_results_failed_index(r), 1);
    zkrs_txn_results_free(r);
    zkrs_future_free(f);
    for (long long t0 = now_ms(); d.calls == 0 && now_ms() - t0 < WAIT_MS;) sleep_ms(5);
    CHECK_INT(d.rc, ZKRS_RC_NODE_EXISTS);
    CHECK_INT(d.calls, 102);
    zkrs_txn_free(t);
    /* an empty transaction succeeds */
    CHECK_OK(zkrs_txn_new(c, &t));
    CHECK_OK(zkrs_txn_commit(t, NULL));
    zkrs_txn_free(t);
    CHECK_OK(zkrs_client_delete(c, a, -1, true));
    zkrs_client_free(c);
    printf("transactions: ok\n");
}

int main(int argc, char **argv) {
    const char *hosts = test_hosts(argc, argv);
    main_thread = pthread_self();
    test_prefix(P, sizeof P, "poll");
    test_poll(hosts);
    test_txn(hosts);
    printf("PASS poll\n");
    return 0;
}
