# frozen_string_literal: true

module Zkrs
  module Native
    callback :lost_fn, [:pointer], :void

    attach_function :zkrs_lock_new_with_patterns, [:client, :string, :string, :int32, :pointer, :size_t, :pointer],
                    :rc
    attach_function :zkrs_lock_acquire, [:pointer, :int32, :bool], :rc, blocking: true
    attach_function :zkrs_lock_release, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_lock_cancel, [:pointer], :rc, blocking: true
    attach_function :zkrs_lock_is_held, [:pointer], :bool, blocking: true
    attach_function :zkrs_lock_contenders, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_lock_set_lost_callback, [:pointer, :lost_fn, :pointer, :free_fn], :rc, blocking: true
    attach_function :zkrs_lock_free, [:pointer], :void, blocking: true
    attach_function :zkrs_semaphore_new, [:client, :string, :string, :uint32, :pointer], :rc
    attach_function :zkrs_semaphore_acquire, [:pointer, :int32], :rc, blocking: true
    attach_function :zkrs_semaphore_release, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_semaphore_cancel, [:pointer], :rc, blocking: true
    attach_function :zkrs_semaphore_is_held, [:pointer], :bool, blocking: true
    attach_function :zkrs_semaphore_lease_holders, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_semaphore_set_lost_callback, [:pointer, :lost_fn, :pointer, :free_fn], :rc,
                    blocking: true
    attach_function :zkrs_semaphore_free, [:pointer], :void, blocking: true
  end

  module Callbacks
    # A held lock, lease or leadership was lost (zkrs_lost_fn).
    LOST = FFI::Function.new(:void, [:pointer]) { |ud| guarded { fetch(ud)&.call } }
  end

  # What Lock, Semaphore and Election share: the block told of a loss and reading results.
  module Holdable
    # The block runs (on the dispatcher thread) when a held lock/lease is lost: session ended, or the
    # holder's node deleted by someone else. Replaces the previous block. The block must not reference
    # this object if the object is to be collected.
    def on_lost(&block)
      userdata = Callbacks.register(block)
      Zkrs.check(Native.public_send(self.class::SET_LOST, @ptr, Callbacks::LOST, userdata, Callbacks::FREE))
      self
    end

    private

    # kazoo's acquire(blocking, timeout) as a C timeout in ms.
    def acquire_millis(blocking, timeout)
      blocking ? Native.millis(timeout) : 0
    end

    # true when acquired, false when not in time; other failures raise.
    def acquired(rc)
      return false if rc == TimeoutError::CODE

      Zkrs.check(rc)
      true
    end

    def flag_out(fn)
      out = FFI::MemoryPointer.new(:bool)
      Zkrs.check(Native.public_send(fn, @ptr, out))
      out.read(:bool)
    end

    def list_out(fn)
      out = Native.out_pointer
      Zkrs.check(Native.public_send(fn, @ptr, out))
      Native.take_string_list(out)
    end
  end

  # `synchronize` for Lock and Semaphore (kazoo's `with lock:`).
  module Synchronize
    # Runs the block while holding; raises TimeoutError if it could not be acquired in time.
    def synchronize(timeout: nil)
      raise Zkrs::Error.for(TimeoutError::CODE, "not acquired within #{timeout} s") unless acquire(timeout: timeout)

      begin
        yield
      ensure
        release
      end
    end
  end

  # kazoo's Lock (exclusive), node for node compatible with it. Not re-entrant. `identifier` is stored
  # in the contender node. Timeouts in seconds.
  #
  #   lock = Zkrs::Lock.new(client, "/locks/db", "worker-1")
  #   lock.synchronize(timeout: 5) { ... }
  class Lock
    include Holdable
    include Synchronize

    KINDS = { exclusive: 0, read: 1, write: 2 }.freeze
    SET_LOST = :zkrs_lock_set_lost_callback

    def initialize(client, path, identifier = nil, kind: :exclusive, extra_lock_patterns: [])
      patterns = extra_lock_patterns.map { |p| FFI::MemoryPointer.from_string(p) }
      array = FFI::MemoryPointer.new(:pointer, [patterns.size, 1].max)
      array.write_array_of_pointer(patterns) unless patterns.empty?
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_lock_new_with_patterns(client.native_handle, path, identifier, KINDS.fetch(kind), array,
                                                    patterns.size, out))
      @ptr = FFI::AutoPointer.new(out.read_pointer, Native.method(:zkrs_lock_free))
    end

    # true once held; false if not acquired within `timeout` seconds (nil: no limit) or, with
    # blocking: false, at once. CancelledError after #cancel, SessionExpiredError, ClosedError, ...
    def acquire(blocking: true, timeout: nil, ephemeral: true)
      acquired(Native.zkrs_lock_acquire(@ptr, acquire_millis(blocking, timeout), ephemeral))
    end

    # Whether it was held (and not lost). Releasing a lock not held is fine.
    def release
      flag_out(:zkrs_lock_release)
    end

    # Makes an acquire waiting on another thread raise CancelledError.
    def cancel
      Zkrs.check(Native.zkrs_lock_cancel(@ptr))
    end

    def held?
      Native.zkrs_lock_is_held(@ptr)
    end
    alias is_acquired held?

    # The contenders' identifiers in queue order (the first holds an exclusive or write lock).
    def contenders
      list_out(:zkrs_lock_contenders)
    end
  end

  # kazoo's ReadLock: shared by readers, excluded by writers.
  class ReadLock < Lock
    def initialize(client, path, identifier = nil, **options)
      super(client, path, identifier, kind: :read, **options)
    end
  end

  # kazoo's WriteLock: excludes readers and writers.
  class WriteLock < Lock
    def initialize(client, path, identifier = nil, **options)
      super(client, path, identifier, kind: :write, **options)
    end
  end

  # kazoo's Semaphore: up to `max_leases` holders at once.
  class Semaphore
    include Holdable
    include Synchronize

    SET_LOST = :zkrs_semaphore_set_lost_callback

    def initialize(client, path, identifier = nil, max_leases: 1)
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_semaphore_new(client.native_handle, path, identifier, max_leases, out))
      @ptr = FFI::AutoPointer.new(out.read_pointer, Native.method(:zkrs_semaphore_free))
    end

    def acquire(blocking: true, timeout: nil)
      acquired(Native.zkrs_semaphore_acquire(@ptr, acquire_millis(blocking, timeout)))
    end

    def release
      flag_out(:zkrs_semaphore_release)
    end

    def cancel
      Zkrs.check(Native.zkrs_semaphore_cancel(@ptr))
    end

    def held?
      Native.zkrs_semaphore_is_held(@ptr)
    end
    alias is_acquired held?

    # The identifiers of the lease holders.
    def lease_holders
      list_out(:zkrs_semaphore_lease_holders)
    end
  end
end
