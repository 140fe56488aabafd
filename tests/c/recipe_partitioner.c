/*
 * recipe_partitioner.c -- SetPartitioner through the C API: every function, kazoo's round-robin split
 * between two members, RELEASE when a member leaves, a custom partition function and its userdata
 * (freed once, never called after free), a wait that times out, close and a real session expiry
 * (FAILURE), and bad input (NULL, invalid paths, items and UTF-8, negative time boundary).
 */
#include "check.h"

static char prefix[128];

static void path_of(char *out, size_t size, const char *name) {
    snprintf(out, size, "%s/%s", prefix, name);
}

static const char *const ITEMS[] = {"0", "1", "2"};

/* The held items joined with ',' equal `want`. */
static void check_items(zkrs_partitioner *p, const char *want) {
    zkrs_string_list *l = NULL;
    char got[256] = "";
    CHECK_OK(zkrs_partitioner_acquired_items(p, &l));
    for (size_t i = 0; i < zkrs_string_list_len(l); i++) {
        if (i > 0) strcat(got, ",");
        strcat(got, zkrs_string_list_get(l, i));
    }
    zkrs_string_list_free(l);
    CHECK_STR(got, want);
}

static int32_t state_of(zkrs_partitioner *p) {
    int32_t s = -1;
    CHECK_OK(zkrs_partitioner_state(p, &s, NULL));
    return s;
}

/* Waits until the state is `want`, following transitions. */
static void state_becomes(zkrs_partitioner *p, int32_t want) {
    long long end = now_ms() + WAIT_MS;
    int32_t s = -1;
    uint64_t id = 0;
    CHECK_OK(zkrs_partitioner_state(p, &s, &id));
    while (s != want) {
        if (now_ms() > end) FAIL("state is %d, want %d", (int)s, (int)want);
        zkrs_rc rc = zkrs_partitioner_wait_for_change(p, id, 500, &s, &id);
        if (rc != ZKRS_RC_OK && rc != ZKRS_RC_TIMEOUT) FAIL("wait_for_change: %s", zkrs_rc_name(rc));
    }
}

static void acquired(zkrs_partitioner *p) {
    int32_t s = -1;
    CHECK_OK(zkrs_partitioner_wait_for_acquire(p, WAIT_MS, &s));
    CHECK_INT(s, ZKRS_PARTITION_ACQUIRED);
}

/* Brings two members to ACQUIRED with the same view of the party: one that acquired before the other
 * joined is asked to release (as kazoo's users do); then a calm time boundary must pass. */
static void both_acquired(zkrs_partitioner *a, zkrs_partitioner *b) {
    zkrs_partitioner *ps[2] = {a, b};
    long long end = now_ms() + WAIT_MS;
    for (;;) {
        for (int i = 0; i < 2; i++) {
            int32_t s = state_of(ps[i]);
            if (s == ZKRS_PARTITION_RELEASE) CHECK_OK(zkrs_partitioner_release_set(ps[i]));
            if (s == ZKRS_PARTITION_ALLOCATING) (void)zkrs_partitioner_wait_for_acquire(ps[i], 100, NULL);
            if (s == ZKRS_PARTITION_FAILURE) FAIL("member %d failed", i);
        }
        if (state_of(a) == ZKRS_PARTITION_ACQUIRED && state_of(b) == ZKRS_PARTITION_ACQUIRED) {
            sleep_ms(300);
            if (state_of(a) == ZKRS_PARTITION_ACQUIRED && state_of(b) == ZKRS_PARTITION_ACQUIRED) return;
        }
        if (now_ms() > end) FAIL("the two members did not both acquire");
    }
}

static zkrs_partitioner *member(zkrs_client *c, const char *path, const char *id, int32_t boundary_ms) {
    zkrs_partitioner *p = NULL;
    CHECK_OK(zkrs_partitioner_new(c, path, ITEMS, 3, id, boundary_ms, NULL, NULL, NULL, &p));
    return p;
}

