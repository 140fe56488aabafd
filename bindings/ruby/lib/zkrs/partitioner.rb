# frozen_string_literal: true

module Zkrs
  module Native
    callback :partition_fn, [:pointer, :string, :pointer, :pointer, :pointer], :void
    attach_function :zkrs_partitioner_new,
                    [:client, :string, :pointer, :size_t, :string, :int32, :partition_fn, :pointer, :free_fn,
                     :pointer], :rc, blocking: true
    # Every call is blocking: a Ruby partition block runs on the partitioner's thread and needs the GVL,
    # which a call waiting for that thread must not hold.
    attach_function :zkrs_partitioner_state, [:pointer, :pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_partitioner_wait_for_acquire, [:pointer, :int32, :pointer], :rc, blocking: true
    attach_function :zkrs_partitioner_wait_for_change, [:pointer, :uint64, :int32, :pointer, :pointer], :rc,
                    blocking: true
    attach_function :zkrs_partitioner_acquired_items, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_partitioner_release_set, [:pointer], :rc, blocking: true
    attach_function :zkrs_partitioner_finish, [:pointer], :rc, blocking: true
    attach_function :zkrs_partitioner_free, [:pointer], :void, blocking: true
  end

  # kazoo's SetPartitioner: the members of a party split `items`, each holding the locks of its share.
  # The division runs on a zkrs thread; an optional block decides this member's share. Times in seconds.
  class SetPartitioner
    STATES = { 0 => :allocating, 1 => :acquired, 2 => :release, 3 => :failure }.freeze

    # Runs the partition block on the partitioner's own thread (not a Ruby one: FFI hands the call to a
    # Ruby thread), one call at a time. It marks in `mine` the items the block returned; an exception
    # goes to Zkrs.on_callback_error and the member takes nothing.
    PARTITION = FFI::Function.new(:void, [:pointer, :string, :pointer, :pointer, :pointer]) do |ud, id, members, items, mine|
      Callbacks.guarded do
        set = Native.read_string_list(items)
        taken = Callbacks.fetch(ud)&.call(id, Native.read_string_list(members), set.dup)
        taken = Array(taken).map(&:to_s)
        mine.write_array_of_uint8(set.map { |item| taken.include?(item) ? 1 : 0 }) unless set.empty?
      end
    end

    # Without a block the set is divided by kazoo's round robin over the sorted members and items, so
    # Ruby, C and kazoo members of one group agree. With a block, it is called as
    # `block.call(identifier, members, items)` (members sorted, items as given without duplicates) and
    # returns the items this member takes; every member must decide the same way for the same input.
    def initialize(client, path, items, identifier: nil, time_boundary: 30, &partition)
      strings = items.map { |i| FFI::MemoryPointer.from_string(i.to_s) }
      array = FFI::MemoryPointer.new(:pointer, [strings.size, 1].max)
      array.write_array_of_pointer(strings) unless strings.empty?
      out = Native.out_pointer
      # zkrs releases the registration (FREE) after the block's last call, also when this call fails.
      fn, userdata, free = partition ? [PARTITION, Callbacks.register(partition), Callbacks::FREE] : [nil, nil, nil]
      Zkrs.check(Native.zkrs_partitioner_new(client.native_handle, path, array, strings.size, identifier,
                                             (time_boundary * 1000).round, fn, userdata, free, out))
      @ptr = FFI::AutoPointer.new(out.read_pointer, Native.method(:zkrs_partitioner_free))
    end

    # :allocating, :acquired, :release (call #release_set) or :failure (final).
    def state
      state_and_id.first
    end

    # [state, the number of transitions so far] (for #wait_for_change).
    def state_and_id
      state = FFI::MemoryPointer.new(:int32)
      id = FFI::MemoryPointer.new(:uint64)
      Zkrs.check(Native.zkrs_partitioner_state(handle, state, id))
      [STATES.fetch(state.read_int32), id.read_uint64]
    end

    # Waits up to `timeout` seconds (nil: no limit) until the state is no longer :allocating; whether
    # the set is acquired (false when still allocating then, or in :release / :failure).
    def wait_for_acquire(timeout = nil)
      out = FFI::MemoryPointer.new(:int32)
      rc = Native.zkrs_partitioner_wait_for_acquire(handle, Native.millis(timeout), out)
      return false if rc == TimeoutError::CODE

      Zkrs.check(rc)
      STATES.fetch(out.read_int32) == :acquired
    end

    # Waits up to `timeout` seconds (nil: no limit) for a transition after the one numbered `seen_id`
    # (from #state_and_id): [state, id], or nil if nothing changed. At once if `seen_id` is not current.
    def wait_for_change(seen_id, timeout = nil)
      state = FFI::MemoryPointer.new(:int32)
      id = FFI::MemoryPointer.new(:uint64)
      rc = Native.zkrs_partitioner_wait_for_change(handle, seen_id, Native.millis(timeout), state, id)
      return nil if rc == TimeoutError::CODE

      Zkrs.check(rc)
      [STATES.fetch(state.read_int32), id.read_uint64]
    end

    # The items this member holds: its share while :acquired and still in :release; empty otherwise.
    def partitions
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_partitioner_acquired_items(handle, out))
      Native.take_string_list(out)
    end
    alias acquired_items partitions

    # Releases the held items and divides the set again (call it in :release).
    def release_set
      Zkrs.check(Native.zkrs_partitioner_release_set(handle))
    end

    # Releases the locks and leaves the party (state :failure).
    def finish
      Zkrs.check(Native.zkrs_partitioner_finish(handle))
    end

    # Finishes (if not done) and frees the member now; no partition block runs after this returns.
    def close
      return unless @ptr

      @ptr.free
      @ptr = nil
    end

    def closed?
      @ptr.nil?
    end

    private

    def handle
      @ptr or raise Zkrs::Error.for(ClosedError::CODE, "the set partitioner was closed")
    end
  end
end
