# frozen_string_literal: true

module Zkrs
  # The pending result of an async call (`client.get_async(path)` ...), over a zkrs_future.
  #
  # `value(timeout)` waits (releasing the GVL) and returns the result or raises its error; `then { |value,
  # error| }` runs the block once on the client's dispatcher thread when the result is there. The result
  # is delivered by the dispatcher thread, so waiting for it from inside a callback of the same client
  # raises WouldDeadlockError.
  class Future
    # How each kind of future is read: (zkrs_future pointer, timeout ms) -> value, raising on error.
    READERS = {
      data: lambda do |f, ms|
        out = Native.out_pointer
        stat = Native::Stat.new
        Zkrs.check(Native.zkrs_future_get_data(f, ms, out, stat))
        [Native.take_buf(out), Stat.from_native(stat)]
      end,
      stat: lambda do |f, ms|
        stat = Native::Stat.new
        Zkrs.check(Native.zkrs_future_get_stat(f, ms, stat))
        Stat.from_native(stat)
      end,
      created: lambda do |f, ms|
        out = Native.out_pointer
        Zkrs.check(Native.zkrs_future_get_created(f, ms, out, nil))
        Native.take_text(out)
      end,
      exists: lambda do |f, ms|
        exists = FFI::MemoryPointer.new(:bool)
        stat = Native::Stat.new
        Zkrs.check(Native.zkrs_future_get_exists(f, ms, exists, stat))
        exists.read(:bool) ? Stat.from_native(stat) : nil
      end,
      children: lambda do |f, ms|
        out = Native.out_pointer
        Zkrs.check(Native.zkrs_future_get_children(f, ms, out, nil))
        Native.take_string_list(out)
      end,
      void: lambda do |f, ms|
        Zkrs.check(Native.zkrs_future_get(f, ms))
        nil
      end,
      txn: lambda do |f, ms|
        out = Native.out_pointer
        out.write_pointer(nil)
        rc = Native.zkrs_future_get_txn(f, ms, out)
        Transaction.finish(rc, out)
      end
    }.freeze

    def initialize(raw, kind)
      @ptr = FFI::AutoPointer.new(raw, Native.method(:zkrs_future_free))
      @read = READERS.fetch(kind)
    end

    # Whether the result is there (never blocks).
    def ready?
      Native.zkrs_future_ready(@ptr)
    end

    # Waits up to `timeout` seconds (nil: no limit); true if the result is there.
    def wait(timeout = nil)
      rc = Native.zkrs_future_wait(@ptr, Native.millis(timeout))
      return false if rc == TimeoutError::CODE

      Zkrs.check(rc)
      true
    end

    # The result, waiting up to `timeout` seconds (nil: no limit); raises the operation's error, or
    # Zkrs::TimeoutError if it is not there in time.
    def value(timeout = nil)
      @read.call(@ptr, Native.millis(timeout))
    end

    # Runs the block once with (value, nil) or (nil, error) on the dispatcher thread when the result is
    # there. At most once per future, and before `value`/`wait` took the result.
    def then(&block)
      read = @read
      userdata = Callbacks.register(lambda do |raw|
        result = begin
          [read.call(raw, 0), nil]
        rescue Error => e
          [nil, e]
        end
        block.call(*result)
      end)
      rc = Native.zkrs_future_then(@ptr, Callbacks::FUTURE, userdata)
      unless rc.zero?
        Callbacks.take(userdata)
        Zkrs.check(rc)
      end
      self
    end
  end
end
