# frozen_string_literal: true

module Zkrs
  # The base of every error zkrs raises: `code` is the zkrs_rc number, `code_name` its name
  # ("NO_NODE"), `detail` what failed and where (zkrs_last_error_message or a callback's detail).
  class Error < StandardError
    attr_reader :code, :code_name, :detail
    # For a failed transaction: the index of the operation that failed and every op's TxnResult.
    attr_accessor :failed_index, :results

    def initialize(code, detail = nil)
      @code = code
      @code_name = Native.zkrs_rc_name(code)
      @detail = detail.nil? || detail.empty? ? nil : detail
      super([@code_name, Native.zkrs_rc_message(code), @detail].compact.join(": "))
    end

    # Whether retrying may succeed (kazoo's rule: connection loss, operation timeout, force retry).
    def retriable?
      Native.zkrs_rc_is_retriable(code)
    end
  end

  # One subclass of Error per code of zkrs_rc_table(), named after the code: NO_NODE -> NoNodeError.
  ERRORS_BY_CODE = {}.tap do |by_code|
    len = FFI::MemoryPointer.new(:size_t)
    first = Native.zkrs_rc_table(len)
    len.read(:size_t).times do |i|
      desc = Native::RcDesc.new(first + i * Native::RcDesc.size)
      next if desc[:rc].zero?

      name = "#{desc[:name].split("_").map(&:capitalize).join}Error"
      klass = Class.new(Error)
      klass.const_set(:CODE, desc[:rc])
      const_set(name, klass)
      by_code[desc[:rc]] = klass
    end
  end.freeze

  class Error
    # The exception for `code`, of its own class (Error itself for a number zkrs does not know).
    def self.for(code, detail = nil)
      ERRORS_BY_CODE.fetch(code, Error).new(code, detail)
    end
  end

  # Raises unless `rc` is OK, with the calling thread's last error message as the detail (blocking calls
  # run on the calling thread, so the message is the one of this call).
  def self.check(rc)
    return if rc.zero?

    raise Error.for(rc, Native.zkrs_last_error_message)
  end
end
