/*
 * recipe_lease.c -- zkrs_lease_new / zkrs_multi_lease_new from C: kazoo's lease scenarios with the
 * clock given (the _at forms), the holder node's JSON, the system clock, and every function with bad
 * input (NULL pointers, bad path, non-UTF-8, negative duration, after close).
 */
#include "check.h"

static char P[128];
static int serial;

/* A fresh lease path under P. */
static void fresh(char *out, size_t size, const char *name) {
    snprintf(out, size, "%s/%s-%d", P, name, ++serial);
}

/* kazoo's MockClock starts at 10 s; times here are seconds. */
static bool at(zkrs_client *c, const char *path, int secs, const char *id, long long now_s) {
    bool got = false;
    CHECK_OK(zkrs_lease_new_at(c, path, (int64_t)secs * 1000, id, (int64_t)now_s * 1000, &got));
    return got;
}

static bool multi_at(zkrs_client *c, size_t count, const char *path, int secs, const char *id, long long now_s) {
    bool got = false;
    CHECK_OK(zkrs_multi_lease_new_at(c, count, path, (int64_t)secs * 1000, id, (int64_t)now_s * 1000, &got));
    return got;
}

static void single(zkrs_client *c, zkrs_client *c2) {
    char p[200];
    const char *other = "some.other.host";

    fresh(p, sizeof p, "renew");
    CHECK(at(c, p, 3, NULL, 10));
    CHECK(at(c, p, 3, NULL, 12));

    fresh(p, sizeof p, "busy");
    CHECK(at(c, p, 3, NULL, 10));
    CHECK(!at(c2, p, 3, other, 12));

    fresh(p, sizeof p, "overtake");
    CHECK(at(c, p, 3, NULL, 10));
    CHECK(at(c2, p, 3, other, 14));

    fresh(p, sizeof p, "renew-no-overtake");
    CHECK(at(c, p, 3, NULL, 10));
    CHECK(at(c, p, 3, NULL, 12));
    CHECK(!at(c2, p, 3, other, 14));

    fresh(p, sizeof p, "overtaker-renews");
    CHECK(at(c, p, 3, NULL, 10));
    CHECK(at(c2, p, 3, other, 14));
    CHECK(at(c2, p, 3, other, 16));

    fresh(p, sizeof p, "refuse-first");
    CHECK(at(c, p, 3, NULL, 10));
    CHECK(at(c2, p, 3, other, 14));
    CHECK(!at(c, p, 3, NULL, 16));

    /* the holder node is kazoo's JSON */
    fresh(p, sizeof p, "json");
    CHECK(at(c, p, 3, "host-1", 10));
    char holder[240];
    snprintf(holder, sizeof holder, "%s/lease_holder", p);
    zkrs_buf *b = NULL;
    CHECK_OK(zkrs_client_get_data(c, holder, NULL, &b, NULL));
    CHECK_BUF(b, "{\"version\": 1, \"holder\": \"host-1\", \"end\": \"1970-01-01T00:00:13\"}");
    zkrs_buf_free(b);

    /* the system clock: held now for a minute, so refused to another */
    fresh(p, sizeof p, "system-clock");
    bool got = false;
    CHECK_OK(zkrs_lease_new(c, p, 60000, "me", &got));
    CHECK(got);
    got = true;
    CHECK_OK(zkrs_lease_new(c2, p, 60000, "someone-else", &got));
    CHECK(!got);
    CHECK_OK(zkrs_lease_new(c, p, 60000, "me", &got));
    CHECK(got);

    /* a holder that is not kazoo's JSON */
    fresh(p, sizeof p, "garbage");
    snprintf(holder, sizeof holder, "%s/lease_holder", p);
    zkrs_create_options mk = {ZKRS_CREATE_PERSISTENT, 0, NULL, true};
    CHECK_OK(zkrs_client_create(c, holder, U8("junk"), 4, &mk, NULL, NULL));
    got = true;
    CHECK_RC(zkrs_lease_new(c, p, 1000, "x", &got), ZKRS_RC_MARSHALLING_ERROR);
    CHECK(got == true);
}

