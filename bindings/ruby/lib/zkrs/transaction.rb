# frozen_string_literal: true

module Zkrs
  # What happened to one operation of a committed transaction: `kind` (:create, :delete, :set_data,
  # :check), `error` (nil when applied; RuntimeInconsistencyError for ops rolled back because another
  # failed), `path` (an applied create's path) and `stat` (an applied create or set_data).
  TxnResult = Struct.new(:kind, :error, :path, :stat)

  # A ZooKeeper transaction (multi): all operations are applied, or none. Build it with create / delete /
  # set_data / check (each returns self), then `commit` (or `commit_async`). Not for concurrent use.
  class Transaction
    KINDS = { 1 => :create, 2 => :delete, 3 => :set_data, 4 => :check }.freeze

    def initialize(client_ptr)
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_txn_new(client_ptr, out))
      @ptr = FFI::AutoPointer.new(out.read_pointer, Native.method(:zkrs_txn_free))
    end

    def create(path, value = "", acl: nil, ephemeral: false, sequence: false, container: false, ttl_ms: nil)
      data, len = Native.bytes(value)
      Native.with_acls(acl) do |list|
        opts = Native.create_options(list, ephemeral: ephemeral, sequence: sequence, container: container,
                                           ttl_ms: ttl_ms)
        Zkrs.check(Native.zkrs_txn_create(@ptr, path, data, len, opts))
      end
      self
    end

    def delete(path, version: -1)
      Zkrs.check(Native.zkrs_txn_delete(@ptr, path, version))
      self
    end

    def set_data(path, value, version: -1)
      data, len = Native.bytes(value)
      Zkrs.check(Native.zkrs_txn_set_data(@ptr, path, data, len, version))
      self
    end

    def check(path, version)
      Zkrs.check(Native.zkrs_txn_check(@ptr, path, version))
      self
    end

    def size
      Native.zkrs_txn_len(@ptr)
    end

    # Commits: returns one TxnResult per operation, or raises the failed operation's error (with
    # `failed_index` and `results` set) when the server refused the transaction.
    def commit
      out = Native.out_pointer
      out.write_pointer(nil)
      rc = Native.zkrs_txn_commit(@ptr, out)
      Transaction.finish(rc, out)
    end

    # Commits without waiting: a Future of what `commit` returns.
    def commit_async
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_txn_commit_future(@ptr, out))
      Future.new(out.read_pointer, :txn)
    end

    # Turns a commit's code and results (written also when the transaction failed) into the results
    # or the error.
    def self.finish(rc, out)
      raw = out.read_pointer
      detail = Native.zkrs_last_error_message unless rc.zero?
      results = raw.null? ? nil : read_results(raw)
      return results if rc.zero?

      error = Error.for(rc, detail)
      if results
        error.failed_index = Native.zkrs_txn_results_failed_index(raw)
        error.results = results
      end
      raise error
    ensure
      Native.zkrs_txn_results_free(raw) if raw && !raw.null?
    end

    def self.read_results(raw)
      kind = FFI::MemoryPointer.new(:int32)
      rc = FFI::MemoryPointer.new(:int32)
      path = Native.out_pointer
      Array.new(Native.zkrs_txn_results_len(raw)) do |i|
        stat = Native::Stat.new
        Zkrs.check(Native.zkrs_txn_results_get(raw, i, kind, rc, path, stat))
        code = rc.read_int32
        op = KINDS.fetch(kind.read_int32)
        path_ptr = path.read_pointer
        TxnResult.new(op, code.zero? ? nil : Error.for(code),
                      path_ptr.null? ? nil : path_ptr.read_string.force_encoding(Encoding::UTF_8),
                      code.zero? && %i[create set_data].include?(op) ? Stat.from_native(stat) : nil)
      end
    end
  end
end
