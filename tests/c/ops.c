/*
 * ops.c -- every synchronous operation of the C API, success and error paths, against a real server;
 * plus the things around them: versions, the result-code table, configuration errors, ACL lists,
 * client state, chroot.
 */
#include "check.h"

static char P[128]; /* this program's path prefix */

static const char *path(const char *suffix) {
    static char buf[8][256];
    static int next;
    char *b = buf[next++ % 8];
    snprintf(b, 256, "%s%s", P, suffix);
    return b;
}

static void test_versions_and_codes(void) {
    CHECK_STR(zkrs_version(), ZKRS_VERSION_STRING);
    CHECK_INT(zkrs_version_number(), ZKRS_VERSION_NUMBER);

    size_t n = 0;
    const zkrs_rc_desc *table = zkrs_rc_table(&n);
    CHECK(table != NULL);
    CHECK(n >= 40);
    int seen_no_node = 0, seen_closed = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK(table[i].name != NULL && table[i].name[0] != '\0');
        CHECK(table[i].message != NULL && table[i].message[0] != '\0');
        CHECK_STR(zkrs_rc_name(table[i].rc), table[i].name);
        CHECK_STR(zkrs_rc_message(table[i].rc), table[i].message);
        for (size_t j = 0; j < i; j++) {
            CHECK_MSG(table[j].rc != table[i].rc, "code %d listed twice", (int)table[i].rc);
            CHECK_MSG(strcmp(table[j].name, table[i].name) != 0, "name %s listed twice", table[i].name);
        }
        if (table[i].rc == ZKRS_RC_NO_NODE) seen_no_node = 1;
        if (table[i].rc == ZKRS_RC_CLOSED) seen_closed = 1;
    }
    CHECK(seen_no_node && seen_closed);
    CHECK(zkrs_rc_table(NULL) == NULL);
    /* SPEC 2: the C client's numbers */
    CHECK_INT(ZKRS_RC_CONNECTION_LOSS, -4);
    CHECK_INT(ZKRS_RC_NO_NODE, -101);
    CHECK_INT(ZKRS_RC_NODE_EXISTS, -110);
    CHECK_INT(ZKRS_RC_NOT_EMPTY, -111);
    CHECK_INT(ZKRS_RC_SESSION_EXPIRED, -112);
    CHECK_INT(ZKRS_RC_NULL_ARGUMENT, -1000);
    CHECK_STR(zkrs_rc_name(ZKRS_RC_OK), "OK");
    CHECK_STR(zkrs_rc_name(ZKRS_RC_NO_NODE), "NO_NODE");
    CHECK_STR(zkrs_rc_name(ZKRS_RC_WOULD_DEADLOCK), "WOULD_DEADLOCK");
    CHECK_STR(zkrs_rc_name(12345), "UNKNOWN");
    CHECK(zkrs_rc_message(12345) != NULL && zkrs_rc_message(12345)[0] != '\0');
    CHECK(zkrs_rc_is_retriable(ZKRS_RC_CONNECTION_LOSS));
    CHECK(zkrs_rc_is_retriable(ZKRS_RC_OPERATION_TIMEOUT));
    CHECK(!zkrs_rc_is_retriable(ZKRS_RC_NO_NODE));
    CHECK(!zkrs_rc_is_retriable(ZKRS_RC_SESSION_EXPIRED));
    CHECK(!zkrs_rc_is_retriable(ZKRS_RC_OK));
    printf("versions and codes: ok (%zu codes)\n", n);
}