static void multi(zkrs_client *c, zkrs_client *c2, zkrs_client *c3) {
    char p[200];
    fresh(p, sizeof p, "m1-renew");
    CHECK(multi_at(c, 1, p, 4, NULL, 10));
    CHECK(multi_at(c, 1, p, 4, NULL, 12));

    fresh(p, sizeof p, "m1-reject");
    CHECK(multi_at(c, 1, p, 4, NULL, 10));
    CHECK(!multi_at(c2, 1, p, 4, "some.other.host", 12));

    fresh(p, sizeof p, "m2-renew");
    CHECK(multi_at(c, 2, p, 7, NULL, 10));
    CHECK(multi_at(c2, 2, p, 7, "host2", 12));
    CHECK(multi_at(c, 2, p, 7, NULL, 14));
    CHECK(multi_at(c2, 2, p, 7, "host2", 16));

    fresh(p, sizeof p, "m2-reject");
    CHECK(multi_at(c, 2, p, 7, NULL, 10));
    CHECK(multi_at(c2, 2, p, 7, "host2", 12));
    CHECK(!multi_at(c3, 2, p, 7, "host3", 14));

    fresh(p, sizeof p, "m2-handover");
    CHECK(multi_at(c, 2, p, 4, NULL, 10));
    CHECK(multi_at(c2, 2, p, 4, "host2", 12));
    CHECK(multi_at(c3, 2, p, 4, "host3", 15));
    CHECK(multi_at(c, 2, p, 4, NULL, 17));

    /* numbered children, count 0 obtains nothing, the system clock form */
    fresh(p, sizeof p, "m-layout");
    CHECK(!multi_at(c, 0, p, 4, "a", 10));
    bool got = false;
    CHECK_OK(zkrs_multi_lease_new(c, 2, p, 60000, "a", &got));
    CHECK(got);
    CHECK_OK(zkrs_multi_lease_new(c, 2, p, 60000, "b", &got));
    CHECK(got);
    CHECK_OK(zkrs_multi_lease_new(c, 2, p, 60000, "c", &got));
    CHECK(!got);
    char child[240];
    bool exists = false;
    snprintf(child, sizeof child, "%s/1/lease_holder", p);
    CHECK_OK(zkrs_client_exists(c, child, NULL, &exists, NULL));
    CHECK(exists);
}

static void bad_input(zkrs_client *c) {
    char p[200];
    fresh(p, sizeof p, "bad");
    bool got = true;
    CHECK_RC(zkrs_lease_new(NULL, p, 1000, "x", &got), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_lease_new(c, NULL, 1000, "x", &got), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_lease_new(c, p, 1000, "x", NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_lease_new(c, "relative", 1000, "x", &got), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_lease_new(c, "/bad\xff", 1000, "x", &got), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_lease_new(c, p, 1000, "id\xfe", &got), ZKRS_RC_INVALID_UTF8);
    CHECK_RC_MSG(zkrs_lease_new(c, p, -1, "x", &got), ZKRS_RC_BAD_ARGUMENTS, "duration");
    CHECK_RC(zkrs_lease_new_at(NULL, p, 1000, "x", 0, &got), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_lease_new_at(c, NULL, 1000, "x", 0, &got), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_lease_new_at(c, p, 1000, "x", 0, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_lease_new_at(c, p, -5, "x", 0, &got), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_RC(zkrs_multi_lease_new(NULL, 2, p, 1000, "x", &got), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_multi_lease_new(c, 2, NULL, 1000, "x", &got), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_multi_lease_new(c, 2, p, 1000, "x", NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_multi_lease_new(c, 2, "/a//b", 1000, "x", &got), ZKRS_RC_INVALID_PATH);
    CHECK_RC(zkrs_multi_lease_new(c, 2, p, -1, "x", &got), ZKRS_RC_BAD_ARGUMENTS);
    CHECK_RC(zkrs_multi_lease_new(c, 2, p, 1000, "\xc3", &got), ZKRS_RC_INVALID_UTF8);
    CHECK_RC(zkrs_multi_lease_new_at(NULL, 2, p, 1000, "x", 0, &got), ZKRS_RC_NULL_ARGUMENT);
    CHECK_RC(zkrs_multi_lease_new_at(c, 2, p, 1000, "x", 0, NULL), ZKRS_RC_NULL_ARGUMENT);
    CHECK(got == true);
    bool exists = true;
    CHECK_OK(zkrs_client_exists(c, p, NULL, &exists, NULL));
    CHECK(!exists); /* nothing was made by a refused call */
}

static void after_close(const char *hosts) {
    zkrs_client *c = test_connect(hosts);
    CHECK_OK(zkrs_client_close(c));
    char p[200];
    fresh(p, sizeof p, "closed");
    bool got = true;
    CHECK_RC(zkrs_lease_new(c, p, 1000, "x", &got), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_lease_new_at(c, p, 1000, "x", 0, &got), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_multi_lease_new(c, 2, p, 1000, "x", &got), ZKRS_RC_CLOSED);
    CHECK_RC(zkrs_multi_lease_new_at(c, 2, p, 1000, "x", 0, &got), ZKRS_RC_CLOSED);
    CHECK(got == true);
    zkrs_client_free(c);
}

int main(int argc, char **argv) {
    const char *hosts = test_hosts(argc, argv);
    test_prefix(P, sizeof P, "lease");
    zkrs_client *c = test_connect(hosts);
    zkrs_client *c2 = test_connect(hosts);
    zkrs_client *c3 = test_connect(hosts);
    CHECK_OK(zkrs_client_ensure_path(c, P));
    single(c, c2);
    multi(c, c2, c3);
    bad_input(c);
    after_close(hosts);
    CHECK_OK(zkrs_client_delete(c, P, -1, true));
    zkrs_client *all[3] = {c, c2, c3};
    for (int i = 0; i < 3; i++) {
        CHECK_OK(zkrs_client_close(all[i]));
        zkrs_client_free(all[i]);
    }
    printf("PASS recipe_lease\n");
    return 0;
}
