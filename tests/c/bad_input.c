/*
 * bad_input.c -- the bad-input matrix: NULL for every pointer argument of every function, invalid
 * paths, non-UTF-8 text, data over 1 MiB, impossible lengths, zero-length data, _free(NULL), and every
 * client function after close. Each call must return its documented code with a message of its own
 * (CHECK_RC arms a sentinel message first), and none may crash or leak.
 */
#include "check.h"

static char P[128];

#define NUL(expr) CHECK_RC(expr, ZKRS_RC_NULL_ARGUMENT)

static void on_void(void *ud, zkrs_rc rc, const char *detail) {
    (void)ud;
    (void)rc;
    (void)detail;
    FAIL("a refused call ran its callback");
}
static void on_data(void *ud, zkrs_rc rc, const char *detail, const uint8_t *d, size_t n, const zkrs_stat *s) {
    (void)ud, (void)rc, (void)detail, (void)d, (void)n, (void)s;
    FAIL("a refused call ran its callback");
}
static void on_stat(void *ud, zkrs_rc rc, const char *detail, const zkrs_stat *s) {
    (void)ud, (void)rc, (void)detail, (void)s;
    FAIL("a refused call ran its callback");
}
static void on_create(void *ud, zkrs_rc rc, const char *detail, const char *p, const zkrs_stat *s) {
    (void)ud, (void)rc, (void)detail, (void)p, (void)s;
    FAIL("a refused call ran its callback");
}
static void on_exists(void *ud, zkrs_rc rc, const char *detail, bool e, const zkrs_stat *s) {
    (void)ud, (void)rc, (void)detail, (void)e, (void)s;
    FAIL("a refused call ran its callback");
}
static void on_children(void *ud, zkrs_rc rc, const char *detail, const zkrs_string_list *l, const zkrs_stat *s) {
    (void)ud, (void)rc, (void)detail, (void)l, (void)s;
    FAIL("a refused call ran its callback");
}
static void on_acl(void *ud, zkrs_rc rc, const char *detail, const zkrs_acl_list *l, const zkrs_stat *s) {
    (void)ud, (void)rc, (void)detail, (void)l, (void)s;
    FAIL("a refused call ran its callback");
}
static void on_strings(void *ud, zkrs_rc rc, const char *detail, const zkrs_string_list *l) {
    (void)ud, (void)rc, (void)detail, (void)l;
    FAIL("a refused call ran its callback");
}
static void on_count(void *ud, zkrs_rc rc, const char *detail, int32_t n) {
    (void)ud, (void)rc, (void)detail, (void)n;
    FAIL("a refused call ran its callback");
}
static void on_txn(void *ud, zkrs_rc rc, const char *detail, const zkrs_txn_results *r) {
    (void)ud, (void)rc, (void)detail, (void)r;
    FAIL("a refused call ran its callback");
}
static void on_reads(void *ud, zkrs_rc rc, const char *detail, const zkrs_read_results *r) {
    (void)ud, (void)rc, (void)detail, (void)r;
    FAIL("a refused call ran its callback");
}
static void on_info(void *ud, zkrs_rc rc, const char *detail, const zkrs_client_info_list *r) {
    (void)ud, (void)rc, (void)detail, (void)r;
    FAIL("a refused call ran its callback");
}
static void on_then(void *ud, zkrs_future *f) {
    (void)ud, (void)f;
}
static void on_state(void *ud, const zkrs_state_event *e) {
    (void)ud, (void)e;
}

/* free_userdata counting for the watch arguments of refused calls */
static counter freed;
static void count_free(void *ud) {
    (void)ud;
    counter_add(&freed, 1);
}
static void never_fn(void *ud, const zkrs_watch_event *e) {
    (void)ud, (void)e;
    FAIL("a watch of a refused call fired");
}

