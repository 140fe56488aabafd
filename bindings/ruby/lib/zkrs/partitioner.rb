# frozen_string_literal: true

module Zkrs
  module Native
    attach_function :zkrs_partitioner_new,
                    [:client, :string, :pointer, :size_t, :string, :int32, :int32, :pointer], :rc, blocking: true
    attach_function :zkrs_partitioner_state, [:pointer, :pointer], :rc
    attach_function :zkrs_partitioner_wait_for_acquire, [:pointer, :int32, :pointer], :rc, blocking: true
    attach_function :zkrs_partitioner_partitions, [:pointer, :pointer], :rc
    attach_function :zkrs_partitioner_release_set, [:pointer], :rc, blocking: true
    attach_function :zkrs_partitioner_finish, [:pointer], :rc, blocking: true
    attach_function :zkrs_partitioner_free, [:pointer], :void, blocking: true
  end

  # kazoo's SetPartitioner: the members of a party split `items`, each holding the locks of its share.
  # The division runs on a zkrs thread (no Ruby callbacks). Times in seconds.
  class SetPartitioner
    STATES = { 0 => :allocating, 1 => :acquired, 2 => :release, 3 => :failure }.freeze

    def initialize(client, path, items, identifier: nil, time_boundary: 30, max_reaction_time: 1)
      strings = items.map { |i| FFI::MemoryPointer.from_string(i.to_s) }
      array = FFI::MemoryPointer.new(:pointer, [strings.size, 1].max)
      array.write_array_of_pointer(strings) unless strings.empty?
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_partitioner_new(client.native_handle, path, array, strings.size, identifier,
                                             (time_boundary * 1000).round, (max_reaction_time * 1000).round, out))
      @ptr = FFI::AutoPointer.new(out.read_pointer, Native.method(:zkrs_partitioner_free))
    end

    # :allocating, :acquired, :release (call #release_set) or :failure (final).
    def state
      out = FFI::MemoryPointer.new(:int32)
      Zkrs.check(Native.zkrs_partitioner_state(@ptr, out))
      STATES.fetch(out.read_int32)
    end

    # Waits up to `timeout` seconds (nil: no limit); whether the set is acquired.
    def wait_for_acquire(timeout = nil)
      out = FFI::MemoryPointer.new(:bool)
      Zkrs.check(Native.zkrs_partitioner_wait_for_acquire(@ptr, Native.millis(timeout), out))
      out.read(:bool)
    end

    # This member's items from the last division.
    def partitions
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_partitioner_partitions(@ptr, out))
      Native.take_string_list(out)
    end

    def release_set
      Zkrs.check(Native.zkrs_partitioner_release_set(@ptr))
    end

    # Releases the locks and leaves the party (state :failure).
    def finish
      Zkrs.check(Native.zkrs_partitioner_finish(@ptr))
    end
  end
end
