# frozen_string_literal: true

require_relative "helper"

# Zkrs::Barrier, Zkrs::DoubleBarrier and Zkrs::Party over their C APIs.
class TestRecipeBarrierParty < Minitest::Test
  include ZkrsTestHelper

  def test_barrier_holds_waiters_until_removed
    path = unique("barrier")
    barrier = Zkrs::Barrier.new(client, path).create
    assert client.exists(path)
    refute barrier.wait(0.2)
    waiter = Thread.new { Zkrs::Barrier.new(connect, path).wait(WAIT) }
    sleep 0.2
    assert waiter.alive?
    assert barrier.remove
    assert waiter.value
    refute barrier.remove
    assert barrier.wait(0)
  end

  def test_double_barrier_enters_when_all_members_are_in
    path = unique("dbarrier")
    members = Array.new(3) { |i| Zkrs::DoubleBarrier.new(connect, path, 3, identifier: "m#{i}") }
    assert_raises(Zkrs::TimeoutError) { members[0].enter(timeout: 0.3) }
    refute members[0].participating?
    threads = members.map { |m| Thread.new { m.enter(timeout: WAIT).participating? } }
    assert_equal [true, true, true], threads.map(&:value)
    threads = members.map { |m| Thread.new { m.leave(timeout: WAIT).participating? } }
    assert_equal [false, false, false], threads.map(&:value)
    assert_raises(Zkrs::BadArgumentsError) { Zkrs::DoubleBarrier.new(client, path, 0) }
  end

  def test_party_members_join_and_leave
    path = unique("party")
    alice = Zkrs::Party.new(client, path, "alice")
    other = connect
    bob = Zkrs::Party.new(other, path, "bob", shallow: false)
    refute alice.participating?
    alice.join
    bob.join
    assert alice.participating?
    assert_equal %w[alice bob], alice.members.sort
    assert_equal 2, alice.size
    assert alice.leave
    refute alice.leave
    other.close
    assert_equal [], alice.to_a
  end

  def test_shallow_party_keeps_the_identifier_in_the_node_name
    path = unique("shallow")
    party = Zkrs::Party.new(client, path, "worker-1", shallow: true).join
    assert_equal ["worker-1"], party.members
    assert_match(/-worker-1\z/, client.children(path).first)
    assert_raises(Zkrs::InvalidPathError) { Zkrs::Party.new(client, path, "a/b", shallow: true) }
  end
end