static void test_config(const char *hosts) {
    zkrs_config *cfg = NULL;
    zkrs_client *c = NULL;
    CHECK_OK(zkrs_config_new(&cfg));
    CHECK_RC_MSG(zkrs_config_set(cfg, "no_such_key", "1"), ZKRS_RC_UNKNOWN_CONFIG_KEY, "no_such_key");
    CHECK_RC(zkrs_config_set(cfg, "session_timeout_ms", "soon"), ZKRS_RC_INVALID_CONFIG_VALUE);
    CHECK_RC(zkrs_config_set(cfg, "session_timeout_ms", "-5"), ZKRS_RC_INVALID_CONFIG_VALUE);
    CHECK_RC(zkrs_config_set(cfg, "dispatch", "sometimes"), ZKRS_RC_INVALID_CONFIG_VALUE);
    CHECK_RC(zkrs_config_set(cfg, "read_only", "perhaps"), ZKRS_RC_INVALID_CONFIG_VALUE);
    CHECK_RC(zkrs_config_set(cfg, "log_level", "loud"), ZKRS_RC_INVALID_CONFIG_VALUE);
    CHECK_OK(zkrs_config_set(cfg, "read_only", "false"));
    CHECK_OK(zkrs_config_set(cfg, "randomize_hosts", "true"));
    CHECK_OK(zkrs_config_set(cfg, "log_level", "error"));
    CHECK_OK(zkrs_config_set(cfg, "max_queued_requests", "1000"));
    CHECK_RC(zkrs_config_set(cfg, "request_timeout_ms", "-1"), ZKRS_RC_INVALID_CONFIG_VALUE);
    CHECK_OK(zkrs_config_set(cfg, "request_timeout_ms", "0"));
    CHECK_OK(zkrs_config_set(cfg, "request_timeout_ms", "5000"));
    /* a bad connect string is refused when the client is made */
    CHECK_OK(zkrs_config_set(cfg, "hosts", hosts));
    CHECK_OK(zkrs_client_new(cfg, &c));
    zkrs_client_free(c); /* never started: free works */
    c = NULL;
    zkrs_config *bad = NULL;
    CHECK_OK(zkrs_config_new(&bad));
    zkrs_rc rc = zkrs_config_set(bad, "hosts", "127.0.0.1:2181/bad//chroot");
    if (rc == ZKRS_RC_OK) {
        CHECK_RC(zkrs_client_new(bad, &c), ZKRS_RC_INVALID_PATH);
        CHECK(c == NULL);
    } else {
        CHECK_INT(rc, ZKRS_RC_INVALID_CONFIG_VALUE);
    }
    zkrs_config_free(bad);
    /* a config stays usable after a client was made from it, and may be freed before the client */
    CHECK_OK(zkrs_client_new(cfg, &c));
    zkrs_config_free(cfg);
    CHECK_OK(zkrs_client_start(c, WAIT_MS));
    CHECK_OK(zkrs_client_start(c, WAIT_MS)); /* again: only waits */
    zkrs_client_free(c);
    printf("config: ok\n");
}

