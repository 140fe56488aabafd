/* bench.h -- what each client's benchmark program (c_client.c: libzookeeper_mt, zkrs_client.c: zkrs's
 * C API) provides to the shared workload driver, harness.c. The driver owns the window of requests in
 * flight: a client's completions call bench_done().
 */
#ifndef BENCH_H
#define BENCH_H

#define DATA_LEN 100

/* The client's name in RESULT lines ("c", "zkrs"). */
extern const char *const bench_client;

/* The main session: connect (blocking, returns 0 when connected) and close. */
int cl_connect(const char *hosts);
void cl_close(void);

/* Async requests on the main session; each returns 0 if submitted, and then its completion calls
 * bench_done(ok) exactly once (ok: succeeded and, for get, returned DATA_LEN bytes). */
int cl_get(const char *path);
int cl_set(const char *path, const char *data, int len);
int cl_create(const char *path, const char *data, int len);
int cl_delete(const char *path);
int cl_exists_watch(const char *path); /* a one-shot watch on a node that does not exist */

/* Sync requests on the main session; 0 = success. cl_ensure creates a persistent node (exists: fine). */
int cl_sync_get(const char *path);
int cl_ensure(const char *path, const char *data, int len);

/* More sessions in the same process, for the memory and thread figures; open blocks until connected. */
void *cl_session_open(const char *hosts);
void cl_session_close(void *session);

/* A TreeCache of `path` on the main session: returns after its INITIALIZED event with the number of
 * nodes it reported, or -1 if the client has no TreeCache (the C client). Closed by cl_close. */
long cl_tree_cache(const char *path);

void bench_done(int ok);

#endif
