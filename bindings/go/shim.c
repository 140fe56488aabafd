#include "shim.h"
#include "_cgo_export.h"

/* The Go trampolines are declared by cgo without const; these casts only add it back. */
#define UD(h) ((void *)(h))

static const zkrs_watcher *watcher(uintptr_t watch, zkrs_watcher *w) {
    if (watch == 0) return NULL;
    w->fn = (zkrs_watch_fn)gozkWatchFired;
    w->userdata = UD(watch);
    w->free_userdata = (zkrs_free_fn)gozkRelease;
    return w;
}

zkrs_rc gozk_create(zkrs_client *c, const char *path, const uint8_t *data, size_t len,
                    const zkrs_create_options *opts, uintptr_t h) {
    return zkrs_client_create_async(c, path, data, len, opts, (zkrs_create_fn)gozkCreated, UD(h));
}

zkrs_rc gozk_get_data(zkrs_client *c, const char *path, uintptr_t watch, uintptr_t h) {
    zkrs_watcher w;
    return zkrs_client_get_data_async(c, path, watcher(watch, &w), (zkrs_data_fn)gozkData, UD(h));
}

zkrs_rc gozk_set_data(zkrs_client *c, const char *path, const uint8_t *data, size_t len, int32_t version,
                      uintptr_t h) {
    return zkrs_client_set_data_async(c, path, data, len, version, (zkrs_stat_fn)gozkStat, UD(h));
}

zkrs_rc gozk_exists(zkrs_client *c, const char *path, uintptr_t watch, uintptr_t h) {
    zkrs_watcher w;
    return zkrs_client_exists_async(c, path, watcher(watch, &w), (zkrs_exists_fn)gozkExists, UD(h));
}

zkrs_rc gozk_delete(zkrs_client *c, const char *path, int32_t version, uintptr_t h) {
    return zkrs_client_delete_async(c, path, version, (zkrs_void_fn)gozkVoid, UD(h));
}

zkrs_rc gozk_delete_recursive(zkrs_client *c, const char *path, uintptr_t h) {
    return zkrs_client_delete_recursive_async(c, path, (zkrs_void_fn)gozkVoid, UD(h));
}

zkrs_rc gozk_get_children(zkrs_client *c, const char *path, uintptr_t watch, uintptr_t h) {
    zkrs_watcher w;
    return zkrs_client_get_children_async(c, path, watcher(watch, &w), (zkrs_children_fn)gozkChildren, UD(h));
}

zkrs_rc gozk_get_acl(zkrs_client *c, const char *path, uintptr_t h) {
    return zkrs_client_get_acl_async(c, path, (zkrs_acl_fn)gozkACL, UD(h));
}

zkrs_rc gozk_set_acl(zkrs_client *c, const char *path, const zkrs_acl_list *acl, int32_t version, uintptr_t h) {
    return zkrs_client_set_acl_async(c, path, acl, version, (zkrs_stat_fn)gozkStat, UD(h));
}

zkrs_rc gozk_sync(zkrs_client *c, const char *path, uintptr_t h) {
    return zkrs_client_sync_async(c, path, (zkrs_void_fn)gozkVoid, UD(h));
}

zkrs_rc gozk_ensure_path(zkrs_client *c, const char *path, uintptr_t h) {
    return zkrs_client_ensure_path_async(c, path, (zkrs_void_fn)gozkVoid, UD(h));
}

zkrs_rc gozk_add_auth(zkrs_client *c, const char *scheme, const uint8_t *cred, size_t len, uintptr_t h) {
    return zkrs_client_add_auth_async(c, scheme, cred, len, (zkrs_void_fn)gozkVoid, UD(h));
}

zkrs_rc gozk_get_ephemerals(zkrs_client *c, const char *prefix, uintptr_t h) {
    return zkrs_client_get_ephemerals_async(c, prefix, (zkrs_strings_fn)gozkStrings, UD(h));
}

zkrs_rc gozk_get_all_children_number(zkrs_client *c, const char *path, uintptr_t h) {
    return zkrs_client_get_all_children_number_async(c, path, (zkrs_count_fn)gozkCount, UD(h));
}

zkrs_rc gozk_whoami(zkrs_client *c, uintptr_t h) {
    return zkrs_client_whoami_async(c, (zkrs_client_info_fn)gozkClientInfo, UD(h));
}

zkrs_rc gozk_get_config(zkrs_client *c, uintptr_t watch, uintptr_t h) {
    zkrs_watcher w;
    return zkrs_client_get_config_async(c, watcher(watch, &w), (zkrs_data_fn)gozkData, UD(h));
}

zkrs_rc gozk_reconfig(zkrs_client *c, const char *joining, const char *leaving, const char *new_members,
                      int64_t from_config, uintptr_t h) {
    return zkrs_client_reconfig_async(c, joining, leaving, new_members, from_config, (zkrs_data_fn)gozkData,
                                      UD(h));
}

