# frozen_string_literal: true

module Zkrs
  module Native
    callback :leader_fn, [:pointer, :pointer], :void

    attach_function :zkrs_election_new, [:client, :string, :string, :pointer], :rc
    attach_function :zkrs_election_run, [:pointer, :int32, :leader_fn, :pointer, :free_fn], :rc, blocking: true
    attach_function :zkrs_election_cancel, [:pointer], :rc, blocking: true
    attach_function :zkrs_election_is_leader, [:pointer], :bool, blocking: true
    attach_function :zkrs_election_contenders, [:pointer, :pointer], :rc, blocking: true
    attach_function :zkrs_election_set_lost_callback, [:pointer, :lost_fn, :pointer, :free_fn], :rc,
                    blocking: true
    attach_function :zkrs_election_free, [:pointer], :void, blocking: true
  end

  module Callbacks
    # zkrs_leader_fn: runs on the thread in Election#run; the callable never raises (it keeps the
    # block's exception for #run to raise).
    LEADER = FFI::Function.new(:void, [:pointer, :pointer]) { |ud, _election| fetch(ud)&.call }
  end

  # kazoo's Election: #run waits to be elected, then runs the block on the calling thread while this
  # candidate leads; leadership ends when the block returns.
  #
  #   Zkrs::Election.new(client, "/election", "me").run { lead }
  class Election
    include Holdable

    SET_LOST = :zkrs_election_set_lost_callback

    def initialize(client, path, identifier = nil)
      out = Native.out_pointer
      Zkrs.check(Native.zkrs_election_new(client.native_handle, path, identifier, out))
      @ptr = FFI::AutoPointer.new(out.read_pointer, Native.method(:zkrs_election_free))
    end

    # Waits up to `timeout` seconds (nil: no limit) to be elected, then runs the block and returns its
    # value. TimeoutError / CancelledError / SessionExpiredError / ClosedError when it did not run; an
    # exception of the block is raised here after leadership was given up.
    def run(timeout: nil, &block)
      raise ArgumentError, "run needs a block" unless block

      outcome = {}
      leader = lambda do
        outcome[:value] = block.call(self)
      rescue Exception => e # rubocop:disable Lint/RescueException -- nothing may escape into C
        outcome[:error] = e
      end
      userdata = Callbacks.register(leader)
      Zkrs.check(Native.zkrs_election_run(@ptr, Native.millis(timeout), Callbacks::LEADER, userdata,
                                          Callbacks::FREE))
      raise outcome[:error] if outcome.key?(:error)

      outcome[:value]
    end

    # Makes a #run still waiting to be elected raise CancelledError.
    def cancel
      Zkrs.check(Native.zkrs_election_cancel(@ptr))
    end

    def leader?
      Native.zkrs_election_is_leader(@ptr)
    end

    # The candidates' identifiers in election order (the first leads).
    def contenders
      list_out(:zkrs_election_contenders)
    end
  end
end