static void test_nulls(zkrs_client *c) {
    zkrs_buf *b = NULL;
    zkrs_string_list *l = NULL;
    zkrs_acl_list *acl = NULL;
    zkrs_future *f = NULL;
    zkrs_stat st;
    bool e;
    int32_t i32;
    int64_t i64;
    uint64_t u64;
    size_t n;
    const char *s;
    zkrs_watcher w = {never_fn, NULL, count_free};
    zkrs_config *cfg = NULL;
    zkrs_client *out_client = NULL;
    CHECK_OK(zkrs_config_new(&cfg));
    CHECK_OK(zkrs_acl_list_new_open_unsafe(&acl));

    /* config, client lifecycle and state */
    NUL(zkrs_config_new(NULL));
    NUL(zkrs_config_set(NULL, "hosts", "x:1"));
    NUL(zkrs_config_set(cfg, NULL, "x:1"));
    NUL(zkrs_config_set(cfg, "hosts", NULL));
    NUL(zkrs_client_new(NULL, &out_client));
    NUL(zkrs_client_new(cfg, NULL));
    CHECK(out_client == NULL);
    NUL(zkrs_client_start(NULL, 0));
    NUL(zkrs_client_close(NULL));
    NUL(zkrs_client_state(NULL, &i32));
    NUL(zkrs_client_state(c, NULL));
    NUL(zkrs_client_kazoo_state(NULL, &i32));
    NUL(zkrs_client_kazoo_state(c, NULL));
    NUL(zkrs_client_session_id(NULL, &i64));
    NUL(zkrs_client_session_id(c, NULL));
    NUL(zkrs_client_negotiated_timeout(NULL, &i32));
    NUL(zkrs_client_negotiated_timeout(c, NULL));
    NUL(zkrs_client_id(NULL, &i64, &b));
    NUL(zkrs_client_id(c, NULL, &b));
    NUL(zkrs_client_id(c, &i64, NULL));
    NUL(zkrs_client_id_string(NULL, &b));
    NUL(zkrs_client_id_string(c, NULL));
    NUL(zkrs_client_current_server(NULL, &b));
    NUL(zkrs_client_current_server(c, NULL));
    NUL(zkrs_client_set_hosts(NULL, "x:1"));
    NUL(zkrs_client_set_hosts(c, NULL));
    NUL(zkrs_client_command(NULL, "ruok", &b));
    NUL(zkrs_client_command(c, NULL, &b));
    NUL(zkrs_client_command(c, "ruok", NULL));
    NUL(zkrs_client_server_version(NULL, &b));
    NUL(zkrs_client_server_version(c, NULL));
    NUL(zkrs_client_dispatch(NULL, 0, &n));
    NUL(zkrs_client_event_fd(NULL, &i32));
    NUL(zkrs_client_add_state_listener(NULL, on_state, NULL, count_free, &u64));
    NUL(zkrs_client_add_state_listener(c, NULL, NULL, count_free, &u64));
    CHECK_INT(counter_get(&freed), 2); /* refused registrations release their userdata */
    NUL(zkrs_client_remove_state_listener(NULL, 1));
    CHECK_RC(zkrs_client_remove_state_listener(c, 987654321), ZKRS_RC_BAD_ARGUMENTS);

    /* sync operations */
    NUL(zkrs_client_create(NULL, P, NULL, 0, NULL, NULL, NULL));
    NUL(zkrs_client_create(c, NULL, NULL, 0, NULL, NULL, NULL));
    NUL(zkrs_client_create(c, P, NULL, 1, NULL, NULL, NULL));
    NUL(zkrs_client_get_data(NULL, P, NULL, &b, &st));
    NUL(zkrs_client_get_data(c, NULL, NULL, &b, &st));
    NUL(zkrs_client_get_data(c, P, NULL, NULL, &st));
    NUL(zkrs_client_set_data(NULL, P, NULL, 0, -1, NULL));
    NUL(zkrs_client_set_data(c, NULL, NULL, 0, -1, NULL));
    NUL(zkrs_client_set_data(c, P, NULL, 3, -1, NULL));
    NUL(zkrs_client_exists(NULL, P, NULL, &e, NULL));
    NUL(zkrs_client_exists(c, NULL, NULL, &e, NULL));
    NUL(zkrs_client_exists(c, P, NULL, NULL, NULL));
    NUL(zkrs_client_delete(NULL, P, -1, false));
    NUL(zkrs_client_delete(c, NULL, -1, false));
    NUL(zkrs_client_get_children(NULL, P, NULL, &l, NULL));
    NUL(zkrs_client_get_children(c, NULL, NULL, &l, NULL));
    NUL(zkrs_client_get_children(c, P, NULL, NULL, NULL));
    NUL(zkrs_client_get_acl(NULL, P, &acl, NULL));
    NUL(zkrs_client_get_acl(c, NULL, &acl, NULL));
    NUL(zkrs_client_get_acl(c, P, NULL, NULL));
    NUL(zkrs_client_set_acl(NULL, P, acl, -1, NULL));
    NUL(zkrs_client_set_acl(c, NULL, acl, -1, NULL));
    NUL(zkrs_client_set_acl(c, P, NULL, -1, NULL));
    NUL(zkrs_client_sync(NULL, P));
    NUL(zkrs_client_sync(c, NULL));
    NUL(zkrs_client_ensure_path(NULL, P));
    NUL(zkrs_client_ensure_path(c, NULL));
    NUL(zkrs_client_add_auth(NULL, "digest", U8("a:b"), 3));
    NUL(zkrs_client_add_auth(c, NULL, U8("a:b"), 3));
    NUL(zkrs_client_add_auth(c, "digest", NULL, 3));
    NUL(zkrs_client_get_all_children_number(NULL, P, &i32));
    NUL(zkrs_client_get_all_children_number(c, NULL, &i32));
    NUL(zkrs_client_get_all_children_number(c, P, NULL));
    NUL(zkrs_client_get_ephemerals(NULL, P, &l));
    NUL(zkrs_client_get_ephemerals(c, NULL, &l));
    NUL(zkrs_client_get_ephemerals(c, P, NULL));
    NUL(zkrs_client_whoami(NULL, NULL));
    NUL(zkrs_client_whoami(c, NULL));
    NUL(zkrs_client_get_config(NULL, NULL, &b, NULL));
    NUL(zkrs_client_get_config(c, NULL, NULL, NULL));
    NUL(zkrs_client_reconfig(NULL, "", "", "", -1, &b, NULL));

    /* watches passed to refused calls: free_userdata runs once, fn never */
    counter_add(&freed, -counter_get(&freed));
    NUL(zkrs_client_get_data(c, NULL, &w, &b, NULL));
    NUL(zkrs_client_exists(NULL, P, &w, &e, NULL));
    NUL(zkrs_client_get_children(c, P, &w, NULL, NULL));
    NUL(zkrs_client_get_data_async(c, P, &w, NULL, NULL));
    NUL(zkrs_client_exists_future(c, P, &w, NULL));
    NUL(zkrs_client_add_watch(c, NULL, ZKRS_ADD_WATCH_PERSISTENT, never_fn, NULL, count_free, NULL));
    NUL(zkrs_client_add_watch(c, P, ZKRS_ADD_WATCH_PERSISTENT, NULL, NULL, count_free, NULL));
    CHECK_INT(counter_get(&freed), 7);

    /* async forms: NULL client, path, callback */
    NUL(zkrs_client_create_async(NULL, P, NULL, 0, NULL, on_create, NULL));
    NUL(zkrs_client_create_async(c, NULL, NULL, 0, NULL, on_create, NULL));
    NUL(zkrs_client_create_async(c, P, NULL, 0, NULL, NULL, NULL));
    NUL(zkrs_client_get_data_async(NULL, P, NULL, on_data, NULL));
    NUL(zkrs_client_get_data_async(c, NULL, NULL, on_data, NULL));
    NUL(zkrs_client_set_data_async(c, NULL, NULL, 0, -1, on_stat, NULL));
    NUL(zkrs_client_set_data_async(c, P, NULL, 0, -1, NULL, NULL));
    NUL(zkrs_client_exists_async(c, NULL, NULL, on_exists, NULL));
    NUL(zkrs_client_exists_async(c, P, NULL, NULL, NULL));
    NUL(zkrs_client_delete_async(c, NULL, -1, on_void, NULL));
    NUL(zkrs_client_delete_async(NULL, P, -1, on_void, NULL));
    NUL(zkrs_client_get_children_async(c, NULL, NULL, on_children, NULL));
    NUL(zkrs_client_get_children_async(c, P, NULL, NULL, NULL));
    NUL(zkrs_client_get_acl_async(c, NULL, on_acl, NULL));
    NUL(zkrs_client_get_acl_async(c, P, NULL, NULL));
    NUL(zkrs_client_set_acl_async(c, P, NULL, -1, on_stat, NULL));
    NUL(zkrs_client_set_acl_async(c, P, acl, -1, NULL, NULL));
    NUL(zkrs_client_sync_async(c, NULL, on_void, NULL));
    NUL(zkrs_client_sync_async(c, P, NULL, NULL));
    NUL(zkrs_client_ensure_path_async(c, NULL, on_void, NULL));
    NUL(zkrs_client_delete_recursive_async(c, NULL, on_void, NULL));
    NUL(zkrs_client_get_ephemerals_async(c, NULL, on_strings, NULL));
    NUL(zkrs_client_get_ephemerals_async(c, P, NULL, NULL));
    NUL(zkrs_client_get_all_children_number_async(c, NULL, on_count, NULL));
    NUL(zkrs_client_get_all_children_number_async(c, P, NULL, NULL));
    NUL(zkrs_client_add_auth_async(c, NULL, U8("a:b"), 3, on_void, NULL));
    NUL(zkrs_client_whoami_async(c, NULL, NULL));
    NUL(zkrs_client_whoami_async(NULL, on_info, NULL));
    NUL(zkrs_client_get_config_async(c, NULL, NULL, NULL));
    NUL(zkrs_client_remove_watches_async(c, NULL, ZKRS_WATCHER_ANY, true, on_void, NULL));
    NUL(zkrs_client_check_watches_async(c, P, ZKRS_WATCHER_ANY, NULL, NULL));

    /* future forms: NULL out */
    NUL(zkrs_client_get_data_future(c, P, NULL, NULL));
    NUL(zkrs_client_set_data_future(c, P, NULL, 0, -1, NULL));
    NUL(zkrs_client_create_future(c, P, NULL, 0, NULL, NULL));
    NUL(zkrs_client_delete_future(c, P, -1, NULL));
    NUL(zkrs_client_delete_recursive_future(c, P, NULL));
    NUL(zkrs_client_exists_future(c, P, NULL, NULL));
    NUL(zkrs_client_get_children_future(c, P, NULL, NULL));
    NUL(zkrs_client_get_acl_future(c, P, NULL));
    NUL(zkrs_client_set_acl_future(c, P, NULL, -1, &f));
    NUL(zkrs_client_sync_future(c, NULL, &f));
    NUL(zkrs_client_ensure_path_future(c, P, NULL));
    NUL(zkrs_client_get_ephemerals_future(c, P, NULL));
    NUL(zkrs_client_get_all_children_number_future(c, P, NULL));
    NUL(zkrs_client_add_auth_future(c, "digest", NULL, 3, &f));
    NUL(zkrs_client_whoami_future(c, NULL));
    NUL(zkrs_client_get_config_future(c, NULL, NULL));
    NUL(zkrs_client_reconfig_future(NULL, "", "", "", -1, &f));
    NUL(zkrs_client_remove_watches_future(c, P, ZKRS_WATCHER_ANY, true, NULL));
    NUL(zkrs_client_check_watches_future(c, NULL, ZKRS_WATCHER_ANY, &f));
    CHECK(f == NULL);

    /* futures themselves */
    CHECK(!zkrs_future_ready(NULL));
    NUL(zkrs_future_wait(NULL, 0));
    NUL(zkrs_future_get(NULL, 0));
    NUL(zkrs_future_get_data(NULL, 0, &b, NULL));
    NUL(zkrs_future_get_stat(NULL, 0, &st));
    NUL(zkrs_future_get_created(NULL, 0, &b, NULL));
    NUL(zkrs_future_get_exists(NULL, 0, &e, NULL));
    NUL(zkrs_future_get_children(NULL, 0, &l, NULL));
    NUL(zkrs_future_get_acl(NULL, 0, &acl, NULL));
    NUL(zkrs_future_get_count(NULL, 0, &i32));
    NUL(zkrs_future_get_strings(NULL, 0, &l));
    NUL(zkrs_future_get_txn(NULL, 0, NULL));
    NUL(zkrs_future_get_read_results(NULL, 0, NULL));
    NUL(zkrs_future_get_client_info(NULL, 0, NULL));
    NUL(zkrs_future_then(NULL, on_then, NULL));
    CHECK_OK(zkrs_client_get_data_future(c, "/", NULL, &f));
    NUL(zkrs_future_then(f, NULL, NULL));
    NUL(zkrs_future_get_data(f, WAIT_MS, NULL, NULL));
    NUL(zkrs_future_get_exists(f, WAIT_MS, NULL, NULL));
    NUL(zkrs_future_get_children(f, WAIT_MS, NULL, NULL));
    NUL(zkrs_future_get_acl(f, WAIT_MS, NULL, NULL));
    NUL(zkrs_future_get_count(f, WAIT_MS, NULL));
    NUL(zkrs_future_get_strings(f, WAIT_MS, NULL));
    zkrs_future_free(f);
    f = NULL;

    /* transactions, multi-read, persistent watches */
    zkrs_txn *txn = NULL;
    zkrs_txn_results *tr = NULL;
    NUL(zkrs_txn_new(NULL, &txn));
    NUL(zkrs_txn_new(c, NULL));
    CHECK_OK(zkrs_txn_new(c, &txn));
    NUL(zkrs_txn_create(NULL, P, NULL, 0, NULL));
    NUL(zkrs_txn_create(txn, NULL, NULL, 0, NULL));
    NUL(zkrs_txn_create(txn, P, NULL, 2, NULL));
    NUL(zkrs_txn_delete(NULL, P, -1));
    NUL(zkrs_txn_delete(txn, NULL, -1));
    NUL(zkrs_txn_set_data(txn, NULL, NULL, 0, -1));
    NUL(zkrs_txn_set_data(txn, P, NULL, 2, -1));
    NUL(zkrs_txn_check(txn, NULL, -1));
    NUL(zkrs_txn_check(NULL, P, -1));
    CHECK_INT(zkrs_txn_len(NULL), 0);
    NUL(zkrs_txn_commit(NULL, &tr));
    /* results_out may be NULL (documented) */
    NUL(zkrs_txn_commit_async(NULL, on_txn, NULL));
    NUL(zkrs_txn_commit_async(txn, NULL, NULL));
    NUL(zkrs_txn_commit_future(NULL, &f));
    NUL(zkrs_txn_commit_future(txn, NULL));
    zkrs_txn_free(txn);
    CHECK_INT(zkrs_txn_results_len(NULL), 0);
    NUL(zkrs_txn_results_get(NULL, 0, NULL, NULL, NULL, NULL));
    zkrs_read_op ops[1] = {{ZKRS_READ_GET_DATA, NULL}};
    zkrs_read_results *rr = NULL;
    NUL(zkrs_client_multi_read(NULL, ops, 1, &rr));
    NUL(zkrs_client_multi_read(c, NULL, 1, &rr));
    NUL(zkrs_client_multi_read(c, ops, 1, &rr)); /* ops[0].path is NULL */
    ops[0].path = "/";
    NUL(zkrs_client_multi_read(c, ops, 1, NULL));
    NUL(zkrs_client_multi_read_async(c, ops, 1, NULL, NULL));
    NUL(zkrs_client_multi_read_async(c, NULL, 1, on_reads, NULL));
    NUL(zkrs_client_multi_read_future(c, ops, 1, NULL));
    CHECK_INT(zkrs_read_results_len(NULL), 0);
    NUL(zkrs_read_results_get_data(NULL, 0, NULL, NULL, NULL));
    NUL(zkrs_read_results_get_children(NULL, 0, NULL));
    NUL(zkrs_watch_remove(NULL));
    NUL(zkrs_client_remove_watches(NULL, P, ZKRS_WATCHER_ANY, true));
    NUL(zkrs_client_remove_watches(c, NULL, ZKRS_WATCHER_ANY, true));
    NUL(zkrs_client_check_watches(c, NULL, ZKRS_WATCHER_ANY));

    /* lists and buffers */
    NUL(zkrs_acl_list_new(NULL));
    NUL(zkrs_acl_list_new_open_unsafe(NULL));
    NUL(zkrs_acl_list_new_read_unsafe(NULL));
    NUL(zkrs_acl_list_new_creator_all(NULL));
    NUL(zkrs_acl_list_add(NULL, 1, "world", "anyone"));
    NUL(zkrs_acl_list_add(acl, 1, NULL, "anyone"));
    NUL(zkrs_acl_list_add(acl, 1, "world", NULL));
    NUL(zkrs_acl_list_add_digest(NULL, 1, "u", "p"));
    NUL(zkrs_acl_list_add_digest(acl, 1, NULL, "p"));
    NUL(zkrs_acl_list_add_digest(acl, 1, "u", NULL));
    NUL(zkrs_acl_list_get(NULL, 0, &i32, &s, &s));
    CHECK_INT(zkrs_acl_list_len(NULL), 0);
    CHECK_INT(zkrs_acl_list_len(acl), 1); /* nothing was added by the refused calls */
    NUL(zkrs_client_info_list_get(NULL, 0, &s, &s));
    CHECK_INT(zkrs_client_info_list_len(NULL), 0);
    CHECK(zkrs_buf_data(NULL) == NULL);
    CHECK_INT(zkrs_buf_len(NULL), 0);
    CHECK_INT(zkrs_string_list_len(NULL), 0);
    CHECK(zkrs_string_list_get(NULL, 0) == NULL);
    CHECK(zkrs_rc_table(NULL) == NULL);

    /* _free(NULL) does nothing */
    zkrs_config_free(NULL);
    zkrs_client_free(NULL);
    zkrs_buf_free(NULL);
    zkrs_string_list_free(NULL);
    zkrs_acl_list_free(NULL);
    zkrs_future_free(NULL);
    zkrs_txn_free(NULL);
    zkrs_txn_results_free(NULL);
    zkrs_read_results_free(NULL);
    zkrs_client_info_list_free(NULL);
    zkrs_watch_free(NULL);

    zkrs_acl_list_free(acl);
    zkrs_config_free(cfg);
    printf("NULL for every pointer argument: ok\n");
}

