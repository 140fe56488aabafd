# frozen_string_literal: true

module Zkrs
  module Native
    callback :data_watch_fn, [:pointer, :pointer, :size_t, :pointer, :pointer], :bool
    callback :children_watch_fn, [:pointer, :pointer, :pointer], :bool
    callback :tree_event_fn, [:pointer, :pointer], :void
    callback :tree_fault_fn, [:pointer, :rc, :string], :void

    attach_function :zkrs_data_watch_new, [:client, :string, :data_watch_fn, :pointer, :free_fn, :pointer], :rc,
                    blocking: true
    attach_function :zkrs_data_watch_close, [:pointer], :rc, blocking: true
    attach_function :zkrs_data_watch_is_stopped, [:pointer], :bool
    attach_function :zkrs_data_watch_free, [:pointer], :void, blocking: true
    attach_function :zkrs_children_watch_new,
                    [:client, :string, :bool, :bool, :children_watch_fn, :pointer, :free_fn, :pointer], :rc,
                    blocking: true
    attach_function :zkrs_children_watch_close, [:pointer], :rc, blocking: true
    attach_function :zkrs_children_watch_is_stopped, [:pointer], :bool
    attach_function :zkrs_children_watch_free, [:pointer], :void, blocking: true
    attach_function :zkrs_tree_cache_new, [:client, :string, :pointer], :rc
    attach_function :zkrs_tree_cache_start, [:pointer], :rc, blocking: true
    attach_function :zkrs_tree_cache_listen, [:pointer, :tree_event_fn, :pointer, :free_fn], :rc
    attach_function :zkrs_tree_cache_listen_fault, [:pointer, :tree_fault_fn, :pointer, :free_fn], :rc
    attach_function :zkrs_tree_cache_get_data, [:pointer, :string, :pointer, Stat.by_ref], :rc
    attach_function :zkrs_tree_cache_get_children, [:pointer, :string, :pointer], :rc
    attach_function :zkrs_tree_cache_close, [:pointer], :rc, blocking: true
    attach_function :zkrs_tree_cache_free, [:pointer], :void, blocking: true

    # zkrs_tree_event (borrowed during the listener call).
    class TreeEvent < FFI::Struct
      layout :type, :int32, :path, :pointer, :data, :pointer, :len, :size_t, :stat, :pointer
    end

    class << self
      def stat_at(ptr)
        ptr.null? ? nil : Zkrs::Stat.from_native(Stat.new(ptr))
      end

      def watch_event_at(ptr)
        ptr.null? ? nil : Zkrs::WatchEvent.from_native(WatchEvent.new(ptr))
      end
    end
  end

  # The trampolines of the watcher recipes (see Callbacks): a watch function's block returning false
  # stops it; a block that raises is reported and the watch goes on.
  module Callbacks
    DATA_WATCH = FFI::Function.new(:bool, [:pointer, :pointer, :size_t, :pointer, :pointer]) do |ud, data, len, stat, event|
      result = guarded do
        value = data.null? ? nil : data.read_bytes(len)
        fetch(ud)&.call(value, Native.stat_at(stat), Native.watch_event_at(event))
      end
      result != false
    end

    CHILDREN_WATCH = FFI::Function.new(:bool, [:pointer, :pointer, :pointer]) do |ud, children, event|
      result = guarded { fetch(ud)&.call(Native.read_string_list(children), Native.watch_event_at(event)) }
      result != false
    end

    TREE_EVENT = FFI::Function.new(:void, [:pointer, Native::TreeEvent.by_ref]) do |ud, e|
      guarded { fetch(ud)&.call(TreeEvent.from_native(e)) }
    end

    TREE_FAULT = FFI::Function.new(:void, [:pointer, :int32, :string]) do |ud, rc, detail|
      guarded { fetch(ud)&.call(Error.for(rc, detail)) }
    end
  end

  # kazoo's DataWatch: the block gets (data, stat, event) at once and after every change of the node
  # (data and stat nil while it does not exist; event nil for the first call and after reconnections),
  # on the client's dispatcher thread, until it returns false or the watch is closed. The watch survives
  # reconnections and session expiry. It stays alive (not collected) until it stops.
  #
  #   Zkrs::DataWatch.new(client, "/config") { |data, stat, _event| puts data }
  class DataWatch
    def initialize(client, path, &block)
      raise ArgumentError, "DataWatch needs a block" unless block

      out = Native.out_pointer
      # The registry entry references this object, so it is not collected while zkrs may call it.
      userdata = Callbacks.register(->(data, stat, event) { @block.call(data, stat, event) })
      @block = block
      Zkrs.check(Native.zkrs_data_watch_new(client.native_handle, path, Callbacks::DATA_WATCH, userdata,
                                            Callbacks::FREE, out))
      @ptr = FFI::AutoPointer.new(out.read_pointer, Native.method(:zkrs_data_watch_free))
    end

    # Stops the watch; once this returns the block is not called again (from the block: after it).
    def close
      Zkrs.check(Native.zkrs_data_watch_close(@ptr))
    end

    def stopped?
      Native.zkrs_data_watch_is_stopped(@ptr)
    end
  end

  # kazoo's ChildrenWatch: the block gets the children's names (and, with send_event: true, the
  # causing WatchEvent or nil) at once and after every change of them, until it returns false, the watch
  # is closed, or the node is deleted. allow_session_lost: false stops it when the session is lost.
  class ChildrenWatch
    def initialize(client, path, allow_session_lost: true, send_event: false, &block)
      raise ArgumentError, "ChildrenWatch needs a block" unless block

      out = Native.out_pointer
      @block = block
      @send_event = send_event
      userdata = Callbacks.register(lambda do |children, event|
        @send_event ? @block.call(children, event) : @block.call(children)
      end)
      Zkrs.check(Native.zkrs_children_watch_new(client.native_handle, path, allow_session_lost, send_event,
                                                Callbacks::CHILDREN_WATCH, userdata, Callbacks::FREE, out))
      @ptr = FFI::AutoPointer.new(out.read_pointer, Native.method(:zkrs_children_watch_free))
    end

    def close
      Zkrs.check(Native.zkrs_children_watch_close(@ptr))
    end

    def stopped?
      Native.zkrs_children_watch_is_stopped(@ptr)
    end
  end

  TREE_EVENT_TYPES = {
    0 => :node_added, 1 => :node_updated, 2 => :node_removed, 3 => :connection_suspended,
    4 => :connection_reconnected, 5 => :connection_lost, 6 => :initialized
  }.freeze

  # An event of a TreeCache: `type` (TREE_EVENT_TYPES), and for node events the node's `path`, `data`
  # and `stat` (for :node_removed its last ones).
  TreeEvent = Struct.new(:type, :path, :data, :stat) do
    def self.from_native(e)
      path = e[:path].null? ? nil : e[:path].read_string.force_encoding(Encoding::UTF_8)
      data = e[:data].null? ? (path && "".b) : e[:data].read_bytes(e[:len])
      new(TREE_EVENT_TYPES.fetch(e[:type], e[:type]), path, data, Native.stat_at(e[:stat]))
    end
  end

  # kazoo's TreeCache: an in-memory copy of the subtree at `path`, kept up to date. Add listeners
  # (blocks run on the client's dispatcher thread), then #start; read with #get_data / #get_children
  # from any thread; #close when done (until then the cache stays alive).
  class TreeCache
    def initialize(client, path)
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_tree_cache_new(client.native_handle, path, out))
      @ptr = FFI::AutoPointer.new(out.read_pointer, Native.method(:zkrs_tree_cache_free))
    end

    # Calls the block with every TreeEvent; released at close.
    def listen(&block)
      userdata = Callbacks.register(->(event) { keep_alive_while_listening && block.call(event) })
      Zkrs.check(Native.zkrs_tree_cache_listen(@ptr, Callbacks::TREE_EVENT, userdata, Callbacks::FREE))
      self
    end

    # Calls the block with the Error of every fault reading the tree (e.g. NoAuthError).
    def listen_fault(&block)
      userdata = Callbacks.register(->(error) { keep_alive_while_listening && block.call(error) })
      Zkrs.check(Native.zkrs_tree_cache_listen_fault(@ptr, Callbacks::TREE_FAULT, userdata, Callbacks::FREE))
      self
    end

    # Creates the root if missing and starts reading the tree in the background (:node_added for each
    # node, then :initialized).
    def start
      Zkrs.check(Native.zkrs_tree_cache_start(@ptr))
      self
    end

    # [data, Stat] of a cached node, or nil when the cache does not hold it.
    def get_data(path)
      out = Native.out_pointer
      stat = Native::Stat.new
      rc = Native.zkrs_tree_cache_get_data(@ptr, path, out, stat)
      return nil if rc == NoNodeError::CODE

      Zkrs.check(rc)
      [Native.take_buf(out), Stat.from_native(stat)]
    end

    # The cached children's names (sorted), or nil when the cache does not hold the node.
    def get_children(path)
      out = Native.out_pointer
      rc = Native.zkrs_tree_cache_get_children(@ptr, path, out)
      return nil if rc == NoNodeError::CODE

      Zkrs.check(rc)
      Native.take_string_list(out)
    end

    # Stops the cache (its watch removed, listeners released); it cannot be started again.
    def close
      Zkrs.check(Native.zkrs_tree_cache_close(@ptr))
    end

    private

    # Listener entries reference the cache (through this method's receiver), so it is not collected
    # (freed from a finalizer, perhaps inside one of its own listeners) while it has listeners.
    def keep_alive_while_listening
      true
    end
  end
end
