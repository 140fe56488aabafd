# frozen_string_literal: true

module Zkrs
  # Create modes (ZKRS_CREATE_*).
  CREATE_MODES = {
    persistent: 0, ephemeral: 1, persistent_sequential: 2, ephemeral_sequential: 3, container: 4,
    persistent_with_ttl: 5, persistent_sequential_with_ttl: 6
  }.freeze

  # Watch event types (ZKRS_EVENT_*): ZooKeeper's numbers and zkrs's terminal events.
  EVENT_TYPES = {
    1 => :created, 2 => :deleted, 3 => :changed, 4 => :child,
    5 => :data_watch_removed, 6 => :child_watch_removed, 7 => :persistent_watch_removed,
    100 => :session_expired, 101 => :client_closed
  }.freeze

  # Server-level states (ZKRS_STATE_*).
  STATES = { 1 => :connecting, 3 => :connected, 5 => :connected_read_only, -113 => :auth_failed,
             -112 => :expired, 7 => :closed }.freeze

  # kazoo's states (ZKRS_KAZOO_STATE_*).
  KAZOO_STATES = { 0 => :lost, 1 => :suspended, 2 => :connected }.freeze

  # Watch kinds for remove_watches / check_watches (ZKRS_WATCHER_*).
  WATCHER_KINDS = { children: 1, data: 2, any: 3, persistent: 4, persistent_recursive: 5 }.freeze

  # Permission bits (ZKRS_PERM_*).
  module Perm
    READ = 1
    WRITE = 2
    CREATE = 4
    DELETE = 8
    ADMIN = 16
    ALL = 31
  end

  # ZooKeeper's Stat of a node (times in ms since the epoch).
  Stat = Struct.new(:czxid, :mzxid, :ctime, :mtime, :version, :cversion, :aversion, :ephemeral_owner,
                    :data_length, :num_children, :pzxid, keyword_init: true) do
    def self.from_native(s)
      new(**members.to_h { |m| [m, s[m]] })
    end

    def ephemeral?
      ephemeral_owner != 0
    end
  end

  # A watch event: `type` (:created, :deleted, :changed, :child, a *_removed or :session_expired /
  # :client_closed for a watch that ended), `state` (a STATES symbol) and `path` (relative to the chroot).
  WatchEvent = Struct.new(:type, :state, :path) do
    def self.from_native(e)
      new(EVENT_TYPES.fetch(e[:type], e[:type]), STATES.fetch(e[:state], e[:state]), e[:path])
    end

    # Whether this is the last event of its watch.
    def terminal?
      %i[data_watch_removed child_watch_removed persistent_watch_removed session_expired
         client_closed].include?(type)
    end
  end

  # A state change: the server-level `state` and kazoo's state now and before (:lost/:suspended/:connected).
  StateEvent = Struct.new(:state, :kazoo_state, :previous_kazoo_state) do
    def self.from_native(e)
      new(STATES.fetch(e[:state], e[:state]), KAZOO_STATES.fetch(e[:kazoo_state], e[:kazoo_state]),
          KAZOO_STATES.fetch(e[:previous_kazoo_state], e[:previous_kazoo_state]))
    end
  end

  # One ACL entry: permission bits (Perm), scheme ("world", "auth", "digest", "ip", ...) and id.
  ACL = Struct.new(:perms, :scheme, :id) do
    def self.open_unsafe
      [new(Perm::ALL, "world", "anyone")]
    end

    def self.read_unsafe
      [new(Perm::READ, "world", "anyone")]
    end

    def self.creator_all
      [new(Perm::ALL, "auth", "")]
    end

    # The digest entry for `user` and `password`, computed by zkrs as the server does.
    def self.digest(user, password, perms = Perm::ALL)
      Native.with_acl_list do |list|
        Zkrs.check(Native.zkrs_acl_list_add_digest(list, perms, user, password))
        Native.read_acl_list(list).first
      end
    end
  end

  # Helpers over the owned C results; each releases what it reads.
  module Native
    class << self
      # A pointer-sized out-parameter.
      def out_pointer
        FFI::MemoryPointer.new(:pointer)
      end

      # Bytes for a (data, len) argument; the buffer lives as long as the returned pointer.
      def bytes(data)
        data = data.to_s
        return [nil, 0] if data.empty?

        buf = FFI::MemoryPointer.new(:uint8, data.bytesize)
        buf.put_bytes(0, data)
        [buf, data.bytesize]
      end

      # Reads and frees a zkrs_buf as a binary String.
      def take_buf(out)
        buf = out.read_pointer
        zkrs_buf_data(buf).read_bytes(zkrs_buf_len(buf))
      ensure
        zkrs_buf_free(buf) if buf
      end

      # Reads and frees a zkrs_buf holding text.
      def take_text(out)
        take_buf(out).force_encoding(Encoding::UTF_8)
      end

      def read_string_list(list)
        Array.new(zkrs_string_list_len(list)) { |i| zkrs_string_list_get(list, i).force_encoding(Encoding::UTF_8) }
      end

      def take_string_list(out)
        list = out.read_pointer
        read_string_list(list)
      ensure
        zkrs_string_list_free(list) if list
      end

      def read_acl_list(list)
        perms = FFI::MemoryPointer.new(:int32)
        scheme = out_pointer
        id = out_pointer
        Array.new(zkrs_acl_list_len(list)) do |i|
          Zkrs.check(zkrs_acl_list_get(list, i, perms, scheme, id))
          ACL.new(perms.read_int32, scheme.read_pointer.read_string, id.read_pointer.read_string)
        end
      end

      def take_acl_list(out)
        list = out.read_pointer
        read_acl_list(list)
      ensure
        zkrs_acl_list_free(list) if list
      end

      # Yields a new C ACL list and frees it afterwards.
      def with_acl_list
        out = out_pointer
        Zkrs.check(zkrs_acl_list_new(out))
        list = out.read_pointer
        begin
          yield list
        ensure
          zkrs_acl_list_free(list)
        end
      end

      # Yields a C ACL list holding `acls` (an Array of ACL), or nil for nil.
      def with_acls(acls)
        return yield(nil) if acls.nil?

        with_acl_list do |list|
          acls.each { |a| Zkrs.check(zkrs_acl_list_add(list, a.perms, a.scheme, a.id)) }
          yield list
        end
      end

      # zkrs_create_options from kazoo-style arguments.
      def create_options(acl_list, ephemeral: false, sequence: false, makepath: false, container: false, ttl_ms: nil)
        opts = CreateOptions.new
        opts[:mode] = create_mode(ephemeral, sequence, container, ttl_ms)
        opts[:ttl_ms] = ttl_ms || 0
        opts[:acl] = acl_list
        opts[:makepath] = makepath
        opts
      end

      def create_mode(ephemeral, sequence, container, ttl_ms)
        return CREATE_MODES[:container] if container
        # An ephemeral node with a TTL keeps its ephemeral mode: zkrs refuses the TTL (BadArgumentsError).
        return CREATE_MODES[sequence ? :ephemeral_sequential : :ephemeral] if ephemeral
        return CREATE_MODES[sequence ? :persistent_sequential_with_ttl : :persistent_with_ttl] if ttl_ms

        CREATE_MODES[sequence ? :persistent_sequential : :persistent]
      end

      # A one-shot zkrs_watcher for a block (nil without one); the block is released by free_userdata.
      def watcher(block)
        return nil unless block

        w = Watcher.new
        w[:fn] = Callbacks::WATCH
        w[:userdata] = Callbacks.register(block)
        w[:free_userdata] = Callbacks::FREE
        w
      end

      # Seconds (nil: no limit) as the C API's milliseconds.
      def millis(seconds)
        seconds.nil? ? -1 : (seconds * 1000).round
      end
    end
  end
end
