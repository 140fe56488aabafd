# frozen_string_literal: true

require_relative "helper"

# Zkrs::Lease (kazoo's NonBlockingLease / MultiNonBlockingLease) and Zkrs::SetPartitioner.
class TestRecipeLeasePartitioner < Minitest::Test
  include ZkrsTestHelper

  def test_a_lease_has_one_holder_until_its_time_is_over
    path = unique("lease")
    assert Zkrs::Lease.obtain(client, path, 60, identifier: "alice")
    assert Zkrs::Lease.obtain(client, path, 60, identifier: "alice"), "the holder renews it"
    refute Zkrs::Lease.obtain(connect, path, 60, identifier: "bob")
    assert_match(/"holder": "alice"/, client.get("#{path}/lease_holder").first)
    assert_raises(Zkrs::BadArgumentsError) { Zkrs::Lease.obtain(client, path, -1) }
  end

  def test_multi_lease_hands_out_count_leases
    path = unique("multilease")
    assert Zkrs::Lease.obtain_any(client, 2, path, 60, identifier: "a")
    assert Zkrs::Lease.obtain_any(client, 2, path, 60, identifier: "b")
    refute Zkrs::Lease.obtain_any(client, 2, path, 60, identifier: "c")
    assert_equal %w[0 1], client.children(path).sort
  end

  # Drives the members until each holds its share: release_set in :release, otherwise waits for a
  # change of a member still allocating.
  def settle(members)
    deadline = Time.now + WAIT
    loop do
      states = members.map(&:state_and_id)
      return if states.all? { |state, _| state == :acquired }

      flunk("the members did not all acquire their share") if Time.now > deadline
      refute_includes states.map(&:first), :failure
      members.zip(states).each { |m, (state, _)| m.release_set if state == :release }
      pending = members.zip(states).find { |_, (state, _)| state == :allocating }
      pending&.first&.wait_for_change(pending.last.last, 0.2)
    end
  end

  def test_two_members_split_the_set
    path = unique("partition")
    items = %w[a b c d e]
    first = Zkrs::SetPartitioner.new(connect, path, items, identifier: "m0", time_boundary: 0.2)
    assert first.wait_for_acquire(WAIT)
    assert_equal items, first.partitions
    _, seen = first.state_and_id
    assert_nil first.wait_for_change(seen, 0.05), "nothing changes while the party is calm"
    second = Zkrs::SetPartitioner.new(connect, path, items, identifier: "m1", time_boundary: 0.2)
    state, id = first.wait_for_change(seen, WAIT)
    assert_equal :release, state, "a member joining makes the division stale"
    assert_operator id, :>, seen
    assert_equal items, first.acquired_items, "still held until release_set"
    members = [first, second]
    settle(members)
    # kazoo's round robin over the sorted members and items.
    assert_equal [%w[a c e], %w[b d]], members.map(&:partitions)
    assert first.wait_for_acquire(WAIT)
    members.each(&:finish)
    assert_equal [:failure] * 2, members.map(&:state)
    refute members[0].wait_for_acquire(0)
    assert_empty members[0].partitions
    members.each(&:close)
    assert_raises(Zkrs::ClosedError) { first.state }
    assert_raises(Zkrs::InvalidPathError) { Zkrs::SetPartitioner.new(client, path, ["x/y"]) }
    assert_raises(Zkrs::BadArgumentsError) { Zkrs::SetPartitioner.new(client, path, items, time_boundary: -1) }
  end

  def test_a_block_decides_the_share
    path = unique("partition-block")
    items = %w[a b c d]
    calls = Queue.new
    # The first of the sorted members takes the first two items, the other the rest.
    split = lambda do |identifier, members, set|
      calls << [identifier, members]
      identifier == members.first ? set.first(2) : ["not-an-item", *set.drop(2)]
    end
    members = %w[m0 m1].map do |name|
      Zkrs::SetPartitioner.new(connect, path, items, identifier: name, time_boundary: 0.1, &split)
    end
    assert_equal @registered_before + 2, Zkrs::Callbacks.size
    settle(members)
    assert_equal [%w[a b], %w[c d]], members.map(&:partitions)
    seen = []
    seen << calls.pop until calls.empty?
    assert_includes seen, ["m0", %w[m0 m1]]
    assert_includes seen, ["m1", %w[m0 m1]]
    members.each(&:close)
    eventually("the blocks are released") { Zkrs::Callbacks.size == @registered_before }
    assert_raises(Zkrs::BadArgumentsError) do
      Zkrs::SetPartitioner.new(client, path, items, time_boundary: -1, &split)
    end
    assert_equal @registered_before, Zkrs::Callbacks.size, "a refused partitioner releases its block"
  end

  def test_a_raising_block_takes_nothing
    errors = Queue.new
    Zkrs.on_callback_error { |e| errors << e }
    member = Zkrs::SetPartitioner.new(client, unique("partition-raise"), %w[a b], time_boundary: 0) { raise "boom" }
    assert member.wait_for_acquire(WAIT)
    assert_empty member.partitions
    assert_equal "boom", pop(errors, "the block's exception").message
    member.close
    eventually("the block is released") { Zkrs::Callbacks.size == @registered_before }
  ensure
    Zkrs.on_callback_error
  end
end
