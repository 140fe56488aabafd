/*
 * async.c -- every _async operation with a completion callback: success and error paths, what the
 * callback receives, that it runs exactly once on the event thread (not the caller's), in submission
 * order for a pipeline, never when the call itself returned an error, and with CLOSING for everything
 * still pending when the client is closed (before zkrs_client_close returns).
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

/* What one completion received (copied: everything passed to a callback is borrowed). */
typedef struct result {
    counter done;
    zkrs_rc rc;
    char detail[512];
    int has_stat;
    zkrs_stat stat;
    int has_value;      /* data / created path / children / acl were non-NULL */
    char value[512];    /* data or created path as text; children joined by ',' */
    size_t len;
    bool exists;
    int on_main_thread;
} result;

static void result_init(result *r) {
    memset(r, 0, sizeof *r);
    counter_init(&r->done);
    r->rc = 12345;
}

static void finish(result *r, zkrs_rc rc, const char *detail, const zkrs_stat *stat) {
    if (counter_get(&r->done) != 0) FAIL("a completion ran twice");
    r->rc = rc;
    if (detail == NULL) FAIL("detail is NULL");
    snprintf(r->detail, sizeof r->detail, "%s", detail);
    if (stat) {
        r->has_stat = 1;
        r->stat = *stat;
    }
    r->on_main_thread = pthread_equal(pthread_self(), main_thread);
    counter_add(&r->done, 1);
}

static void on_create(void *ud, zkrs_rc rc, const char *detail, const char *created, const zkrs_stat *stat) {
    result *r = ud;
    if (created) {
        r->has_value = 1;
        snprintf(r->value, sizeof r->value, "%s", created);
    }
    finish(r, rc, detail, stat);
}

static void on_data(void *ud, zkrs_rc rc, const char *detail, const uint8_t *data, size_t len, const zkrs_stat *stat) {
    result *r = ud;
    if (data) {
        r->has_value = 1;
        r->len = len;
        snprintf(r->value, sizeof r->value, "%.*s", (int)len, (const char *)data);
    } else if (len != 0) {
        FAIL("NULL data with length %zu", len);
    }
    finish(r, rc, detail, stat);
}

static void on_stat(void *ud, zkrs_rc rc, const char *detail, const zkrs_stat *stat) {
    finish(ud, rc, detail, stat);
}

static void on_void(void *ud, zkrs_rc rc, const char *detail) {
    finish(ud, rc, detail, NULL);
}

static void on_exists(void *ud, zkrs_rc rc, const char *detail, bool exists, const zkrs_stat *stat) {
    result *r = ud;
    r->exists = exists;
    finish(r, rc, detail, stat);
}

static void on_children(void *ud, zkrs_rc rc, const char *detail, const zkrs_string_list *kids, const zkrs_stat *stat) {
    result *r = ud;
    if (kids) {
        r->has_value = 1;
        r->len = zkrs_string_list_len(kids);
        /* sorted copy, so the test can compare */
        const char *names[16];
        size_t n = r->len < 16 ? r->len : 16;
        for (size_t i = 0; i < n; i++) names[i] = zkrs_string_list_get(kids, i);
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if (strcmp(names[j], names[i]) < 0) {
                    const char *t = names[i];
                    names[i] = names[j];
                    names[j] = t;
                }
        r->value[0] = '\0';
        for (size_t i = 0; i < n; i++) {
            if (i) strcat(r->value, ",");
            strncat(r->value, names[i], 64);
        }
    }
    finish(r, rc, detail, stat);
}

static void on_acl(void *ud, zkrs_rc rc, const char *detail, const zkrs_acl_list *acl, const zkrs_stat *stat) {
    result *r = ud;
    if (acl) {
        r->has_value = 1;
        r->len = zkrs_acl_list_len(acl);
        const char *scheme = NULL, *id = NULL;
        int32_t perms = 0;
        if (zkrs_acl_list_get(acl, 0, &perms, &scheme, &id) != ZKRS_RC_OK) FAIL("acl entry 0");
        snprintf(r->value, sizeof r->value, "%d:%s:%s", (int)perms, scheme, id);
    }
    finish(r, rc, detail, stat);
}

/* Waits for the completion and checks its code, detail and thread. */
static void await_rc(result *r, zkrs_rc want, int line) {
    if (counter_wait(&r->done, 1, WAIT_MS) < 1) check_die(__FILE__, line, "the completion did not run");
    if (r->rc != want)
        check_die(__FILE__, line, "completion got %s (%d) \"%s\", want %s", zkrs_rc_name(r->rc), (int)r->rc,
                  r->detail, zkrs_rc_name(want));
    if (want == ZKRS_RC_OK && r->detail[0] != '\0') check_die(__FILE__, line, "detail on success: %s", r->detail);
    if (want != ZKRS_RC_OK && r->detail[0] == '\0') check_die(__FILE__, line, "empty detail for %s", zkrs_rc_name(want));
    if (r->on_main_thread) check_die(__FILE__, line, "the completion ran on the caller's thread");
}
#define AWAIT(r, want) await_rc((r), (want), __LINE__)

