# frozen_string_literal: true

module Zkrs
  module Native
    attach_function :zkrs_counter_new, [:client, :string, :int32, :pointer], :rc
    attach_function :zkrs_counter_add, [:pointer, :int64, :pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_counter_subtract, [:pointer, :int64, :pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_counter_value, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_counter_add_float, [:pointer, :double, :pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_counter_subtract_float, [:pointer, :double, :pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_counter_value_float, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_counter_free, [:pointer], :void
  end

  # kazoo's Counter: a shared number at one node, changed atomically (versioned writes, retried).
  # `kind` is :int (decimal text, kazoo's default), :float (kazoo's Counter(default=0.0)) or :curator
  # (4 big-endian bytes, Curator's SharedCount).
  #
  #   counter = Zkrs::Counter.new(client, "/hits")
  #   counter += 5     # kazoo style; or counter.add(5) => [before, after]
  #   counter.value    # => 5
  class Counter
    KINDS = { int: 0, float: 1, curator: 2 }.freeze

    attr_reader :kind, :pre_value, :post_value

    def initialize(client, path, kind: :int)
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_counter_new(client.native_handle, path, KINDS.fetch(kind), out))
      @ptr = FFI::AutoPointer.new(out.read_pointer, Native.method(:zkrs_counter_free))
      @kind = kind
    end

    def value
      out = FFI::MemoryPointer.new(number_type)
      Zkrs.check(float? ? Native.zkrs_counter_value_float(@ptr, out) : Native.zkrs_counter_value(@ptr, out))
      out.read(number_type)
    end

    # Adds `delta`; returns [value before, value after] (also kept as pre_value / post_value).
    def add(delta)
      change(float? ? :zkrs_counter_add_float : :zkrs_counter_add, delta)
    end

    def subtract(delta)
      change(float? ? :zkrs_counter_subtract_float : :zkrs_counter_subtract, delta)
    end

    # kazoo's `counter += n` / `counter -= n`: changes the counter and returns it.
    def +(other)
      add(other)
      self
    end

    def -(other)
      subtract(other)
      self
    end

    private

    def float?
      @kind == :float
    end

    def number_type
      float? ? :double : :int64
    end

    def change(fn, delta)
      pre = FFI::MemoryPointer.new(number_type)
      post = FFI::MemoryPointer.new(number_type)
      Zkrs.check(Native.public_send(fn, @ptr, float? ? Float(delta) : Integer(delta), pre, post))
      @pre_value = pre.read(number_type)
      @post_value = post.read(number_type)
      [@pre_value, @post_value]
    end
  end
end
