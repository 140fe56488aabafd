# frozen_string_literal: true

module Zkrs
  # The registry that keeps Ruby callbacks alive while C holds them.
  #
  # C never sees a Ruby object: the userdata given to zkrs is a registry id disguised as a pointer. A
  # long-lived registration (watch, state listener) stays in the registry until zkrs calls its
  # free_userdata (FREE below), which zkrs does exactly once after the last callback; a one-shot
  # completion is taken out when it runs. The trampolines are constants, so the FFI functions C calls
  # are never collected.
  #
  # The clients run in poll mode, so zkrs calls these only on Ruby threads: the client's dispatcher
  # thread, a thread closing the client, or a thread whose call was refused (free_userdata at once).
  # The exception is a SetPartitioner's block, called from the partitioner's own thread (the ffi gem
  # runs it on a Ruby thread with the GVL).
  module Callbacks
    @lock = Mutex.new
    @entries = {}
    @next_id = 0

    class << self
      # Keeps `callable` and returns the userdata pointer standing for it.
      def register(callable)
        id = @lock.synchronize do
          @next_id += 1
          @entries[@next_id] = callable
          @next_id
        end
        FFI::Pointer.new(id)
      end

      def fetch(userdata)
        @lock.synchronize { @entries[userdata.address] }
      end

      # Removes and returns the callable (nil if it is gone already).
      def take(userdata)
        @lock.synchronize { @entries.delete(userdata.address) }
      end

      # How many callbacks are registered (for tests and leak checks).
      def size
        @lock.synchronize { @entries.size }
      end

      # Runs a callback; an exception must not unwind through zkrs, so it goes to Zkrs.on_callback_error.
      def guarded
        yield
      rescue Exception => e # rubocop:disable Lint/RescueException -- nothing may escape into C
        Zkrs.callback_error(e)
      end
    end

    FREE = FFI::Function.new(:void, [:pointer]) { |userdata| take(userdata) }

    WATCH = FFI::Function.new(:void, [:pointer, Native::WatchEvent.by_ref]) do |userdata, event|
      guarded { fetch(userdata)&.call(WatchEvent.from_native(event)) }
    end

    STATE = FFI::Function.new(:void, [:pointer, Native::StateEvent.by_ref]) do |userdata, event|
      guarded { fetch(userdata)&.call(StateEvent.from_native(event)) }
    end

    # zkrs_retry_call: the callable returns the try's code and never raises.
    RETRY = FFI::Function.new(:int32, [:pointer]) { |userdata| fetch(userdata).call }

    # zkrs_future_then: runs once, then the entry is gone.
    FUTURE = FFI::Function.new(:void, [:pointer, :pointer]) do |userdata, future|
      callable = take(userdata)
      guarded { callable&.call(future) }
    end
  end

  @callback_error_handler = nil

  class << self
    # Sets what happens to an exception raised by a watch, listener or completion block (default: a
    # warning on stderr). The dispatcher goes on with the next callback either way.
    def on_callback_error(&handler)
      @callback_error_handler = handler
    end

    def callback_error(error)
      if @callback_error_handler
        @callback_error_handler.call(error)
      else
        warn("zkrs: exception in a callback: #{error.class}: #{error.message}")
      end
    rescue Exception # rubocop:disable Lint/RescueException -- the handler itself must not unwind into C
      nil
    end
  end
end