static void test_paths_and_text(zkrs_client *c) {
    const char *bad[] = {"", "relative", "/trailing/", "//double", "/a//b", "/a/./b", "/a/../b", "/.", "/..",
                         "/ctl\x01", "/del\x7f", "/\xef\x80\x80private-use"};
    zkrs_buf *b = NULL;
    zkrs_string_list *l = NULL;
    zkrs_acl_list *acl = NULL;
    zkrs_future *f = NULL;
    bool e;
    int32_t n;
    CHECK_OK(zkrs_acl_list_new_open_unsafe(&acl));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *p = bad[i];
        CHECK_RC(zkrs_client_create(c, p, NULL, 0, NULL, NULL, NULL), ZKRS_RC_INVALID_PATH);
        CHECK_RC(zkrs_client_get_data(c, p, NULL, &b, NULL), ZKRS_RC_INVALID_PATH);
        CHECK_RC(zkrs_client_set_data(c, p, NULL, 0, -1, NULL), ZKRS_RC_INVALID_PATH);
        CHECK_RC(zkrs_client_exists(c, p, NULL, &e, NULL), ZKRS_RC_INVALID_PATH);
        CHECK_RC(zkrs_client_delete(c, p, -1, false), ZKRS_RC_INVALID_PATH);
        CHECK_RC(zkrs_client_delete(c, p, -1, true), ZKRS_RC_INVALID_PATH);
        CHECK_RC(zkrs_client_get_children(c, p, NULL, &l, NULL), ZKRS_RC_INVALID_PATH);
        CHECK_RC(zkrs_client_get_acl(c, p, &acl, NULL), ZKRS_RC_INVALID_PATH);
        CHECK_RC(zkrs_client_set_acl(c, p, acl, -1, NULL), ZKRS_RC_INVALID_PATH);
        CHECK_RC(zkrs_client_sync(c, p), ZKRS_RC_INVALID_PATH);
        CHECK_RC(zkrs_client_ensure_path(c, p), ZKRS_RC_INVALID_PATH);
        CHECK_RC(zkrs_client_get_all_children_number(c, p, &n), ZKRS_RC_INVALID_PATH);
        CHECK_RC(zkrs_client_get_data_async(c, p, NULL, on_data, NULL), ZKRS_RC_INVALID_PATH);
        CHECK_RC(zkrs_client_exists_future(c, p, NULL, &f), ZKRS_RC_INVALID_PATH);
        CHECK_RC(zkrs_client_add_watch(c, p, ZKRS_ADD_WATCH_PERSISTENT, never_fn, NULL, NULL, NULL),
                 ZKRS_RC_INVALID_PATH);
        zkrs_txn *txn = NULL;
        CHECK_OK(zkrs_txn_new(c, &txn));
        CHECK_RC(zkrs_txn_create(txn, p, NULL, 0, NULL), ZKRS_RC_INVALID_PATH);
        CHECK_RC(zkrs_txn_check(txn, p, -1), ZKRS_RC_INVALID_PATH);
        CHECK_INT(zkrs_txn_len(txn), 0);
        zkrs_txn_free(txn);
    }
    CHECK(b == NULL && l == NULL && f == NULL);
    CHECK_INT(zkrs_acl_list_len(acl), 1);

    /* non-UTF-8 text: paths, config, ACL parts, auth scheme */
    const char *latin1 = "/caf\xe9";
    const char *truncated = "/x\xc3";
    CHECK_RC(zkrs_client_create(c, latin1, NULL, 0, NULL, NULL, NULL), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_client_get_data(c, truncated, NULL, &b, NULL), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_client_exists(c, latin1, NULL, &e, NULL), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_client_delete(c, latin1, -1, false), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_client_get_children_async(c, latin1, NULL, on_children, NULL), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_client_set_data_future(c, latin1, NULL, 0, -1, &f), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_client_add_auth(c, "dig\xff", U8("a:b"), 3), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_client_command(c, "ru\xffk", &b), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_acl_list_add(acl, 1, "world", "any\xfe"), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_acl_list_add_digest(acl, 1, "\xc0\x80", "p"), ZKRS_RC_INVALID_UTF8);
    zkrs_config *cfg = NULL;
    CHECK_OK(zkrs_config_new(&cfg));
    CHECK_RC(zkrs_config_set(cfg, "hosts", "127.0.0.1:2181/\xff"), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_config_set(cfg, "ho\xffsts", "x"), ZKRS_RC_INVALID_UTF8);
    zkrs_config_free(cfg);
    /* UTF-8 that is valid is fine (2- and 3-byte sequences) */
    char ok_path[256];
    snprintf(ok_path, sizeof ok_path, "%s/caf\xc3\xa9-\xe2\x82\xac", P);
    CHECK_OK(zkrs_client_create(c, ok_path, NULL, 0, NULL, NULL, NULL));
    CHECK_OK(zkrs_client_get_children(c, P, NULL, &l, NULL));
    CHECK_INT(zkrs_string_list_len(l), 1);
    CHECK_STR(zkrs_string_list_get(l, 0), "caf\xc3\xa9-\xe2\x82\xac");
    zkrs_string_list_free(l);
    /* Characters beyond U+FFFF are surrogate pairs in Java, which the server's path rules refuse
     * (U+D800..U+F8FF): the client's validation says INVALID_PATH before sending. */
    snprintf(ok_path, sizeof ok_path, "%s/\xf0\x9f\x90\x98", P);
    CHECK_RC(zkrs_client_create(c, ok_path, NULL, 0, NULL, NULL, NULL), ZKRS_RC_INVALID_PATH);
    zkrs_acl_list_free(acl);
    printf("invalid paths and non-UTF-8 text: ok\n");
}