static void reset(result *r) {
    counter_destroy(&r->done);
    result_init(r);
}

static void test_each_operation(zkrs_client *zk) {
    result r;
    result_init(&r);

    /* create */
    CHECK_OK(zkrs_client_create_async(zk, P, U8("root"), 4, NULL, on_create, &r));
    AWAIT(&r, ZKRS_RC_OK);
    CHECK_STR(r.value, P);
    CHECK(r.has_stat);
    CHECK_INT(r.stat.data_length, 4);
    reset(&r);
    CHECK_OK(zkrs_client_create_async(zk, P, NULL, 0, NULL, on_create, &r));
    AWAIT(&r, ZKRS_RC_NODE_EXISTS);
    CHECK(!r.has_value && !r.has_stat);
    CHECK(strstr(r.detail, P) != NULL);
    reset(&r);
    zkrs_create_options o;
    memset(&o, 0, sizeof o);
    o.mode = ZKRS_CREATE_PERSISTENT_SEQUENTIAL;
    CHECK_OK(zkrs_client_create_async(zk, path("/s-"), U8(""), 0, &o, on_create, &r));
    AWAIT(&r, ZKRS_RC_OK);
    CHECK_INT(strlen(r.value), strlen(path("/s-")) + 10);
    reset(&r);
    CHECK_OK(zkrs_client_create_async(zk, path("/no/parent"), NULL, 0, NULL, on_create, &r));
    AWAIT(&r, ZKRS_RC_NO_NODE);
    reset(&r);

    /* get_data, with zero-length data: data is never NULL on success */
    CHECK_OK(zkrs_client_get_data_async(zk, P, NULL, on_data, &r));
    AWAIT(&r, ZKRS_RC_OK);
    CHECK_STR(r.value, "root");
    CHECK_INT(r.len, 4);
    reset(&r);
    CHECK_OK(zkrs_client_create(zk, path("/empty"), NULL, 0, NULL, NULL, NULL));
    CHECK_OK(zkrs_client_get_data_async(zk, path("/empty"), NULL, on_data, &r));
    AWAIT(&r, ZKRS_RC_OK);
    CHECK(r.has_value);
    CHECK_INT(r.len, 0);
    reset(&r);
    CHECK_OK(zkrs_client_get_data_async(zk, path("/nope"), NULL, on_data, &r));
    AWAIT(&r, ZKRS_RC_NO_NODE);
    CHECK(!r.has_value && !r.has_stat);
    reset(&r);

    /* set_data */
    CHECK_OK(zkrs_client_set_data_async(zk, P, U8("v1"), 2, 0, on_stat, &r));
    AWAIT(&r, ZKRS_RC_OK);
    CHECK(r.has_stat);
    CHECK_INT(r.stat.version, 1);
    reset(&r);
    CHECK_OK(zkrs_client_set_data_async(zk, P, U8("v2"), 2, 0, on_stat, &r));
    AWAIT(&r, ZKRS_RC_BAD_VERSION);
    CHECK(!r.has_stat);
    reset(&r);
    CHECK_OK(zkrs_client_set_data_async(zk, path("/nope"), NULL, 0, -1, on_stat, &r));
    AWAIT(&r, ZKRS_RC_NO_NODE);
    reset(&r);

    /* exists */
    CHECK_OK(zkrs_client_exists_async(zk, P, NULL, on_exists, &r));
    AWAIT(&r, ZKRS_RC_OK);
    CHECK(r.exists && r.has_stat);
    CHECK_INT(r.stat.version, 1);
    reset(&r);
    CHECK_OK(zkrs_client_exists_async(zk, path("/nope"), NULL, on_exists, &r));
    AWAIT(&r, ZKRS_RC_OK);
    CHECK(!r.exists && !r.has_stat);
    reset(&r);

    /* get_children */
    CHECK_OK(zkrs_client_create(zk, path("/k"), NULL, 0, NULL, NULL, NULL));
    CHECK_OK(zkrs_client_create(zk, path("/k/b"), NULL, 0, NULL, NULL, NULL));
    CHECK_OK(zkrs_client_create(zk, path("/k/a"), NULL, 0, NULL, NULL, NULL));
    CHECK_OK(zkrs_client_get_children_async(zk, path("/k"), NULL, on_children, &r));
    AWAIT(&r, ZKRS_RC_OK);
    CHECK_STR(r.value, "a,b");
    CHECK_INT(r.stat.num_children, 2);
    reset(&r);
    CHECK_OK(zkrs_client_get_children_async(zk, path("/nope"), NULL, on_children, &r));
    AWAIT(&r, ZKRS_RC_NO_NODE);
    CHECK(!r.has_value && !r.has_stat);
    reset(&r);

    /* get_acl / set_acl */
    CHECK_OK(zkrs_client_get_acl_async(zk, P, on_acl, &r));
    AWAIT(&r, ZKRS_RC_OK);
    CHECK_STR(r.value, "31:world:anyone");
    CHECK_INT(r.len, 1);
    reset(&r);
    CHECK_OK(zkrs_client_get_acl_async(zk, path("/nope"), on_acl, &r));
    AWAIT(&r, ZKRS_RC_NO_NODE);
    reset(&r);
    zkrs_acl_list *acl = NULL;
    CHECK_OK(zkrs_acl_list_new_open_unsafe(&acl));
    CHECK_OK(zkrs_client_set_acl_async(zk, P, acl, 5, on_stat, &r));
    AWAIT(&r, ZKRS_RC_BAD_VERSION);
    reset(&r);
    CHECK_OK(zkrs_client_set_acl_async(zk, P, acl, 0, on_stat, &r));
    zkrs_acl_list_free(acl); /* borrowed during the call only */
    AWAIT(&r, ZKRS_RC_OK);
    CHECK_INT(r.stat.aversion, 1);
    reset(&r);

    /* sync */
    CHECK_OK(zkrs_client_sync_async(zk, P, on_void, &r));
    AWAIT(&r, ZKRS_RC_OK);
    reset(&r);

    /* delete */
    CHECK_OK(zkrs_client_delete_async(zk, path("/k"), -1, on_void, &r));
    AWAIT(&r, ZKRS_RC_NOT_EMPTY);
    reset(&r);
    CHECK_OK(zkrs_client_delete_async(zk, path("/k/a"), 3, on_void, &r));
    AWAIT(&r, ZKRS_RC_BAD_VERSION);
    reset(&r);
    CHECK_OK(zkrs_client_delete_async(zk, path("/k/a"), 0, on_void, &r));
    AWAIT(&r, ZKRS_RC_OK);
    reset(&r);
    CHECK_OK(zkrs_client_delete_async(zk, path("/k/a"), -1, on_void, &r));
    AWAIT(&r, ZKRS_RC_NO_NODE);
    reset(&r);

    /* a call refused up front never runs its callback */
    CHECK_RC(zkrs_client_get_data_async(zk, "no-slash", NULL, on_data, &r), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_client_create_async(zk, path("/x"), NULL, 5, NULL, on_create, &r), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_client_delete_async(zk, P, -1, NULL, &r), ZKRS_RC_NULL_ARGUMENT);
    CHECK_OK(zkrs_client_sync(zk, "/")); /* anything queued before would have completed by now */
    sleep_ms(50);
    CHECK_INT(counter_get(&r.done), 0);
    counter_destroy(&r.done);
    printf("each async operation: ok\n");
}

