# frozen_string_literal: true

module Zkrs
  # A ZooKeeper client (kazoo's KazooClient) over a zkrs_client in poll mode.
  #
  #   client = Zkrs::Client.new("127.0.0.1:2181", session_timeout_ms: 10_000)
  #   client.start
  #   client.create("/app/x", "v", makepath: true)
  #   data, stat = client.get("/app/x") { |event| puts event.type }  # the block is a one-shot watch
  #   client.close
  #
  # Threads: every method may be called from any Ruby thread; blocking calls release the GVL. Every
  # block (watches, state listeners, async completions) runs on this client's dispatcher thread, a Ruby
  # thread started by `start` that drives zkrs_client_dispatch, one callback at a time in the order the
  # events happened. A block may call any sync method of any client. Timeouts are in seconds.
  class Client
    attr_reader :hosts

    # `hosts` is "host:port[,host:port...][/chroot]"; `options` are zkrs_config keys (session_timeout_ms:,
    # read_only:, "tls.ca_file" =>, auth: ["digest:user:pw", ...], ...). The client always dispatches in
    # poll mode (its callbacks run on Ruby threads).
    def initialize(hosts = "127.0.0.1:2181", **options)
      @hosts = hosts
      cfg_out = Native.out_pointer
      Zkrs.check(Native.zkrs_config_new(cfg_out))
      cfg = FFI::AutoPointer.new(cfg_out.read_pointer, Native.method(:zkrs_config_free))
      config_set(cfg, "hosts", hosts)
      options.each do |key, value|
        Array(value).each { |v| config_set(cfg, key.to_s, v) }
      end
      config_set(cfg, "dispatch", "poll")
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_client_new(cfg, out))
      @ptr = FFI::AutoPointer.new(out.read_pointer, Native.method(:zkrs_client_free))
      @lock = Mutex.new
      @dispatcher = nil
      @closed = false
    end

    # A started client, closed after the block if one is given (then the block's value is returned).
    def self.open(hosts = "127.0.0.1:2181", timeout: 10, **options)
      client = new(hosts, **options)
      client.start(timeout: timeout)
      return client unless block_given?

      begin
        yield client
      ensure
        client.close
      end
    end

    # Starts the dispatcher thread and the connection, waiting up to `timeout` seconds to be connected
    # (TimeoutError then; the client keeps trying in the background).
    def start(timeout: 10)
      @lock.synchronize { @dispatcher ||= start_dispatcher }
      Zkrs.check(Native.zkrs_client_start(@ptr, Native.millis(timeout)))
      self
    end

    # Ends the session (ephemeral nodes go), answers pending calls with ClosingError, ends every watch
    # with :client_closed; once it returns no block of this client runs again. Callable from a block.
    def close
      @closed = true
      Zkrs.check(Native.zkrs_client_close(@ptr))
      dispatcher = @lock.synchronize { @dispatcher }
      dispatcher.join if dispatcher && dispatcher != Thread.current
      nil
    end

    def closed?
      @closed
    end

    # -- state --------------------------------------------------------------------------------------

    # The server-level state: :connecting, :connected, :connected_read_only, :expired, :auth_failed, :closed.
    def state
      STATES.fetch(read_int32(:zkrs_client_state))
    end

    # kazoo's state: :connected, :suspended or :lost.
    def kazoo_state
      KAZOO_STATES.fetch(read_int32(:zkrs_client_kazoo_state))
    end

    def connected?
      %i[connected connected_read_only].include?(state)
    end

    def session_id
      out = FFI::MemoryPointer.new(:int64)
      Zkrs.check(Native.zkrs_client_session_id(@ptr, out))
      out.read_int64
    end

    # The session timeout the server granted, in ms.
    def session_timeout_ms
      read_int32(:zkrs_client_negotiated_timeout)
    end

    # "SESSIONID_HEX:PASSWORD_HEX": another client given `client_id:` this resumes the session.
    def client_id
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_client_id_string(@ptr, out))
      Native.take_text(out)
    end

    # "host:port" of the server the client is (or was last) connected to.
    def current_server
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_client_current_server(@ptr, out))
      Native.take_text(out)
    end

    def set_hosts(hosts)
      Zkrs.check(Native.zkrs_client_set_hosts(@ptr, hosts))
    end

    # A four-letter word's reply ("ruok", "srvr", ...).
    def command(cmd)
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_client_command(@ptr, cmd, out))
      Native.take_text(out)
    end

    def server_version
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_client_server_version(@ptr, out))
      Native.take_text(out)
    end

    # Calls the block with a StateEvent on every state change; returns an id for remove_listener.
    def add_listener(&block)
      raise ArgumentError, "add_listener needs a block" unless block

      id = FFI::MemoryPointer.new(:uint64)
      Zkrs.check(Native.zkrs_client_add_state_listener(@ptr, Callbacks::STATE, Callbacks.register(block),
                                                       Callbacks::FREE, id))
      id.read_uint64
    end

    def remove_listener(id)
      Zkrs.check(Native.zkrs_client_remove_state_listener(@ptr, id))
    end

    # -- operations ---------------------------------------------------------------------------------

    # Creates a node and returns its path (with the sequence number for sequential nodes).
    def create(path, value = "", acl: nil, ephemeral: false, sequence: false, makepath: false, container: false,
               ttl_ms: nil)
      data, len = Native.bytes(value)
      out = Native.out_pointer
      Native.with_acls(acl) do |list|
        opts = Native.create_options(list, ephemeral: ephemeral, sequence: sequence, makepath: makepath,
                                           container: container, ttl_ms: ttl_ms)
        Zkrs.check(Native.zkrs_client_create(@ptr, path, data, len, opts, out, nil))
      end
      Native.take_text(out)
    end

    # [data (binary String), Stat]. A block is a one-shot watch (set when the node exists): it gets a
    # WatchEvent on the node's change or deletion, or a terminal one.
    def get(path, &watch)
      out = Native.out_pointer
      stat = Native::Stat.new
      Zkrs.check(Native.zkrs_client_get_data(@ptr, path, Native.watcher(watch), out, stat))
      [Native.take_buf(out), Stat.from_native(stat)]
    end

    # Replaces the data if the version matches (-1: any); returns the new Stat.
    def set(path, value, version: -1)
      data, len = Native.bytes(value)
      stat = Native::Stat.new
      Zkrs.check(Native.zkrs_client_set_data(@ptr, path, data, len, version, stat))
      Stat.from_native(stat)
    end

    # The Stat, or nil if the node does not exist. A block is a one-shot watch, set in both cases
    # (creation, deletion, data change).
    def exists(path, &watch)
      exists = FFI::MemoryPointer.new(:bool)
      stat = Native::Stat.new
      Zkrs.check(Native.zkrs_client_exists(@ptr, path, Native.watcher(watch), exists, stat))
      exists.read(:bool) ? Stat.from_native(stat) : nil
    end

    def delete(path, version: -1, recursive: false)
      Zkrs.check(Native.zkrs_client_delete(@ptr, path, version, recursive))
    end

    # The children's names (unsorted), or [names, Stat] with include_stat. A block is a one-shot watch
    # (a child change or the node's deletion).
    def children(path, include_stat: false, &watch)
      out = Native.out_pointer
      stat = Native::Stat.new
      Zkrs.check(Native.zkrs_client_get_children(@ptr, path, Native.watcher(watch), out, stat))
      names = Native.take_string_list(out)
      include_stat ? [names, Stat.from_native(stat)] : names
    end

    # Creates the path and its missing parents; fine if it exists.
    def ensure_path(path)
      Zkrs.check(Native.zkrs_client_ensure_path(@ptr, path))
    end

    # [Array of ACL, Stat].
    def get_acls(path)
      out = Native.out_pointer
      stat = Native::Stat.new
      Zkrs.check(Native.zkrs_client_get_acl(@ptr, path, out, stat))
      [Native.take_acl_list(out), Stat.from_native(stat)]
    end

    def set_acls(path, acls, version: -1)
      stat = Native::Stat.new
      Native.with_acls(acls) { |list| Zkrs.check(Native.zkrs_client_set_acl(@ptr, path, list, version, stat)) }
      Stat.from_native(stat)
    end

    def sync(path)
      Zkrs.check(Native.zkrs_client_sync(@ptr, path))
    end

    # Adds credentials, e.g. add_auth("digest", "user:password").
    def add_auth(scheme, credential)
      data, len = Native.bytes(credential)
      Zkrs.check(Native.zkrs_client_add_auth(@ptr, scheme, data, len))
    end

    # The number of nodes under `path` at any depth.
    def all_children_number(path)
      out = FFI::MemoryPointer.new(:int32)
      Zkrs.check(Native.zkrs_client_get_all_children_number(@ptr, path, out))
      out.read_int32
    end

    # The paths of this session's ephemeral nodes under `prefix`.
    def ephemerals(prefix = "/")
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_client_get_ephemerals(@ptr, prefix, out))
      Native.take_string_list(out)
    end

    # Who the server thinks this session is: [[scheme, user], ...].
    def whoami
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_client_whoami(@ptr, out))
      list = out.read_pointer
      scheme = Native.out_pointer
      user = Native.out_pointer
      Array.new(Native.zkrs_client_info_list_len(list)) do |i|
        Zkrs.check(Native.zkrs_client_info_list_get(list, i, scheme, user))
        [scheme.read_pointer.read_string, user.read_pointer.read_string]
      end
    ensure
      Native.zkrs_client_info_list_free(list) if list
    end

    # The ensemble's dynamic configuration (/zookeeper/config: "server.1=host:2888:3888:participant;..."
    # lines and "version=..."), as [String, Stat]. A block is a one-shot watch on its next change.
    def get_config(&watch)
      text_and_stat { |out, stat| Native.zkrs_client_get_config(@ptr, Native.watcher(watch), out, stat) }
    end

    # Changes the ensemble's membership (servers with reconfigEnabled): incrementally with `joining`
    # ("server.4=host:2888:3888;2181,...") and/or `leaving` ("4,5"), or in bulk with `new_members`.
    # `from_config` is the expected config version (-1: any). Returns the new [config, Stat].
    def reconfig(joining: nil, leaving: nil, new_members: nil, from_config: -1)
      text_and_stat { |out, stat| Native.zkrs_client_reconfig(@ptr, joining, leaving, new_members, from_config, out, stat) }
    end

    # Several reads in one round trip: `reads` is [[:get, path] | [:children, path], ...]; returns one
    # entry per read: [data, Stat] or names, or the read's own error (an Error instance, not raised).
    def multi_read(reads)
      paths = reads.map { |_, path| FFI::MemoryPointer.from_string(path) }
      ops = FFI::MemoryPointer.new(Native::ReadOp, [reads.size, 1].max)
      reads.each_with_index do |(kind, _), i|
        op = Native::ReadOp.new(ops + i * Native::ReadOp.size)
        op[:kind] = { get: 1, children: 2 }.fetch(kind)
        op[:path] = paths[i]
      end
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_client_multi_read(@ptr, ops, reads.size, out))
      results = out.read_pointer
      reads.each_with_index.map { |(kind, _), i| read_result(results, kind, i) }
    ensure
      Native.zkrs_read_results_free(results) if results
    end

    # A new Transaction; with a block, the block fills it and it is committed (returns the results).
    def transaction
      txn = Transaction.new(@ptr)
      return txn unless block_given?

      yield txn
      txn.commit
    end

    # -- watches ------------------------------------------------------------------------------------

    # A persistent watch (ZooKeeper 3.6+): the block gets every event on `path` (and below it with
    # recursive:) until the watch ends with a terminal event. Returns a PersistentWatch (remove it with
    # #remove).
    def add_watch(path, recursive: false, &block)
      raise ArgumentError, "add_watch needs a block" unless block

      out = Native.out_pointer
      Zkrs.check(Native.zkrs_client_add_watch(@ptr, path, recursive ? 1 : 0, Callbacks::WATCH,
                                              Callbacks.register(block), Callbacks::FREE, out))
      PersistentWatch.new(out.read_pointer)
    end

    # Removes this client's watches of `kind` (WATCHER_KINDS) on `path`; each gets its terminal event.
    def remove_watches(path, kind = :any, local: false)
      Zkrs.check(Native.zkrs_client_remove_watches(@ptr, path, WATCHER_KINDS.fetch(kind), local))
    end

    # Whether this client has watches of `kind` on `path` (and the server knows them).
    def watches?(path, kind = :any)
      rc = Native.zkrs_client_check_watches(@ptr, path, WATCHER_KINDS.fetch(kind))
      return false if rc == NoWatcherError::CODE

      Zkrs.check(rc)
      true
    end

    # -- async (Futures) ----------------------------------------------------------------------------

    def get_async(path, &watch)
      future(:data) { |out| Native.zkrs_client_get_data_future(@ptr, path, Native.watcher(watch), out) }
    end

    def set_async(path, value, version: -1)
      data, len = Native.bytes(value)
      future(:stat) { |out| Native.zkrs_client_set_data_future(@ptr, path, data, len, version, out) }
    end

    def create_async(path, value = "", acl: nil, ephemeral: false, sequence: false, makepath: false,
                     container: false, ttl_ms: nil)
      data, len = Native.bytes(value)
      Native.with_acls(acl) do |list|
        opts = Native.create_options(list, ephemeral: ephemeral, sequence: sequence, makepath: makepath,
                                           container: container, ttl_ms: ttl_ms)
        future(:created) { |out| Native.zkrs_client_create_future(@ptr, path, data, len, opts, out) }
      end
    end

    def delete_async(path, version: -1, recursive: false)
      future(:void) do |out|
        if recursive
          Native.zkrs_client_delete_recursive_future(@ptr, path, out)
        else
          Native.zkrs_client_delete_future(@ptr, path, version, out)
        end
      end
    end

    def exists_async(path, &watch)
      future(:exists) { |out| Native.zkrs_client_exists_future(@ptr, path, Native.watcher(watch), out) }
    end

    def children_async(path, &watch)
      future(:children) { |out| Native.zkrs_client_get_children_future(@ptr, path, Native.watcher(watch), out) }
    end

    def sync_async(path)
      future(:void) { |out| Native.zkrs_client_sync_future(@ptr, path, out) }
    end

    def get_config_async(&watch)
      future(:data) { |out| Native.zkrs_client_get_config_future(@ptr, Native.watcher(watch), out) }
    end

    def reconfig_async(joining: nil, leaving: nil, new_members: nil, from_config: -1)
      future(:data) do |out|
        Native.zkrs_client_reconfig_future(@ptr, joining, leaving, new_members, from_config, out)
      end
    end

    def ensure_path_async(path)
      future(:void) { |out| Native.zkrs_client_ensure_path_future(@ptr, path, out) }
    end

    # The zkrs_client pointer, for the recipe classes.
    def native_handle
      @ptr
    end

    private

    def config_set(cfg, key, value)
      value = value.to_s if value.is_a?(Symbol) || value.is_a?(Numeric) || value == true || value == false
      Zkrs.check(Native.zkrs_config_set(cfg, key, value))
    end

    def read_int32(fn)
      out = FFI::MemoryPointer.new(:int32)
      Zkrs.check(Native.public_send(fn, @ptr, out))
      out.read_int32
    end

    # Runs a call that returns text in a zkrs_buf and a stat: [String, Stat].
    def text_and_stat
      out = Native.out_pointer
      stat = Native::Stat.new
      Zkrs.check(yield(out, stat))
      [Native.take_text(out), Stat.from_native(stat)]
    end

    def future(kind)
      out = Native.out_pointer
      Zkrs.check(yield(out))
      Future.new(out.read_pointer, kind)
    end

    def read_result(results, kind, i)
      if kind == :get
        data = Native.out_pointer
        len = FFI::MemoryPointer.new(:size_t)
        stat = Native::Stat.new
        rc = Native.zkrs_read_results_get_data(results, i, data, len, stat)
        rc.zero? ? [data.read_pointer.read_bytes(len.read(:size_t)), Stat.from_native(stat)] : Error.for(rc)
      else
        list = Native.out_pointer
        rc = Native.zkrs_read_results_get_children(results, i, list)
        rc.zero? ? Native.read_string_list(list.read_pointer) : Error.for(rc)
      end
    end

    # The dispatcher: runs this client's callbacks on a Ruby thread until the client is closed. The
    # short timeout keeps the thread responsive to close without relying on a wake-up from it.
    def start_dispatcher
      ptr = @ptr
      Thread.new do
        Thread.current.name = "zkrs-dispatch"
        served = FFI::MemoryPointer.new(:size_t)
        loop do
          rc = Native.zkrs_client_dispatch(ptr, 200, served)
          # CLOSED after close, FORKED in a child: nothing will ever be dispatched again.
          break unless rc.zero? || rc == TimeoutError::CODE
        end
      end
    end
  end

  # A persistent watch added by Client#add_watch.
  class PersistentWatch
    def initialize(raw)
      @ptr = FFI::AutoPointer.new(raw, Native.method(:zkrs_watch_free))
    end

    # Removes the watch: its block runs once more with :persistent_watch_removed, then is released.
    def remove
      Zkrs.check(Native.zkrs_watch_remove(@ptr))
    end
  end
end
