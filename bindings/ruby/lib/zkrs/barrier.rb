# frozen_string_literal: true

module Zkrs
  module Native
    attach_function :zkrs_barrier_new, [:client, :string, :pointer], :rc
    attach_function :zkrs_barrier_create, [:pointer], :rc, blocking: true
    attach_function :zkrs_barrier_remove, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_barrier_wait, [:pointer, :int32], :rc, blocking: true
    attach_function :zkrs_barrier_free, [:pointer], :void
    attach_function :zkrs_double_barrier_new, [:client, :string, :int32, :string, :pointer], :rc
    attach_function :zkrs_double_barrier_enter, [:pointer, :int32], :rc, blocking: true
    attach_function :zkrs_double_barrier_leave, [:pointer, :int32], :rc, blocking: true
    attach_function :zkrs_double_barrier_participating, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_double_barrier_free, [:pointer], :void
  end

  # kazoo's Barrier: #wait blocks while the barrier's node exists. Timeouts in seconds.
  class Barrier
    def initialize(client, path)
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_barrier_new(client.native_handle, path, out))
      @ptr = FFI::AutoPointer.new(out.read_pointer, Native.method(:zkrs_barrier_free))
    end

    # Puts the barrier in place (fine if it is).
    def create
      Zkrs.check(Native.zkrs_barrier_create(@ptr))
      self
    end

    # Removes it, releasing the waiters; whether it was in place.
    def remove
      out = FFI::MemoryPointer.new(:bool)
      Zkrs.check(Native.zkrs_barrier_remove(@ptr, out))
      out.read(:bool)
    end

    # Waits until the barrier is gone, up to `timeout` seconds (nil: no limit); false on timeout.
    def wait(timeout = nil)
      rc = Native.zkrs_barrier_wait(@ptr, Native.millis(timeout))
      return false if rc == TimeoutError::CODE

      Zkrs.check(rc)
      true
    end
  end

  # kazoo's DoubleBarrier: #enter blocks until `num_clients` members are in, #leave until all left.
  class DoubleBarrier
    def initialize(client, path, num_clients, identifier: nil)
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_double_barrier_new(client.native_handle, path, num_clients, identifier, out))
      @ptr = FFI::AutoPointer.new(out.read_pointer, Native.method(:zkrs_double_barrier_free))
    end

    def enter(timeout: nil)
      Zkrs.check(Native.zkrs_double_barrier_enter(@ptr, Native.millis(timeout)))
      self
    end

    def leave(timeout: nil)
      Zkrs.check(Native.zkrs_double_barrier_leave(@ptr, Native.millis(timeout)))
      self
    end

    def participating?
      out = FFI::MemoryPointer.new(:bool)
      Zkrs.check(Native.zkrs_double_barrier_participating(@ptr, out))
      out.read(:bool)
    end
  end
end