/* ---- a pipeline: completions in submission order ---------------------------------------------------- */

typedef struct pipe_state {
    counter done;
    int next;      /* the index the next completion must have */
    int errors;
} pipe_state;

typedef struct pipe_op {
    pipe_state *st;
    int index;
} pipe_op;

static void on_pipe_create(void *ud, zkrs_rc rc, const char *detail, const char *created, const zkrs_stat *stat) {
    pipe_op *op = ud;
    (void)stat;
    (void)created;
    if (rc != ZKRS_RC_OK) {
        fprintf(stderr, "pipelined create %d: %s %s\n", op->index, zkrs_rc_name(rc), detail);
        op->st->errors++;
    }
    if (op->index != op->st->next) op->st->errors++;
    op->st->next++;
    counter_add(&op->st->done, 1);
}

static void on_pipe_get(void *ud, zkrs_rc rc, const char *detail, const uint8_t *data, size_t len, const zkrs_stat *stat) {
    pipe_op *op = ud;
    char want[32];
    (void)stat;
    snprintf(want, sizeof want, "value-%d", op->index % 10);
    if (rc != ZKRS_RC_OK || len != strlen(want) || memcmp(data, want, len) != 0) {
        fprintf(stderr, "pipelined get %d: %s %s\n", op->index, zkrs_rc_name(rc), detail);
        op->st->errors++;
    }
    if (op->index != op->st->next) op->st->errors++;
    op->st->next++;
    counter_add(&op->st->done, 1);
}