/* Credentials over 1 MiB, on a client of their own (they are kept and re-sent after reconnects). */
static void test_huge_auth(const char *hosts) {
    size_t over = 1024 * 1024 + 1;
    uint8_t *big = calloc(1, over);
    CHECK(big != NULL);
    memcpy(big, "user:", 5);
    zkrs_client *c = connect_with(hosts, "log_level", "error", (const char *)NULL);
    CHECK_RC(zkrs_client_add_auth(c, "digest", big, over), ZKRS_RC_DATA_TOO_LARGE);
    free(big);
    bool e = false;
    CHECK_OK(zkrs_client_exists(c, "/", NULL, &e, NULL));
    CHECK(e);
    zkrs_client_free(c);
}

static void test_sizes(zkrs_client *c) {
    size_t over = 1024 * 1024 + 1;
    uint8_t *big = calloc(1, over);
    zkrs_future *f = NULL;
    char p[256];
    CHECK(big != NULL);
    snprintf(p, sizeof p, "%s/big", P);
    CHECK_RC(zkrs_client_create(c, p, big, over, NULL, NULL, NULL), ZKRS_RC_DATA_TOO_LARGE);
    CHECK_RC(zkrs_client_create_async(c, p, big, over, NULL, on_create, NULL), ZKRS_RC_DATA_TOO_LARGE);
    CHECK_RC(zkrs_client_create_future(c, p, big, over, NULL, &f), ZKRS_RC_DATA_TOO_LARGE);
    CHECK_OK(zkrs_client_create(c, p, NULL, 0, NULL, NULL, NULL));
    CHECK_RC(zkrs_client_set_data(c, p, big, over, -1, NULL), ZKRS_RC_DATA_TOO_LARGE);
    CHECK_RC(zkrs_client_set_data_async(c, p, big, over, -1, on_stat, NULL), ZKRS_RC_DATA_TOO_LARGE);
    CHECK_RC(zkrs_client_set_data_future(c, p, big, over, -1, &f), ZKRS_RC_DATA_TOO_LARGE);
    zkrs_txn *txn = NULL;
    CHECK_OK(zkrs_txn_new(c, &txn));
    CHECK_RC(zkrs_txn_set_data(txn, p, big, over, -1), ZKRS_RC_DATA_TOO_LARGE);
    CHECK_RC(zkrs_txn_create(txn, p, big, over, NULL), ZKRS_RC_DATA_TOO_LARGE);
    zkrs_txn_free(txn);
    /* an impossible length with a valid pointer is refused before anything reads it */
    CHECK_RC(zkrs_client_set_data(c, p, big, (size_t)-1, -1, NULL), ZKRS_RC_DATA_TOO_LARGE);
    CHECK_RC(zkrs_client_create(c, p, big, (size_t)-1 / 2 + 1, NULL, NULL, NULL), ZKRS_RC_DATA_TOO_LARGE);
    free(big);
    CHECK(f == NULL);
    /* zero-length data with and without a pointer */
    zkrs_buf *b = NULL;
    CHECK_OK(zkrs_client_set_data(c, p, NULL, 0, -1, NULL));
    CHECK_OK(zkrs_client_set_data(c, p, U8("x"), 0, -1, NULL));
    CHECK_OK(zkrs_client_get_data(c, p, NULL, &b, NULL));
    CHECK_INT(zkrs_buf_len(b), 0);
    zkrs_buf_free(b);
    printf("data over 1 MiB, impossible lengths, zero-length data: ok\n");
}

