# frozen_string_literal: true

module Zkrs
  module Native
    attach_function :zkrs_queue_new, [:client, :string, :bool, :pointer], :rc
    attach_function :zkrs_queue_put, [:pointer, :pointer, :size_t, :int32], :rc, blocking: true
    attach_function :zkrs_queue_put_all, [:pointer, :pointer, :pointer, :size_t, :int32], :rc, blocking: true
    attach_function :zkrs_queue_get, [:pointer, :int32, :pointer], :rc, blocking: true
    attach_function :zkrs_queue_len, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_queue_consume, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_queue_release, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_queue_holds_lock, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_queue_free, [:pointer], :void
  end

  # kazoo's Queue (a get removes the entry) or, with `locking: true`, its LockingQueue (a get locks the
  # entry until #consume or #release), node for node compatible with kazoo. Lower priorities (0..999)
  # are served first. Timeouts are in seconds; waiting releases the GVL.
  #
  #   queue = Zkrs::Queue.new(client, "/jobs")
  #   queue.put("job-1")
  #   queue.get(timeout: 5)  # => "job-1", or nil when nothing came in time
  class Queue
    DEFAULT_PRIORITY = 100

    def initialize(client, path, locking: false)
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_queue_new(client.native_handle, path, locking, out))
      @ptr = FFI::AutoPointer.new(out.read_pointer, Native.method(:zkrs_queue_free))
      @client = client # the queue's calls need the client's dispatcher to deliver its watches
    end

    def put(value, priority: DEFAULT_PRIORITY)
      data, len = Native.bytes(value)
      Zkrs.check(Native.zkrs_queue_put(@ptr, data, len, priority))
      self
    end

    # Adds every value in one transaction (all or none).
    def put_all(values, priority: DEFAULT_PRIORITY)
      buffers = values.map { |v| Native.bytes(v) }
      ptrs = FFI::MemoryPointer.new(:pointer, [buffers.size, 1].max)
      lens = FFI::MemoryPointer.new(:size_t, [buffers.size, 1].max)
      ptrs.write_array_of_pointer(buffers.map { |b, _| b || FFI::Pointer::NULL }) unless buffers.empty?
      buffers.each_with_index { |(_, len), i| lens.put(:size_t, i * FFI.type_size(:size_t), len) }
      Zkrs.check(Native.zkrs_queue_put_all(@ptr, ptrs, lens, buffers.size, priority))
      self
    end

    # The first entry's value, waiting up to `timeout` seconds (nil: no limit, 0: do not wait); nil when
    # none came in time.
    def get(timeout: 0)
      out = Native.out_pointer
      rc = Native.zkrs_queue_get(@ptr, Native.millis(timeout), out)
      return nil if rc == TimeoutError::CODE

      Zkrs.check(rc)
      Native.take_buf(out)
    end

    # The number of entries (a locking queue counts locked ones too).
    def size
      out = FFI::MemoryPointer.new(:size_t)
      Zkrs.check(Native.zkrs_queue_len(@ptr, out))
      out.read(:size_t)
    end
    alias length size

    # Locking queues: removes the held entry; false if none is held (or its lock is gone).
    def consume
      flag(:zkrs_queue_consume)
    end

    # Locking queues: hands the held entry back to be served again; false if none is held.
    def release
      flag(:zkrs_queue_release)
    end

    # Locking queues: whether this queue holds an entry and still its lock.
    def holds_lock?
      flag(:zkrs_queue_holds_lock)
    end

    private

    def flag(fn)
      out = FFI::MemoryPointer.new(:bool)
      Zkrs.check(Native.public_send(fn, @ptr, out))
      out.read(:bool)
    end
  end
end