static void test_pipeline(zkrs_client *zk) {
    int n = iters(1000);
    pipe_state st;
    pipe_op *ops = calloc((size_t)n, sizeof *ops);
    CHECK(ops != NULL);
    memset(&st, 0, sizeof st);
    counter_init(&st.done);
    CHECK_OK(zkrs_client_create(zk, path("/pipe"), NULL, 0, NULL, NULL, NULL));
    for (int i = 0; i < n; i++) {
        char p[256], v[32];
        snprintf(p, sizeof p, "%s/n%05d", path("/pipe"), i);
        snprintf(v, sizeof v, "value-%d", i % 10);
        ops[i].st = &st;
        ops[i].index = i;
        CHECK_OK(zkrs_client_create_async(zk, p, U8(v), strlen(v), NULL, on_pipe_create, &ops[i]));
    }
    WAIT_COUNT(&st.done, n);
    CHECK_INT(st.errors, 0);
    st.next = 0;
    counter_add(&st.done, -n);
    for (int i = 0; i < n; i++) {
        char p[256];
        snprintf(p, sizeof p, "%s/n%05d", path("/pipe"), i);
        CHECK_OK(zkrs_client_get_data_async(zk, p, NULL, on_pipe_get, &ops[i]));
    }
    WAIT_COUNT(&st.done, n);
    CHECK_INT(st.errors, 0);
    int32_t count = 0;
    CHECK_OK(zkrs_client_get_all_children_number(zk, path("/pipe"), &count));
    CHECK_INT(count, n);
    counter_destroy(&st.done);
    free(ops);
    printf("pipeline of %d creates and %d gets: ok, in order\n", n, n);
}

/* ---- close with requests in flight -------------------------------------------------------------------- */

typedef struct close_state {
    pthread_mutex_t lock;
    int ok, closing, other, calls;
} close_state;

static void on_close_get(void *ud, zkrs_rc rc, const char *detail, const uint8_t *data, size_t len, const zkrs_stat *stat) {
    close_state *s = ud;
    (void)data;
    (void)len;
    (void)stat;
    pthread_mutex_lock(&s->lock);
    s->calls++;
    if (rc == ZKRS_RC_OK) s->ok++;
    else if (rc == ZKRS_RC_CLOSING && detail[0] != '\0') s->closing++;
    else s->other++;
    pthread_mutex_unlock(&s->lock);
}

static void test_close_completes_everything(const char *hosts) {
    zkrs_client *c = test_connect(hosts);
    int n = iters(2000);
    close_state s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.lock, NULL);
    watch_rec w;
    watch_rec_init(&w);
    zkrs_watcher wa = watcher_for(&w);
    bool exists = true;
    CHECK_OK(zkrs_client_exists(c, path("/never"), &wa, &exists, NULL));
    CHECK(!exists);
    for (int i = 0; i < n; i++) CHECK_OK(zkrs_client_get_data_async(c, P, NULL, on_close_get, &s));
    CHECK_OK(zkrs_client_close(c));
    /* every completion ran exactly once before close returned; the watch ended with CLIENT_CLOSED */
    pthread_mutex_lock(&s.lock);
    int calls = s.calls, ok = s.ok, closing = s.closing, other = s.other;
    pthread_mutex_unlock(&s.lock);
    CHECK_INT(calls, n);
    CHECK_INT(other, 0);
    CHECK_INT(ok + closing, n);
    CHECK_INT(counter_get(&w.fired), 1);
    CHECK_INT(counter_get(&w.freed), 1);
    CHECK_EVENT(&w, 0, ZKRS_EVENT_CLIENT_CLOSED, path("/never"));
    CHECK_INT(w.states[0], ZKRS_STATE_CLOSED);
    /* after close: CLOSED at once, no callback */
    CHECK_RC(zkrs_client_get_data_async(c, P, NULL, on_close_get, &s), ZKRS_RC_CLOSED);
    CHECK_OK(zkrs_client_close(c)); /* closing again is fine */
    zkrs_client_free(c);
    CHECK_INT(s.calls, n);
    pthread_mutex_destroy(&s.lock);
    watch_rec_destroy(&w);
    printf("close with %d requests in flight: %d answered, %d CLOSING, each exactly once\n", n, ok, closing);
}

int main(int argc, char **argv) {
    const char *hosts = test_hosts(argc, argv);
    main_thread = pthread_self();
    test_prefix(P, sizeof P, "async");
    zkrs_client *zk = test_connect(hosts);
    test_each_operation(zk);
    test_pipeline(zk);
    test_close_completes_everything(hosts);
    CHECK_OK(zkrs_client_delete(zk, P, -1, true));
    zkrs_client_free(zk);
    printf("PASS async\n");
    return 0;
}