static void test_round_robin(zkrs_client *c, zkrs_client *c2) {
    char path[256];
    path_of(path, sizeof path, "rr");
    zkrs_partitioner *a = member(c, path, "0", 200);
    zkrs_partitioner *b = member(c2, path, "1", 200);
    both_acquired(a, b);
    check_items(a, "0,2");
    check_items(b, "1");
    /* kazoo's layout: the holder of item 2 holds <path>/locks/2. */
    char lock[300];
    zkrs_string_list *children = NULL;
    snprintf(lock, sizeof lock, "%s/locks/2", path);
    CHECK_OK(zkrs_client_get_children(c, lock, NULL, &children, NULL));
    CHECK_INT(zkrs_string_list_len(children), 1);
    CHECK(strstr(zkrs_string_list_get(children, 0), "__lock__") != NULL);
    zkrs_string_list_free(children);
    snprintf(lock, sizeof lock, "%s/party", path);
    CHECK_OK(zkrs_client_get_children(c, lock, NULL, &children, NULL));
    CHECK_INT(zkrs_string_list_len(children), 2);
    zkrs_string_list_free(children);

    uint64_t seen = 0;
    int32_t s = -1;
    CHECK_OK(zkrs_partitioner_state(b, &s, &seen));
    CHECK_INT(s, ZKRS_PARTITION_ACQUIRED);
    CHECK_OK(zkrs_partitioner_finish(a));
    CHECK_INT(state_of(a), ZKRS_PARTITION_FAILURE);
    check_items(a, "");
    state_becomes(b, ZKRS_PARTITION_RELEASE);
    check_items(b, "1");
    CHECK_OK(zkrs_partitioner_release_set(b));
    acquired(b);
    check_items(b, "0,1,2");
    /* FAILURE is final. */
    CHECK_OK(zkrs_partitioner_release_set(a));
    CHECK_INT(state_of(a), ZKRS_PARTITION_FAILURE);
    CHECK_RC(zkrs_partitioner_wait_for_change(b, seen + 100, 0, NULL, NULL), ZKRS_RC_OK);
    zkrs_partitioner_free(a);
    zkrs_partitioner_free(b);
    printf("two members split round robin; after one finishes the other is told RELEASE and takes all\n");
}

/* Userdata of the custom partition function. */
typedef struct split_rec {
    counter calls;
    counter freed;
    size_t members_seen;
} split_rec;

/* "x" takes item "a", everyone else the rest. */
static void split_fn(void *userdata, const char *identifier, const zkrs_string_list *members,
                     const zkrs_string_list *items, bool *mine) {
    split_rec *r = (split_rec *)userdata;
    r->members_seen = zkrs_string_list_len(members);
    for (size_t i = 0; i < zkrs_string_list_len(items); i++) {
        mine[i] = (strcmp(identifier, "x") == 0) == (strcmp(zkrs_string_list_get(items, i), "a") == 0);
    }
    counter_add(&r->calls, 1);
}

static void split_free(void *userdata) {
    counter_add(&((split_rec *)userdata)->freed, 1);
}

