/* C side of the Go binding: each gozk_* function starts one async zkrs call whose completion is one of
 * the Go trampolines (callbacks.go) and whose userdata is a runtime/cgo.Handle, passed as an integer so
 * that no Go pointer ever reaches C. A watch handle of 0 means "no watch". */
#ifndef ZKRS_GO_SHIM_H
#define ZKRS_GO_SHIM_H

#include <stdint.h>
#include "zkrs.h"

zkrs_rc gozk_create(zkrs_client *c, const char *path, const uint8_t *data, size_t len,
                    const zkrs_create_options *opts, uintptr_t h);
zkrs_rc gozk_get_data(zkrs_client *c, const char *path, uintptr_t watch, uintptr_t h);
zkrs_rc gozk_set_data(zkrs_client *c, const char *path, const uint8_t *data, size_t len, int32_t version,
                      uintptr_t h);
zkrs_rc gozk_exists(zkrs_client *c, const char *path, uintptr_t watch, uintptr_t h);
zkrs_rc gozk_delete(zkrs_client *c, const char *path, int32_t version, uintptr_t h);
zkrs_rc gozk_delete_recursive(zkrs_client *c, const char *path, uintptr_t h);
zkrs_rc gozk_get_children(zkrs_client *c, const char *path, uintptr_t watch, uintptr_t h);
zkrs_rc gozk_get_acl(zkrs_client *c, const char *path, uintptr_t h);
zkrs_rc gozk_set_acl(zkrs_client *c, const char *path, const zkrs_acl_list *acl, int32_t version, uintptr_t h);
zkrs_rc gozk_sync(zkrs_client *c, const char *path, uintptr_t h);
zkrs_rc gozk_ensure_path(zkrs_client *c, const char *path, uintptr_t h);
zkrs_rc gozk_add_auth(zkrs_client *c, const char *scheme, const uint8_t *cred, size_t len, uintptr_t h);
zkrs_rc gozk_get_ephemerals(zkrs_client *c, const char *prefix, uintptr_t h);
zkrs_rc gozk_get_all_children_number(zkrs_client *c, const char *path, uintptr_t h);
zkrs_rc gozk_whoami(zkrs_client *c, uintptr_t h);
zkrs_rc gozk_get_config(zkrs_client *c, uintptr_t watch, uintptr_t h);
zkrs_rc gozk_reconfig(zkrs_client *c, const char *joining, const char *leaving, const char *new_members,
                      int64_t from_config, uintptr_t h);
zkrs_rc gozk_multi_read(zkrs_client *c, const zkrs_read_op *ops, size_t n, uintptr_t h);
zkrs_rc gozk_txn_commit(zkrs_txn *txn, uintptr_t h);
zkrs_rc gozk_remove_watches(zkrs_client *c, const char *path, int32_t kind, bool local, uintptr_t h);
zkrs_rc gozk_check_watches(zkrs_client *c, const char *path, int32_t kind, uintptr_t h);
zkrs_rc gozk_add_watch(zkrs_client *c, const char *path, int32_t mode, uintptr_t listener, uintptr_t h,
                       zkrs_watch **watch_out);
zkrs_rc gozk_add_state_listener(zkrs_client *c, uintptr_t listener, uint64_t *id_out);
zkrs_rc gozk_data_watch_new(zkrs_client *c, const char *path, uintptr_t h, zkrs_data_watch **out);
zkrs_rc gozk_children_watch_new(zkrs_client *c, const char *path, bool allow_session_lost, bool send_event,
                                uintptr_t h, zkrs_children_watch **out);
zkrs_rc gozk_tree_cache_listen(zkrs_tree_cache *t, uintptr_t h);
zkrs_rc gozk_tree_cache_listen_fault(zkrs_tree_cache *t, uintptr_t h);
zkrs_rc gozk_lock_set_lost(zkrs_lock *l, uintptr_t h);
zkrs_rc gozk_semaphore_set_lost(zkrs_semaphore *s, uintptr_t h);
zkrs_rc gozk_election_set_lost(zkrs_election *e, uintptr_t h);
zkrs_rc gozk_election_run(zkrs_election *e, int32_t timeout_ms, uintptr_t h);
zkrs_rc gozk_partitioner_new(zkrs_client *c, const char *path, const char *const *items, size_t items_len,
                            const char *identifier, int32_t time_boundary_ms, uintptr_t h, zkrs_partitioner **out);

/* zkrs_set_log_callback with the gozkLog trampoline and handle h; h 0: back to stderr. */
zkrs_rc gozk_set_log_callback(uintptr_t h);

#endif
