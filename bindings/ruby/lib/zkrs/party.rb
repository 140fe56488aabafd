# frozen_string_literal: true

module Zkrs
  module Native
    attach_function :zkrs_party_new, [:client, :string, :string, :bool, :pointer], :rc
    attach_function :zkrs_party_join, [:pointer], :rc, blocking: true
    attach_function :zkrs_party_leave, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_party_members, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_party_len, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_party_participating, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_party_free, [:pointer], :void
  end

  # kazoo's Party (or ShallowParty with shallow: true): members announce themselves with an ephemeral
  # node holding their identifier.
  class Party
    include Enumerable

    def initialize(client, path, identifier = nil, shallow: false)
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_party_new(client.native_handle, path, identifier, shallow, out))
      @ptr = FFI::AutoPointer.new(out.read_pointer, Native.method(:zkrs_party_free))
    end

    def join
      Zkrs.check(Native.zkrs_party_join(@ptr))
      self
    end

    # Leaves the party; whether this member's node was there.
    def leave
      out = FFI::MemoryPointer.new(:bool)
      Zkrs.check(Native.zkrs_party_leave(@ptr, out))
      out.read(:bool)
    end

    # The members' identifiers.
    def members
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_party_members(@ptr, out))
      Native.take_string_list(out)
    end

    def each(&block)
      members.each(&block)
    end

    def size
      out = FFI::MemoryPointer.new(:size_t)
      Zkrs.check(Native.zkrs_party_len(@ptr, out))
      out.read(:size_t)
    end
    alias length size

    def participating?
      out = FFI::MemoryPointer.new(:bool)
      Zkrs.check(Native.zkrs_party_participating(@ptr, out))
      out.read(:bool)
    end
  end
end