zkrs_rc gozk_multi_read(zkrs_client *c, const zkrs_read_op *ops, size_t n, uintptr_t h) {
    return zkrs_client_multi_read_async(c, ops, n, (zkrs_read_results_fn)gozkReadResults, UD(h));
}

zkrs_rc gozk_txn_commit(zkrs_txn *txn, uintptr_t h) {
    return zkrs_txn_commit_async(txn, (zkrs_txn_fn)gozkTxn, UD(h));
}

zkrs_rc gozk_remove_watches(zkrs_client *c, const char *path, int32_t kind, bool local, uintptr_t h) {
    return zkrs_client_remove_watches_async(c, path, kind, local, (zkrs_void_fn)gozkVoid, UD(h));
}

zkrs_rc gozk_check_watches(zkrs_client *c, const char *path, int32_t kind, uintptr_t h) {
    return zkrs_client_check_watches_async(c, path, kind, (zkrs_void_fn)gozkVoid, UD(h));
}

zkrs_rc gozk_add_watch(zkrs_client *c, const char *path, int32_t mode, uintptr_t listener, uintptr_t h,
                       zkrs_watch **watch_out) {
    return zkrs_client_add_watch_async(c, path, mode, (zkrs_watch_fn)gozkWatchFired, UD(listener),
                                       (zkrs_free_fn)gozkRelease, (zkrs_void_fn)gozkVoid, UD(h), watch_out);
}

zkrs_rc gozk_add_state_listener(zkrs_client *c, uintptr_t listener, uint64_t *id_out) {
    return zkrs_client_add_state_listener(c, (zkrs_state_fn)gozkStateChanged, UD(listener),
                                          (zkrs_free_fn)gozkRelease, id_out);
}

zkrs_rc gozk_data_watch_new(zkrs_client *c, const char *path, uintptr_t h, zkrs_data_watch **out) {
    return zkrs_data_watch_new(c, path, (zkrs_data_watch_fn)gozkDataWatch, UD(h), (zkrs_free_fn)gozkRelease, out);
}

zkrs_rc gozk_children_watch_new(zkrs_client *c, const char *path, bool allow_session_lost, bool send_event,
                                uintptr_t h, zkrs_children_watch **out) {
    return zkrs_children_watch_new(c, path, allow_session_lost, send_event, (zkrs_children_watch_fn)gozkChildrenWatch,
                                   UD(h), (zkrs_free_fn)gozkRelease, out);
}

zkrs_rc gozk_tree_cache_listen(zkrs_tree_cache *t, uintptr_t h) {
    return zkrs_tree_cache_listen(t, (zkrs_tree_event_fn)gozkTreeEvent, UD(h), (zkrs_free_fn)gozkRelease);
}

zkrs_rc gozk_tree_cache_listen_fault(zkrs_tree_cache *t, uintptr_t h) {
    return zkrs_tree_cache_listen_fault(t, (zkrs_tree_fault_fn)gozkTreeFault, UD(h), (zkrs_free_fn)gozkRelease);
}

zkrs_rc gozk_lock_set_lost(zkrs_lock *l, uintptr_t h) {
    return zkrs_lock_set_lost_callback(l, (zkrs_lost_fn)gozkLost, UD(h), (zkrs_free_fn)gozkRelease);
}

zkrs_rc gozk_semaphore_set_lost(zkrs_semaphore *s, uintptr_t h) {
    return zkrs_semaphore_set_lost_callback(s, (zkrs_lost_fn)gozkLost, UD(h), (zkrs_free_fn)gozkRelease);
}

zkrs_rc gozk_election_set_lost(zkrs_election *e, uintptr_t h) {
    return zkrs_election_set_lost_callback(e, (zkrs_lost_fn)gozkLost, UD(h), (zkrs_free_fn)gozkRelease);
}

zkrs_rc gozk_election_run(zkrs_election *e, int32_t timeout_ms, uintptr_t h) {
    return zkrs_election_run(e, timeout_ms, (zkrs_leader_fn)gozkLeader, UD(h), (zkrs_free_fn)gozkRelease);
}

/* h 0: no partition function (kazoo's round robin). */
zkrs_rc gozk_partitioner_new(zkrs_client *c, const char *path, const char *const *items, size_t items_len,
                            const char *identifier, int32_t time_boundary_ms, uintptr_t h, zkrs_partitioner **out) {
    zkrs_partition_fn fn = h == 0 ? NULL : (zkrs_partition_fn)gozkPartition;
    zkrs_free_fn release = h == 0 ? NULL : (zkrs_free_fn)gozkRelease;
    return zkrs_partitioner_new(c, path, items, items_len, identifier, time_boundary_ms, fn, UD(h), release, out);
}

zkrs_rc gozk_set_log_callback(uintptr_t h) {
    if (h == 0) return zkrs_set_log_callback(NULL, NULL, NULL);
    return zkrs_set_log_callback((zkrs_log_fn)gozkLog, UD(h), (zkrs_free_fn)gozkRelease);
}
