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

  def test_two_members_split_the_set
    path = unique("partition")
    items = %w[a b c d]
    members = Array.new(2) do |i|
      Zkrs::SetPartitioner.new(connect, path, items, identifier: "m#{i}", time_boundary: 0.3)
    end
    assert(members.all? { |m| m.wait_for_acquire(WAIT) })
    assert_equal [:acquired] * 2, members.map(&:state)
    shares = members.map(&:partitions)
    assert_equal items, shares.flatten.sort
    assert(shares.none?(&:empty?))
    members.each(&:finish)
    assert_equal [:failure] * 2, members.map(&:state)
    refute members[0].wait_for_acquire(0)
    assert_raises(Zkrs::BadArgumentsError) { Zkrs::SetPartitioner.new(client, path, ["x/y"]) }
  end
end