static void test_state(zkrs_client *zk) {
    int32_t state = 0, kstate = -1, timeout = 0;
    int64_t session = 0;
    CHECK_OK(zkrs_client_state(zk, &state));
    CHECK_INT(state, ZKRS_STATE_CONNECTED);
    CHECK_OK(zkrs_client_kazoo_state(zk, &kstate));
    CHECK_INT(kstate, ZKRS_KAZOO_STATE_CONNECTED);
    CHECK_OK(zkrs_client_session_id(zk, &session));
    CHECK(session != 0);
    CHECK_OK(zkrs_client_negotiated_timeout(zk, &timeout));
    CHECK_MSG(timeout >= 1000 && timeout <= 30000, "negotiated timeout %d", (int)timeout);
    /* dispatch and the event fd belong to poll mode */
    size_t served = 99;
    int32_t fd = -7;
    CHECK_RC(zkrs_client_dispatch(zk, 0, &served), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_RC(zkrs_client_event_fd(zk, &fd), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_INT(served, 99);
    CHECK_INT(fd, -7);
    printf("state: ok (session 0x%llx, timeout %d ms)\n", (unsigned long long)session, (int)timeout);
}

static void test_create(zkrs_client *zk) {
    zkrs_buf *created = NULL;
    zkrs_stat st;
    int64_t session = 0;
    CHECK_OK(zkrs_client_session_id(zk, &session));

    /* persistent, with the created path and the stat */
    memset(&st, 0xff, sizeof st);
    CHECK_OK(zkrs_client_create(zk, P, U8("root"), 4, NULL, &created, &st));
    CHECK_STR((const char *)zkrs_buf_data(created), P);
    CHECK_INT(zkrs_buf_len(created), strlen(P));
    CHECK_INT(st.version, 0);
    CHECK_INT(st.cversion, 0);
    CHECK_INT(st.aversion, 0);
    CHECK_INT(st.data_length, 4);
    CHECK_INT(st.num_children, 0);
    CHECK_INT(st.ephemeral_owner, 0);
    CHECK(st.czxid > 0 && st.czxid == st.mzxid);
    CHECK(st.ctime > 1500000000000LL && st.ctime == st.mtime);
    zkrs_buf_free(created);

    /* both outputs may be NULL */
    CHECK_OK(zkrs_client_create(zk, path("/a"), U8("A"), 1, NULL, NULL, NULL));

    /* NODE_EXISTS leaves the out-parameters alone */
    zkrs_buf *untouched = (zkrs_buf *)&st;
    zkrs_stat before;
    memset(&st, 0x5a, sizeof st);
    before = st;
    CHECK_RC_MSG(zkrs_client_create(zk, path("/a"), U8("x"), 1, NULL, &untouched, &st), ZKRS_RC_NODE_EXISTS, "/a");
    CHECK(untouched == (zkrs_buf *)&st);
    CHECK(memcmp(&st, &before, sizeof st) == 0);

    /* missing parent: NO_NODE, or created with makepath */
    CHECK_RC(zkrs_client_create(zk, path("/missing/child"), NULL, 0, NULL, NULL, NULL), ZKRS_RC_NO_NODE);
    zkrs_create_options o;
    memset(&o, 0, sizeof o);
    o.mode = ZKRS_CREATE_PERSISTENT;
    o.makepath = true;
    CHECK_OK(zkrs_client_create(zk, path("/deep/er/still"), U8("d"), 1, &o, NULL, NULL));
    bool exists = false;
    CHECK_OK(zkrs_client_exists(zk, path("/deep/er"), NULL, &exists, NULL));
    CHECK(exists);

    /* ephemeral: owned by this session; no children allowed */
    o.makepath = false;
    o.mode = ZKRS_CREATE_EPHEMERAL;
    CHECK_OK(zkrs_client_create(zk, path("/eph"), NULL, 0, &o, NULL, &st));
    CHECK_INT(st.ephemeral_owner, session);
    CHECK_RC(zkrs_client_create(zk, path("/eph/child"), NULL, 0, NULL, NULL, NULL),
             ZKRS_RC_NO_CHILDREN_FOR_EPHEMERALS);

    /* sequential: 10 digits appended, increasing */
    CHECK_OK(zkrs_client_create(zk, path("/seq"), NULL, 0, NULL, NULL, NULL));
    o.mode = ZKRS_CREATE_PERSISTENT_SEQUENTIAL;
    zkrs_buf *s1 = NULL, *s2 = NULL;
    CHECK_OK(zkrs_client_create(zk, path("/seq/n-"), NULL, 0, &o, &s1, NULL));
    o.mode = ZKRS_CREATE_EPHEMERAL_SEQUENTIAL;
    CHECK_OK(zkrs_client_create(zk, path("/seq/n-"), NULL, 0, &o, &s2, &st));
    CHECK_INT(st.ephemeral_owner, session);
    const char *prefix = path("/seq/n-");
    CHECK_INT(zkrs_buf_len(s1), strlen(prefix) + 10);
    CHECK(strncmp((const char *)zkrs_buf_data(s1), prefix, strlen(prefix)) == 0);
    CHECK(strcmp((const char *)zkrs_buf_data(s1), (const char *)zkrs_buf_data(s2)) < 0);
    CHECK_STR((const char *)zkrs_buf_data(s1) + strlen(prefix), "0000000000");
    zkrs_buf_free(s1);
    zkrs_buf_free(s2);
    /* a sequential node's prefix may end with / */
    o.mode = ZKRS_CREATE_PERSISTENT_SEQUENTIAL;
    CHECK_OK(zkrs_client_create(zk, path("/seq/"), NULL, 0, &o, &s1, NULL));
    CHECK_INT(zkrs_buf_len(s1), strlen(path("/seq/")) + 10);
    zkrs_buf_free(s1);

    /* container and TTL nodes (the server runs with extended types) */
    o.mode = ZKRS_CREATE_CONTAINER;
    CHECK_OK(zkrs_client_create(zk, path("/container"), NULL, 0, &o, NULL, NULL));
    o.mode = ZKRS_CREATE_PERSISTENT_WITH_TTL;
    o.ttl_ms = 600000;
    CHECK_OK(zkrs_client_create(zk, path("/ttl"), U8("t"), 1, &o, NULL, NULL));
    o.mode = ZKRS_CREATE_PERSISTENT_SEQUENTIAL_WITH_TTL;
    CHECK_OK(zkrs_client_create(zk, path("/ttl-seq-"), U8("t"), 1, &o, NULL, NULL));
    o.ttl_ms = 0;
    CHECK_RC(zkrs_client_create(zk, path("/ttl0"), NULL, 0, &o, NULL, NULL), ZKRS_RC_BAD_ARGUMENTS);
    o.mode = ZKRS_CREATE_PERSISTENT;
    o.ttl_ms = 1000;
    CHECK_RC_MSG(zkrs_client_create(zk, path("/ttl-on-persistent"), NULL, 0, &o, NULL, NULL), ZKRS_RC_BAD_ARGUMENTS,
                 "TTL");
    o.ttl_ms = 0;
    o.mode = 7;
    CHECK_RC_MSG(zkrs_client_create(zk, path("/mode7"), NULL, 0, &o, NULL, NULL), ZKRS_RC_BAD_ARGUMENTS, "mode");
    o.mode = -1;
    CHECK_RC(zkrs_client_create(zk, path("/mode-1"), NULL, 0, &o, NULL, NULL), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_OK(zkrs_client_exists(zk, path("/mode7"), NULL, &exists, NULL));
    CHECK(!exists);
    printf("create: ok\n");
}

static void test_data(zkrs_client *zk) {
    zkrs_buf *data = NULL;
    zkrs_stat st, st2;

    /* zero-length data: a valid, empty, NUL-terminated buffer */
    CHECK_OK(zkrs_client_create(zk, path("/empty"), NULL, 0, NULL, NULL, NULL));
    CHECK_OK(zkrs_client_get_data(zk, path("/empty"), NULL, &data, &st));
    CHECK(data != NULL);
    CHECK_INT(zkrs_buf_len(data), 0);
    CHECK(zkrs_buf_data(data) != NULL);
    CHECK_INT(zkrs_buf_data(data)[0], 0);
    CHECK_INT(st.data_length, 0);
    zkrs_buf_free(data);
    /* a non-NULL pointer with length 0 is zero-length data too */
    CHECK_OK(zkrs_client_set_data(zk, path("/empty"), U8("ignored"), 0, -1, &st));
    CHECK_INT(st.data_length, 0);
    CHECK_INT(st.version, 1);

    /* binary data with NUL bytes survives */
    const uint8_t bin[] = {0, 1, 2, 0, 255, 254, 0};
    CHECK_OK(zkrs_client_create(zk, path("/bin"), bin, sizeof bin, NULL, NULL, NULL));
    CHECK_OK(zkrs_client_get_data(zk, path("/bin"), NULL, &data, NULL));
    CHECK_INT(zkrs_buf_len(data), sizeof bin);
    CHECK(memcmp(zkrs_buf_data(data), bin, sizeof bin) == 0);
    CHECK_INT(zkrs_buf_data(data)[sizeof bin], 0);
    zkrs_buf_free(data);

    /* large data: 1000 KiB round-trips; over 1 MiB is DATA_TOO_LARGE before anything is sent */
    size_t big_len = 1000 * 1024;
    size_t huge_len = 1024 * 1024 + 1;
    uint8_t *big = malloc(huge_len);
    CHECK(big != NULL);
    for (size_t i = 0; i < huge_len; i++) big[i] = (uint8_t)(i * 7 + 3);
    CHECK_OK(zkrs_client_create(zk, path("/big"), big, big_len, NULL, NULL, &st));
    CHECK_INT(st.data_length, big_len);
    CHECK_OK(zkrs_client_get_data(zk, path("/big"), NULL, &data, NULL));
    CHECK_INT(zkrs_buf_len(data), big_len);
    CHECK(memcmp(zkrs_buf_data(data), big, big_len) == 0);
    zkrs_buf_free(data);
    CHECK_RC(zkrs_client_create(zk, path("/huge"), big, huge_len, NULL, NULL, NULL), ZKRS_RC_DATA_TOO_LARGE);
    CHECK_RC(zkrs_client_set_data(zk, path("/big"), big, huge_len, -1, NULL), ZKRS_RC_DATA_TOO_LARGE);
    free(big);
    bool exists = true;
    CHECK_OK(zkrs_client_exists(zk, path("/huge"), NULL, &exists, NULL));
    CHECK(!exists);

    /* get_data: the node's data and stat; NO_NODE leaves out-parameters alone */
    CHECK_OK(zkrs_client_get_data(zk, path("/a"), NULL, &data, &st));
    CHECK_BUF(data, "A");
    CHECK_INT(st.version, 0);
    zkrs_buf_free(data);
    zkrs_buf *untouched = (zkrs_buf *)&st;
    CHECK_RC_MSG(zkrs_client_get_data(zk, path("/nope"), NULL, &untouched, NULL), ZKRS_RC_NO_NODE, "/nope");
    CHECK(untouched == (zkrs_buf *)&st);

    /* set_data: versions */
    CHECK_OK(zkrs_client_set_data(zk, path("/a"), U8("B"), 1, 0, &st));
    CHECK_INT(st.version, 1);
    CHECK_INT(st.data_length, 1);
    CHECK(st.mzxid > st.czxid);
    CHECK_OK(zkrs_client_set_data(zk, path("/a"), U8("CC"), 2, -1, NULL));
    memset(&st2, 0x33, sizeof st2);
    zkrs_stat before = st2;
    CHECK_RC(zkrs_client_set_data(zk, path("/a"), U8("D"), 1, 1, &st2), ZKRS_RC_BAD_VERSION);
    CHECK(memcmp(&st2, &before, sizeof st2) == 0);
    CHECK_RC(zkrs_client_set_data(zk, path("/nope"), U8("D"), 1, -1, NULL), ZKRS_RC_NO_NODE);
    CHECK_OK(zkrs_client_get_data(zk, path("/a"), NULL, &data, &st));
    CHECK_BUF(data, "CC");
    CHECK_INT(st.version, 2);
    zkrs_buf_free(data);

    /* exists: stat when it exists, zeros when not */
    exists = false;
    CHECK_OK(zkrs_client_exists(zk, path("/a"), NULL, &exists, &st));
    CHECK(exists);
    CHECK_INT(st.version, 2);
    memset(&st, 0x77, sizeof st);
    CHECK_OK(zkrs_client_exists(zk, path("/nope"), NULL, &exists, &st));
    CHECK(!exists);
    CHECK_INT(st.czxid, 0);
    CHECK_INT(st.version, 0);
    CHECK_INT(st.num_children, 0);
    CHECK_OK(zkrs_client_exists(zk, path("/a"), NULL, &exists, NULL));
    CHECK(exists);
    printf("data: ok\n");
}

static int list_has(const zkrs_string_list *l, const char *s) {
    for (size_t i = 0; i < zkrs_string_list_len(l); i++)
        if (strcmp(zkrs_string_list_get(l, i), s) == 0) return 1;
    return 0;
}

static void test_children_and_delete(zkrs_client *zk) {
    zkrs_string_list *kids = NULL;
    zkrs_stat st;
    CHECK_OK(zkrs_client_create(zk, path("/kids"), NULL, 0, NULL, NULL, NULL));
    CHECK_OK(zkrs_client_get_children(zk, path("/kids"), NULL, &kids, &st));
    CHECK_INT(zkrs_string_list_len(kids), 0);
    CHECK(zkrs_string_list_get(kids, 0) == NULL);
    zkrs_string_list_free(kids);
    const char *names[] = {"x", "y", "z\xc3\xa9", "1"};
    for (int i = 0; i < 4; i++) {
        char p[256];
        snprintf(p, sizeof p, "%s/%s", path("/kids"), names[i]);
        CHECK_OK(zkrs_client_create(zk, p, NULL, 0, NULL, NULL, NULL));
    }
    CHECK_OK(zkrs_client_get_children(zk, path("/kids"), NULL, &kids, &st));
    CHECK_INT(zkrs_string_list_len(kids), 4);
    for (int i = 0; i < 4; i++) CHECK_MSG(list_has(kids, names[i]), "child %s missing", names[i]);
    CHECK(zkrs_string_list_get(kids, 4) == NULL);
    CHECK(zkrs_string_list_get(kids, (size_t)-1) == NULL);
    CHECK_INT(st.num_children, 4);
    CHECK_INT(st.cversion, 4);
    zkrs_string_list_free(kids);
    CHECK_OK(zkrs_client_get_children(zk, path("/kids"), NULL, &kids, NULL));
    zkrs_string_list_free(kids);
    zkrs_string_list *untouched = (zkrs_string_list *)&st;
    CHECK_RC(zkrs_client_get_children(zk, path("/nope"), NULL, &untouched, NULL), ZKRS_RC_NO_NODE);
    CHECK(untouched == (zkrs_string_list *)&st);

    int32_t count = -1;
    CHECK_OK(zkrs_client_get_all_children_number(zk, path("/kids"), &count));
    CHECK_INT(count, 4);
    CHECK_OK(zkrs_client_get_all_children_number(zk, path("/deep"), &count));
    CHECK_INT(count, 2);
    count = -9;
    CHECK_RC(zkrs_client_get_all_children_number(zk, path("/nope"), &count), ZKRS_RC_NO_NODE);
    CHECK_INT(count, -9);

    /* delete: NOT_EMPTY, BAD_VERSION, NO_NODE, then recursive */
    CHECK_RC_MSG(zkrs_client_delete(zk, path("/kids"), -1, false), ZKRS_RC_NOT_EMPTY, "/kids");
    CHECK_RC(zkrs_client_delete(zk, path("/kids/x"), 5, false), ZKRS_RC_BAD_VERSION);
    CHECK_OK(zkrs_client_delete(zk, path("/kids/x"), 0, false));
    CHECK_RC(zkrs_client_delete(zk, path("/kids/x"), -1, false), ZKRS_RC_NO_NODE);
    CHECK_RC(zkrs_client_delete(zk, path("/kids"), 3, true), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_OK(zkrs_client_delete(zk, path("/kids"), -1, true));
    bool exists = true;
    CHECK_OK(zkrs_client_exists(zk, path("/kids"), NULL, &exists, NULL));
    CHECK(!exists);
    CHECK_RC(zkrs_client_delete(zk, path("/kids"), -1, true), ZKRS_RC_NO_NODE);
    /* the root cannot be deleted */
    CHECK(zkrs_client_delete(zk, "/", -1, false) != ZKRS_RC_OK);

    /* ensure_path: deep, twice */
    CHECK_OK(zkrs_client_ensure_path(zk, path("/ensure/a/b/c")));
    CHECK_OK(zkrs_client_ensure_path(zk, path("/ensure/a/b/c")));
    CHECK_OK(zkrs_client_exists(zk, path("/ensure/a/b/c"), NULL, &exists, NULL));
    CHECK(exists);
    CHECK_RC(zkrs_client_ensure_path(zk, path("/eph/below")), ZKRS_RC_NO_CHILDREN_FOR_EPHEMERALS);

    /* sync */
    CHECK_OK(zkrs_client_sync(zk, P));
    CHECK_OK(zkrs_client_sync(zk, "/"));

    /* get_ephemerals: this session's ephemerals under a prefix */
    zkrs_string_list *eph = NULL;
    CHECK_OK(zkrs_client_get_ephemerals(zk, P, &eph));
    CHECK_INT(zkrs_string_list_len(eph), 2); /* /eph and the ephemeral sequential under /seq */
    CHECK(list_has(eph, path("/eph")));
    zkrs_string_list_free(eph);
    CHECK_OK(zkrs_client_get_ephemerals(zk, path("/seq"), &eph));
    CHECK_INT(zkrs_string_list_len(eph), 1);
    zkrs_string_list_free(eph);
    CHECK_OK(zkrs_client_get_ephemerals(zk, path("/none-here"), &eph));
    CHECK_INT(zkrs_string_list_len(eph), 0);
    zkrs_string_list_free(eph);
    printf("children, delete, ensure_path, sync, ephemerals: ok\n");
}

static void test_acl(zkrs_client *zk, const char *hosts) {
    zkrs_acl_list *acl = NULL;
    zkrs_stat st;
    int32_t perms = 0;
    const char *scheme = NULL, *id = NULL;

    /* the well-known lists */
    CHECK_OK(zkrs_acl_list_new_open_unsafe(&acl));
    CHECK_INT(zkrs_acl_list_len(acl), 1);
    CHECK_OK(zkrs_acl_list_get(acl, 0, &perms, &scheme, &id));
    CHECK_INT(perms, ZKRS_PERM_ALL);
    CHECK_STR(scheme, "world");
    CHECK_STR(id, "anyone");
    CHECK_RC(zkrs_acl_list_get(acl, 1, &perms, NULL, NULL), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_OK(zkrs_acl_list_get(acl, 0, NULL, NULL, NULL));
    zkrs_acl_list_free(acl);
    CHECK_OK(zkrs_acl_list_new_read_unsafe(&acl));
    CHECK_OK(zkrs_acl_list_get(acl, 0, &perms, &scheme, &id));
    CHECK_INT(perms, ZKRS_PERM_READ);
    zkrs_acl_list_free(acl);
    CHECK_OK(zkrs_acl_list_new_creator_all(&acl));
    CHECK_OK(zkrs_acl_list_get(acl, 0, &perms, &scheme, &id));
    CHECK_STR(scheme, "auth");
    /* creator-all without credentials: the server refuses it */
    zkrs_create_options o;
    memset(&o, 0, sizeof o);
    o.acl = acl;
    CHECK_RC(zkrs_client_create(zk, path("/creator"), NULL, 0, &o, NULL, NULL), ZKRS_RC_INVALID_ACL);
    zkrs_acl_list_free(acl);

    /* building a list */
    CHECK_OK(zkrs_acl_list_new(&acl));
    CHECK_INT(zkrs_acl_list_len(acl), 0);
    CHECK_RC(zkrs_acl_list_add(acl, 64, "world", "anyone"), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_RC(zkrs_acl_list_add(acl, ZKRS_PERM_READ, "", "anyone"), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_INT(zkrs_acl_list_len(acl), 0);
    CHECK_OK(zkrs_acl_list_add(acl, ZKRS_PERM_READ, "world", "anyone"));
    CHECK_OK(zkrs_acl_list_add_digest(acl, ZKRS_PERM_ALL, "alice", "secret"));
    CHECK_INT(zkrs_acl_list_len(acl), 2);
    CHECK_OK(zkrs_acl_list_get(acl, 1, &perms, &scheme, &id));
    CHECK_STR(scheme, "digest");
    /* base64(sha1("alice:secret")) */
    CHECK_MSG(strncmp(id, "alice:", 6) == 0 && strlen(id) == 6 + 28, "digest id %s", id);

    /* a node readable by anyone, writable by alice only */
    o.acl = acl;
    CHECK_OK(zkrs_client_create(zk, path("/guarded"), U8("g"), 1, &o, NULL, NULL));
    zkrs_acl_list_free(acl);
    acl = NULL;
    CHECK_OK(zkrs_client_get_acl(zk, path("/guarded"), &acl, &st));
    CHECK_INT(zkrs_acl_list_len(acl), 2);
    CHECK_INT(st.aversion, 0);
    zkrs_acl_list_free(acl);
    CHECK_RC(zkrs_client_set_data(zk, path("/guarded"), U8("h"), 1, -1, NULL), ZKRS_RC_NO_AUTH);
    zkrs_acl_list *untouched = (zkrs_acl_list *)&st;
    CHECK_RC(zkrs_client_get_acl(zk, path("/nope"), &untouched, NULL), ZKRS_RC_NO_NODE);
    CHECK(untouched == (zkrs_acl_list *)&st);

    /* another client with alice's credentials may write */
    zkrs_client *alice = test_connect(hosts);
    CHECK_OK(zkrs_client_add_auth(alice, "digest", U8("alice:secret"), 12));
    CHECK_OK(zkrs_client_set_data(alice, path("/guarded"), U8("h"), 1, -1, NULL));
    /* set_acl: versions, then open it up */
    CHECK_OK(zkrs_acl_list_new_open_unsafe(&acl));
    CHECK_RC(zkrs_client_set_acl(alice, path("/guarded"), acl, 7, NULL), ZKRS_RC_BAD_VERSION);
    CHECK_OK(zkrs_client_set_acl(alice, path("/guarded"), acl, 0, &st));
    CHECK_INT(st.aversion, 1);
    CHECK_RC(zkrs_client_set_acl(alice, path("/nope"), acl, -1, NULL), ZKRS_RC_NO_NODE);
    zkrs_acl_list_free(acl);
    CHECK_OK(zkrs_client_set_data(zk, path("/guarded"), U8("i"), 1, -1, NULL));
    /* an empty ACL is invalid */
    CHECK_OK(zkrs_acl_list_new(&acl));
    CHECK_RC(zkrs_client_set_acl(zk, path("/guarded"), acl, -1, NULL), ZKRS_RC_INVALID_ACL);
    zkrs_acl_list_free(acl);
    zkrs_client_free(alice);

    /* a read-only node refuses writes */
    CHECK_OK(zkrs_acl_list_new_read_unsafe(&acl));
    o.acl = acl;
    CHECK_OK(zkrs_client_create(zk, path("/readonly"), NULL, 0, &o, NULL, NULL));
    zkrs_acl_list_free(acl);
    CHECK_RC(zkrs_client_set_data(zk, path("/readonly"), U8("w"), 1, -1, NULL), ZKRS_RC_NO_AUTH);
    CHECK_RC(zkrs_client_create(zk, path("/readonly/child"), NULL, 0, NULL, NULL, NULL), ZKRS_RC_NO_AUTH);
    printf("acl: ok\n");
}

static void test_chroot(const char *hosts) {
    char chrooted[512];
    snprintf(chrooted, sizeof chrooted, "%s%s", hosts, path("/chroot"));
    zkrs_client *root = test_connect(hosts);
    CHECK_OK(zkrs_client_ensure_path(root, path("/chroot")));
    zkrs_client *c = test_connect(chrooted);
    zkrs_buf *created = NULL;
    zkrs_string_list *kids = NULL;
    CHECK_OK(zkrs_client_create(c, "/inside", U8("in"), 2, NULL, &created, NULL));
    CHECK_STR((const char *)zkrs_buf_data(created), "/inside");
    zkrs_buf_free(created);
    CHECK_OK(zkrs_client_get_children(c, "/", NULL, &kids, NULL));
    CHECK_INT(zkrs_string_list_len(kids), 1);
    CHECK_STR(zkrs_string_list_get(kids, 0), "inside");
    zkrs_string_list_free(kids);
    bool exists = false;
    CHECK_OK(zkrs_client_exists(root, path("/chroot/inside"), NULL, &exists, NULL));
    CHECK(exists);
    zkrs_client_free(c);
    zkrs_client_free(root);
    printf("chroot: ok\n");
}

int main(int argc, char **argv) {
    const char *hosts = test_hosts(argc, argv);
    test_prefix(P, sizeof P, "ops");
    test_versions_and_codes();
    test_config(hosts);
    zkrs_client *zk = test_connect(hosts);
    test_state(zk);
    test_create(zk);
    test_data(zk);
    test_children_and_delete(zk);
    test_acl(zk, hosts);
    test_chroot(hosts);
    CHECK_OK(zkrs_client_delete(zk, P, -1, true));
    CHECK_OK(zkrs_client_close(zk));
    int32_t state = 0;
    CHECK_OK(zkrs_client_state(zk, &state));
    CHECK_INT(state, ZKRS_STATE_CLOSED);
    zkrs_client_free(zk);
    printf("PASS ops\n");
    return 0;
}