static void test_after_close(const char *hosts) {
    zkrs_client *c = test_connect(hosts);
    zkrs_buf *b = NULL;
    zkrs_string_list *l = NULL;
    zkrs_acl_list *acl = NULL;
    zkrs_future *f = NULL;
    zkrs_txn *txn = NULL;
    bool e;
    int32_t n;
    int64_t id;
    size_t served;
    zkrs_watcher w = {never_fn, NULL, count_free};
    CHECK_OK(zkrs_txn_new(c, &txn));
    CHECK_OK(zkrs_txn_check(txn, "/", -1));
    CHECK_OK(zkrs_acl_list_new_open_unsafe(&acl));
    CHECK_OK(zkrs_client_close(c));
#define CLOSED(expr) CHECK_RC(expr, ZKRS_RC_CLOSED)
    CLOSED(zkrs_client_start(c, 0));
    CLOSED(zkrs_client_create(c, P, NULL, 0, NULL, NULL, NULL));
    CLOSED(zkrs_client_get_data(c, P, NULL, &b, NULL));
    CLOSED(zkrs_client_set_data(c, P, NULL, 0, -1, NULL));
    CLOSED(zkrs_client_exists(c, P, NULL, &e, NULL));
    CLOSED(zkrs_client_delete(c, P, -1, false));
    CLOSED(zkrs_client_get_children(c, P, NULL, &l, NULL));
    CLOSED(zkrs_client_get_acl(c, P, &acl, NULL));
    CLOSED(zkrs_client_set_acl(c, P, acl, -1, NULL));
    CLOSED(zkrs_client_sync(c, P));
    CLOSED(zkrs_client_ensure_path(c, P));
    CLOSED(zkrs_client_add_auth(c, "digest", U8("a:b"), 3));
    CLOSED(zkrs_client_get_all_children_number(c, P, &n));
    CLOSED(zkrs_client_get_ephemerals(c, P, &l));
    { zkrs_client_info_list *info = NULL; CLOSED(zkrs_client_whoami(c, &info)); CHECK(info == NULL); }
    CLOSED(zkrs_client_set_hosts(c, hosts));
    CLOSED(zkrs_client_current_server(c, &b));
    CLOSED(zkrs_client_command(c, "ruok", &b));
    CLOSED(zkrs_client_server_version(c, &b));
    CLOSED(zkrs_client_create_async(c, P, NULL, 0, NULL, on_create, NULL));
    CLOSED(zkrs_client_get_data_async(c, P, NULL, on_data, NULL));
    CLOSED(zkrs_client_delete_async(c, P, -1, on_void, NULL));
    CLOSED(zkrs_client_get_data_future(c, P, NULL, &f));
    CLOSED(zkrs_client_sync_future(c, P, &f));
    CLOSED(zkrs_txn_commit(txn, (zkrs_txn_results **)&b));
    CLOSED(zkrs_txn_new(c, &txn));
    CLOSED(zkrs_client_add_watch(c, P, ZKRS_ADD_WATCH_PERSISTENT, never_fn, NULL, count_free, NULL));
    CLOSED(zkrs_client_remove_watches(c, P, ZKRS_WATCHER_ANY, true));
    CLOSED(zkrs_client_check_watches(c, P, ZKRS_WATCHER_ANY));
    CLOSED(zkrs_client_add_state_listener(c, on_state, NULL, count_free, NULL));
    CLOSED(zkrs_client_dispatch(c, 0, &served));
    int before = counter_get(&freed);
    CLOSED(zkrs_client_get_data(c, P, &w, &b, NULL));
    CHECK_INT(counter_get(&freed), before + 1);
    CHECK(b == NULL && l == NULL && f == NULL);
    /* state and identity still work */
    CHECK_OK(zkrs_client_state(c, &n));
    CHECK_INT(n, ZKRS_STATE_CLOSED);
    CHECK_OK(zkrs_client_kazoo_state(c, &n));
    CHECK_INT(n, ZKRS_KAZOO_STATE_LOST);
    CHECK_OK(zkrs_client_session_id(c, &id));
    CHECK(id != 0);
    CHECK_OK(zkrs_client_close(c));
    zkrs_txn_free(txn);
    zkrs_acl_list_free(acl);
    zkrs_client_free(c);
    printf("every client function after close: CLOSED\n");
}

int main(int argc, char **argv) {
    const char *hosts = test_hosts(argc, argv);
    counter_init(&freed);
    test_prefix(P, sizeof P, "bad-input");
    zkrs_client *c = test_connect(hosts);
    CHECK_OK(zkrs_client_create(c, P, NULL, 0, NULL, NULL, NULL));
    test_nulls(c);
    test_paths_and_text(c);
    test_sizes(c);
    test_after_close(hosts);
    test_huge_auth(hosts);
    CHECK_OK(zkrs_client_delete(c, P, -1, true));
    zkrs_client_free(c);
    counter_destroy(&freed);
    printf("PASS bad_input\n");
    return 0;
}
