# frozen_string_literal: true

module Zkrs
  # kazoo's KazooRetry over a zkrs_retry: runs a block again while it raises a retriable error
  # (ConnectionLossError, OperationTimeoutError, ForceRetryError, SessionExpiredError with
  # ignore_expire), sleeping between tries with backoff and jitter. Times are in seconds.
  #
  #   retry = Zkrs::Retry.new(max_tries: 5, delay: 0.1)
  #   retry.call(client) { client.create("/x") }
  class Retry
    # The zkrs_retry field each keyword sets, and how its value is written.
    FIELDS = {
      max_tries: ["max_tries", :to_i], delay: ["delay_ms", :millis], backoff: ["backoff", :to_f],
      max_jitter: ["max_jitter", :to_f], max_delay: ["max_delay_ms", :millis], deadline: ["deadline_ms", :millis],
      ignore_expire: ["ignore_expire", :to_s]
    }.freeze

    # Defaults are kazoo's: max_tries 1 (no retry; -1 forever), delay 0.1, backoff 2, max_jitter 0.4,
    # max_delay 60, no deadline, ignore_expire true.
    def initialize(**settings)
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_retry_new(out))
      @ptr = FFI::AutoPointer.new(out.read_pointer, Native.method(:zkrs_retry_free))
      settings.each do |key, value|
        field, conversion = FIELDS.fetch(key) { raise ArgumentError, "unknown retry setting #{key}" }
        text = conversion == :millis ? Native.millis(value).to_s : value.public_send(conversion).to_s
        Zkrs.check(Native.zkrs_retry_set(@ptr, field, text))
      end
    end

    # Runs the block until it returns (its value is returned), raises an error the policy does not
    # retry (raised again here, as it was), or the policy gives up (RetryFailedError). With a client,
    # closing it meanwhile ends the retries (InterruptedError). The sleeps release the GVL.
    def call(client = nil, &block)
      state = { value: nil, error: nil }
      userdata = Callbacks.register(-> { attempt(block, state) })
      rc = begin
        Native.zkrs_retry_call(@ptr, client&.native_handle, Callbacks::RETRY, userdata)
      ensure
        Callbacks.take(userdata)
      end
      return state[:value] if rc.zero?
      raise state[:error] if state[:error] && !state[:error].is_a?(Error)
      raise state[:error] if state[:error]&.code == rc

      Zkrs.check(rc)
    end

    private

    # One try: the code zkrs_retry_call decides on. Anything but a zkrs error stops the retries (as a
    # code the policy never retries) and is raised again by #call.
    def attempt(block, state)
      state[:value] = block.call
      state[:error] = nil
      0
    rescue Error => e
      state[:error] = e
      e.code
    rescue Exception => e # rubocop:disable Lint/RescueException -- nothing may escape into C
      state[:error] = e
      SystemErrorError::CODE
    end
  end
end