static void test_custom_fn(zkrs_client *c) {
    char path[256];
    path_of(path, sizeof path, "custom");
    static const char *const set[] = {"c", "a", "b"};
    split_rec rx, ry;
    memset(&rx, 0, sizeof rx);
    memset(&ry, 0, sizeof ry);
    counter_init(&rx.calls);
    counter_init(&rx.freed);
    counter_init(&ry.calls);
    counter_init(&ry.freed);
    zkrs_partitioner *x = NULL, *y = NULL;
    CHECK_OK(zkrs_partitioner_new(c, path, set, 3, "x", 200, split_fn, &rx, split_free, &x));
    CHECK_OK(zkrs_partitioner_new(c, path, set, 3, "y", 200, split_fn, &ry, split_free, &y));
    both_acquired(x, y);
    check_items(x, "a");
    check_items(y, "c,b");
    CHECK_INT(rx.members_seen, 2);
    zkrs_partitioner_free(x);
    int calls = counter_get(&rx.calls);
    state_becomes(y, ZKRS_PARTITION_RELEASE);
    CHECK_OK(zkrs_partitioner_release_set(y));
    acquired(y);
    check_items(y, "c,b");
    CHECK_INT(ry.members_seen, 1);
    CHECK_INT(counter_get(&rx.calls), calls); /* never called after free */
    WAIT_COUNT(&rx.freed, 1);
    zkrs_partitioner_free(y);
    WAIT_COUNT(&ry.freed, 1);
    sleep_ms(100);
    CHECK_INT(counter_get(&rx.freed), 1);
    CHECK_INT(counter_get(&ry.freed), 1);
    counter_destroy(&rx.calls);
    counter_destroy(&rx.freed);
    counter_destroy(&ry.calls);
    counter_destroy(&ry.freed);
    printf("a custom partition function decides the share; its userdata is freed once, no call after free\n");
}

