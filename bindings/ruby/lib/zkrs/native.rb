# frozen_string_literal: true

require "ffi"

module Zkrs
  # The C API of libzkrs (include/zkrs.h), one attach_function per C function used by the gem.
  #
  # Every call that can wait (network round trips, start/close, dispatch, future waits) is attached with
  # `blocking: true`: it releases the GVL so other Ruby threads (the dispatcher among them) keep running.
  # So is every call that may wait for a callback running on the dispatcher thread (registering
  # listeners, a recipe's holder state, freeing objects with callbacks): holding the GVL there would
  # deadlock with that callback. Accessors of already-held results are quick and keep the GVL.
  module Native
    extend FFI::Library

    # ZKRS_LIBRARY names the shared library explicitly (the tests point it at the freshly built one);
    # otherwise the dynamic loader looks for the installed library under its SONAME.
    ffi_lib(ENV["ZKRS_LIBRARY"] || ["libzkrs.so.0", "zkrs"])

    typedef :int32, :rc
    typedef :pointer, :client
    typedef :pointer, :future

    # zkrs_stat: ZooKeeper's Stat.
    class Stat < FFI::Struct
      layout :czxid, :int64,
             :mzxid, :int64,
             :ctime, :int64,
             :mtime, :int64,
             :version, :int32,
             :cversion, :int32,
             :aversion, :int32,
             :ephemeral_owner, :int64,
             :data_length, :int32,
             :num_children, :int32,
             :pzxid, :int64
    end

    # zkrs_watch_event (borrowed during the callback).
    class WatchEvent < FFI::Struct
      layout :type, :int32, :state, :int32, :path, :string
    end

    # zkrs_state_event (borrowed during the callback).
    class StateEvent < FFI::Struct
      layout :state, :int32, :kazoo_state, :int32, :previous_kazoo_state, :int32
    end

    # zkrs_rc_desc: one entry of zkrs_rc_table().
    class RcDesc < FFI::Struct
      layout :rc, :int32, :name, :string, :message, :string
    end

    callback :free_fn, [:pointer], :void
    callback :watch_fn, [:pointer, WatchEvent.by_ref], :void
    callback :state_fn, [:pointer, StateEvent.by_ref], :void
    callback :future_fn, [:pointer, :future], :void
    callback :void_fn, [:pointer, :rc, :string], :void

    # zkrs_watcher: a one-shot watch, copied during the call.
    class Watcher < FFI::Struct
      layout :fn, :watch_fn, :userdata, :pointer, :free_userdata, :free_fn
    end

    # zkrs_create_options, copied during the call.
    class CreateOptions < FFI::Struct
      layout :mode, :int32, :ttl_ms, :int64, :acl, :pointer, :makepath, :bool
    end

    # zkrs_read_op, read during the call.
    class ReadOp < FFI::Struct
      layout :kind, :int32, :path, :pointer
    end

    # Result codes and errors.
    attach_function :zkrs_rc_name, [:rc], :string
    attach_function :zkrs_rc_message, [:rc], :string
    attach_function :zkrs_rc_is_retriable, [:rc], :bool
    attach_function :zkrs_rc_table, [:pointer], :pointer
    attach_function :zkrs_last_error_message, [], :string
    attach_function :zkrs_version, [], :string

    # Owned results.
    attach_function :zkrs_buf_data, [:pointer], :pointer
    attach_function :zkrs_buf_len, [:pointer], :size_t
    attach_function :zkrs_buf_free, [:pointer], :void
    attach_function :zkrs_string_list_len, [:pointer], :size_t
    attach_function :zkrs_string_list_get, [:pointer, :size_t], :string
    attach_function :zkrs_string_list_free, [:pointer], :void
    attach_function :zkrs_acl_list_new, [:pointer], :rc
    attach_function :zkrs_acl_list_add, [:pointer, :int32, :string, :string], :rc
    attach_function :zkrs_acl_list_add_digest, [:pointer, :int32, :string, :string], :rc
    attach_function :zkrs_acl_list_len, [:pointer], :size_t
    attach_function :zkrs_acl_list_get, [:pointer, :size_t, :pointer, :pointer, :pointer], :rc
    attach_function :zkrs_acl_list_free, [:pointer], :void
    attach_function :zkrs_client_info_list_len, [:pointer], :size_t
    attach_function :zkrs_client_info_list_get, [:pointer, :size_t, :pointer, :pointer], :rc
    attach_function :zkrs_client_info_list_free, [:pointer], :void

    # Configuration and client lifecycle.
    attach_function :zkrs_config_new, [:pointer], :rc
    attach_function :zkrs_config_set, [:pointer, :string, :string], :rc
    attach_function :zkrs_config_free, [:pointer], :void
    attach_function :zkrs_client_new, [:pointer, :pointer], :rc
    attach_function :zkrs_client_start, [:client, :int32], :rc, blocking: true
    attach_function :zkrs_client_close, [:client], :rc, blocking: true
    attach_function :zkrs_client_free, [:client], :void, blocking: true
    attach_function :zkrs_client_dispatch, [:client, :int32, :pointer], :rc, blocking: true
    attach_function :zkrs_client_state, [:client, :pointer], :rc
    attach_function :zkrs_client_kazoo_state, [:client, :pointer], :rc
    attach_function :zkrs_client_session_id, [:client, :pointer], :rc
    attach_function :zkrs_client_negotiated_timeout, [:client, :pointer], :rc
    attach_function :zkrs_client_id_string, [:client, :pointer], :rc
    attach_function :zkrs_client_current_server, [:client, :pointer], :rc
    attach_function :zkrs_client_set_hosts, [:client, :string], :rc
    attach_function :zkrs_client_command, [:client, :string, :pointer], :rc, blocking: true
    attach_function :zkrs_client_server_version, [:client, :pointer], :rc, blocking: true
    attach_function :zkrs_client_add_state_listener, [:client, :state_fn, :pointer, :free_fn, :pointer], :rc,
                    blocking: true
    attach_function :zkrs_client_remove_state_listener, [:client, :uint64], :rc, blocking: true

    # Operations (sync: they wait for the server).
    attach_function :zkrs_client_create,
                    [:client, :string, :pointer, :size_t, CreateOptions.by_ref, :pointer, Stat.by_ref], :rc,
                    blocking: true
    attach_function :zkrs_client_get_data, [:client, :string, Watcher.by_ref, :pointer, Stat.by_ref], :rc,
                    blocking: true
    attach_function :zkrs_client_set_data, [:client, :string, :pointer, :size_t, :int32, Stat.by_ref], :rc,
                    blocking: true
    attach_function :zkrs_client_exists, [:client, :string, Watcher.by_ref, :pointer, Stat.by_ref], :rc,
                    blocking: true
    attach_function :zkrs_client_delete, [:client, :string, :int32, :bool], :rc, blocking: true
    attach_function :zkrs_client_get_children, [:client, :string, Watcher.by_ref, :pointer, Stat.by_ref], :rc,
                    blocking: true
    attach_function :zkrs_client_get_acl, [:client, :string, :pointer, Stat.by_ref], :rc, blocking: true
    attach_function :zkrs_client_set_acl, [:client, :string, :pointer, :int32, Stat.by_ref], :rc, blocking: true
    attach_function :zkrs_client_sync, [:client, :string], :rc, blocking: true
    attach_function :zkrs_client_ensure_path, [:client, :string], :rc, blocking: true
    attach_function :zkrs_client_add_auth, [:client, :string, :pointer, :size_t], :rc, blocking: true
    attach_function :zkrs_client_get_all_children_number, [:client, :string, :pointer], :rc, blocking: true
    attach_function :zkrs_client_get_ephemerals, [:client, :string, :pointer], :rc, blocking: true
    attach_function :zkrs_client_whoami, [:client, :pointer], :rc, blocking: true
    attach_function :zkrs_client_multi_read, [:client, :pointer, :size_t, :pointer], :rc, blocking: true
    attach_function :zkrs_client_get_config, [:client, Watcher.by_ref, :pointer, Stat.by_ref], :rc, blocking: true
    attach_function :zkrs_client_reconfig, [:client, :string, :string, :string, :int64, :pointer, Stat.by_ref], :rc,
                    blocking: true
    attach_function :zkrs_read_results_len, [:pointer], :size_t
    attach_function :zkrs_read_results_get_data, [:pointer, :size_t, :pointer, :pointer, Stat.by_ref], :rc
    attach_function :zkrs_read_results_get_children, [:pointer, :size_t, :pointer], :rc
    attach_function :zkrs_read_results_free, [:pointer], :void

    # Watches.
    attach_function :zkrs_client_add_watch,
                    [:client, :string, :int32, :watch_fn, :pointer, :free_fn, :pointer], :rc, blocking: true
    attach_function :zkrs_watch_remove, [:pointer], :rc, blocking: true
    attach_function :zkrs_watch_free, [:pointer], :void
    attach_function :zkrs_client_remove_watches, [:client, :string, :int32, :bool], :rc, blocking: true
    attach_function :zkrs_client_check_watches, [:client, :string, :int32], :rc, blocking: true

    # Retry policies.
    attach_function :zkrs_retry_new, [:pointer], :rc
    attach_function :zkrs_retry_set, [:pointer, :string, :string], :rc
    attach_function :zkrs_retry_call, [:pointer, :client, :pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_retry_free, [:pointer], :void

    # Logging.
    attach_function :zkrs_set_log_level, [:int32], :rc
    attach_function :zkrs_log_level, [], :int32

    # Transactions.
    attach_function :zkrs_txn_new, [:client, :pointer], :rc
    attach_function :zkrs_txn_create, [:pointer, :string, :pointer, :size_t, CreateOptions.by_ref], :rc
    attach_function :zkrs_txn_delete, [:pointer, :string, :int32], :rc
    attach_function :zkrs_txn_set_data, [:pointer, :string, :pointer, :size_t, :int32], :rc
    attach_function :zkrs_txn_check, [:pointer, :string, :int32], :rc
    attach_function :zkrs_txn_len, [:pointer], :size_t
    attach_function :zkrs_txn_commit, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_txn_commit_future, [:pointer, :pointer], :rc
    attach_function :zkrs_txn_free, [:pointer], :void
    attach_function :zkrs_txn_results_len, [:pointer], :size_t
    attach_function :zkrs_txn_results_failed_index, [:pointer], :ssize_t
    attach_function :zkrs_txn_results_get, [:pointer, :size_t, :pointer, :pointer, :pointer, Stat.by_ref], :rc
    attach_function :zkrs_txn_results_free, [:pointer], :void

    # Futures: the async calls of the gem.
    attach_function :zkrs_client_get_data_future, [:client, :string, Watcher.by_ref, :pointer], :rc
    attach_function :zkrs_client_set_data_future, [:client, :string, :pointer, :size_t, :int32, :pointer], :rc
    attach_function :zkrs_client_create_future,
                    [:client, :string, :pointer, :size_t, CreateOptions.by_ref, :pointer], :rc
    attach_function :zkrs_client_delete_future, [:client, :string, :int32, :pointer], :rc
    attach_function :zkrs_client_delete_recursive_future, [:client, :string, :pointer], :rc
    attach_function :zkrs_client_exists_future, [:client, :string, Watcher.by_ref, :pointer], :rc
    attach_function :zkrs_client_get_children_future, [:client, :string, Watcher.by_ref, :pointer], :rc
    attach_function :zkrs_client_sync_future, [:client, :string, :pointer], :rc
    attach_function :zkrs_client_ensure_path_future, [:client, :string, :pointer], :rc
    attach_function :zkrs_client_get_config_future, [:client, Watcher.by_ref, :pointer], :rc
    attach_function :zkrs_client_reconfig_future, [:client, :string, :string, :string, :int64, :pointer], :rc
    attach_function :zkrs_future_ready, [:future], :bool
    attach_function :zkrs_future_wait, [:future, :int32], :rc, blocking: true
    attach_function :zkrs_future_get, [:future, :int32], :rc, blocking: true
    attach_function :zkrs_future_get_data, [:future, :int32, :pointer, Stat.by_ref], :rc, blocking: true
    attach_function :zkrs_future_get_stat, [:future, :int32, Stat.by_ref], :rc, blocking: true
    attach_function :zkrs_future_get_created, [:future, :int32, :pointer, Stat.by_ref], :rc, blocking: true
    attach_function :zkrs_future_get_exists, [:future, :int32, :pointer, Stat.by_ref], :rc, blocking: true
    attach_function :zkrs_future_get_children, [:future, :int32, :pointer, Stat.by_ref], :rc, blocking: true
    attach_function :zkrs_future_get_txn, [:future, :int32, :pointer], :rc, blocking: true
    attach_function :zkrs_future_then, [:future, :future_fn, :pointer], :rc, blocking: true
    attach_function :zkrs_future_free, [:future], :void
  end
end
