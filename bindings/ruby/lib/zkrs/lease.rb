# frozen_string_literal: true

module Zkrs
  module Native
    attach_function :zkrs_lease_new, [:client, :string, :int64, :string, :pointer], :rc, blocking: true
    attach_function :zkrs_multi_lease_new, [:client, :size_t, :string, :int64, :string, :pointer], :rc,
                    blocking: true
  end

  # kazoo's NonBlockingLease and MultiNonBlockingLease: one attempt to obtain a time-limited lease.
  module Lease
    class << self
      # Whether `identifier` (nil: the host name) obtained (or renewed) the lease at `path` for
      # `duration` seconds.
      def obtain(client, path, duration, identifier: nil)
        out = FFI::MemoryPointer.new(:bool)
        Zkrs.check(Native.zkrs_lease_new(client.native_handle, path, (duration * 1000).round, identifier, out))
        out.read(:bool)
      end

      # Whether one of the `count` leases under `path` was obtained.
      def obtain_any(client, count, path, duration, identifier: nil)
        out = FFI::MemoryPointer.new(:bool)
        Zkrs.check(Native.zkrs_multi_lease_new(client.native_handle, count, path, (duration * 1000).round,
                                               identifier, out))
        out.read(:bool)
      end
    end
  end
end