static void test_bad_input(zkrs_client *c) {
    char path[256];
    path_of(path, sizeof path, "bad");
    zkrs_partitioner *p = NULL;
    split_rec r;
    memset(&r, 0, sizeof r);
    counter_init(&r.calls);
    counter_init(&r.freed);
    static const char *const with_null[] = {"a", NULL};
    static const char *const with_slash[] = {"a/b"};
    static const char *const with_empty[] = {""};
    static const char *const with_dots[] = {".."};
    static const char *const bad_utf8[] = {"\xff\xfe"};
    CHECK_RC(zkrs_partitioner_new(NULL, path, ITEMS, 3, "a", 0, NULL, NULL, NULL, &p), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_new(c, NULL, ITEMS, 3, "a", 0, NULL, NULL, NULL, &p), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_new(c, "nope", ITEMS, 3, "a", 0, NULL, NULL, NULL, &p), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_partitioner_new(c, "/\xff", ITEMS, 3, "a", 0, NULL, NULL, NULL, &p), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_partitioner_new(c, path, NULL, 1, "a", 0, NULL, NULL, NULL, &p), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_new(c, path, with_null, 2, "a", 0, NULL, NULL, NULL, &p), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_new(c, path, with_slash, 1, "a", 0, NULL, NULL, NULL, &p), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_partitioner_new(c, path, with_empty, 1, "a", 0, NULL, NULL, NULL, &p), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_partitioner_new(c, path, with_dots, 1, "a", 0, NULL, NULL, NULL, &p), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_partitioner_new(c, path, bad_utf8, 1, "a", 0, NULL, NULL, NULL, &p), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_partitioner_new(c, path, ITEMS, 3, "a/b", 0, NULL, NULL, NULL, &p), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_partitioner_new(c, path, ITEMS, 3, "\xff", 0, NULL, NULL, NULL, &p), ZKRS_RC_INVALID_UTF8);
    CHECK_RC_MSG(zkrs_partitioner_new(c, path, ITEMS, 3, "a", -1, NULL, NULL, NULL, &p), ZKRS_RC_BAD_ARGUMENTS,
                 "time_boundary_ms");
    CHECK_RC(zkrs_partitioner_new(c, path, ITEMS, 3, "a", 0, NULL, NULL, NULL, NULL), ZKRS_RC_NULL_ARGUMENT);
    /* A failed new still frees the userdata, once. */
    CHECK_RC(zkrs_partitioner_new(c, "nope", ITEMS, 3, "a", 0, split_fn, &r, split_free, &p), ZKRS_RC_INVALID_PATH);
    CHECK_INT(counter_get(&r.freed), 1);
    CHECK(p == NULL);

    CHECK_RC(zkrs_partitioner_state(NULL, NULL, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_wait_for_acquire(NULL, 0, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_wait_for_change(NULL, 0, 0, NULL, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_acquired_items(NULL, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_release_set(NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_finish(NULL), ZKRS_RC_NULL_ARGUMENT);
    zkrs_partitioner_free(NULL);

    /* Zero items, an identifier by default, and a wait that times out. */
    CHECK_OK(zkrs_partitioner_new(c, path, NULL, 0, NULL, 30000, NULL, NULL, NULL, &p));
    CHECK_RC(zkrs_partitioner_state(p, NULL, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_partitioner_acquired_items(p, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_INT(state_of(p), ZKRS_PARTITION_ALLOCATING);
    CHECK_RC_MSG(zkrs_partitioner_wait_for_acquire(p, 200, NULL), ZKRS_RC_TIMEOUT, "200 ms");
    uint64_t id = 0;
    int32_t s = -1;
    CHECK_OK(zkrs_partitioner_state(p, &s, &id));
    CHECK_INT(s, ZKRS_PARTITION_ALLOCATING);
    CHECK_RC(zkrs_partitioner_wait_for_change(p, id, 100, NULL, NULL), ZKRS_RC_TIMEOUT);
    check_items(p, "");
    zkrs_partitioner_free(p);
    counter_destroy(&r.calls);
    counter_destroy(&r.freed);
    printf("bad input gets clear codes; a failed new frees the userdata; waits time out\n");
}

static void test_close(const char *hosts) {
    char path[256];
    path_of(path, sizeof path, "close");
    zkrs_client *c = test_connect(hosts);
    zkrs_partitioner *p = member(c, path, "0", 200);
    acquired(p);
    CHECK_OK(zkrs_client_close(c));
    state_becomes(p, ZKRS_PARTITION_FAILURE);
    int32_t s = -1;
    CHECK_RC(zkrs_partitioner_wait_for_acquire(p, -1, &s), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_partitioner_wait_for_change(p, 0, -1, &s, NULL), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_partitioner_release_set(p), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_partitioner_finish(p), ZKRS_RC_CLOSED);
    CHECK_INT(s, -1);
    check_items(p, "");
    CHECK_INT(state_of(p), ZKRS_PARTITION_FAILURE);
    zkrs_client_free(c);
    CHECK_INT(state_of(p), ZKRS_PARTITION_FAILURE);
    zkrs_partitioner_free(p);
    printf("closing the client fails the partitioner; then its calls say CLOSED, queries work after the client is freed\n");
}

static void test_session_loss(const char *proxied) {
    if (proxied == NULL) {
        printf("session loss: skipped (no ZK_PROXY_HOSTS)\n");
        return;
    }
    char path[256];
    path_of(path, sizeof path, "expire");
    zkrs_client *c = test_connect(proxied);
    zkrs_partitioner *p = member(c, path, "0", 200);
    acquired(p);
    zkrs_buf *idstr = NULL;
    CHECK_OK(zkrs_client_id_string(c, &idstr));
    char what[256];
    snprintf(what, sizeof what, "expire %s", (const char *)zkrs_buf_data(idstr));
    zkrs_buf_free(idstr);
    fault(what);
    state_becomes(p, ZKRS_PARTITION_FAILURE);
    check_items(p, "");
    zkrs_partitioner_free(p);
    zkrs_client_free(c);
    printf("a session expiry fails the partitioner (FAILURE)\n");
}

int main(int argc, char **argv) {
    const char *hosts = test_hosts(argc, argv);
    test_prefix(prefix, sizeof prefix, "partitioner");
    zkrs_client *c = test_connect(hosts);
    zkrs_client *c2 = test_connect(hosts);
    CHECK_OK(zkrs_client_create(c, prefix, NULL, 0, NULL, NULL, NULL));

    test_bad_input(c);
    test_round_robin(c, c2);
    test_custom_fn(c);
    test_close(hosts);
    test_session_loss(proxy_hosts());

    zkrs_client_free(c2);
    zkrs_client_free(c);
    printf("PASS recipe_partitioner\n");
    return 0;
}
