# frozen_string_literal: true

require_relative "helper"

# Zkrs::Lock (exclusive, read, write), Zkrs::Semaphore and Zkrs::Election over their C APIs.
class TestRecipeLock < Minitest::Test
  include ZkrsTestHelper

  def test_exclusive_lock_has_one_holder_at_a_time
    path = unique("lock")
    first = Zkrs::Lock.new(client, path, "first")
    second = Zkrs::Lock.new(connect, path, "second")
    assert first.acquire
    assert first.held?
    refute second.acquire(blocking: false)
    refute second.acquire(timeout: 0.2)
    waiting = Thread.new { second.acquire(timeout: WAIT) }
    eventually("second queues up") { first.contenders == %w[first second] }
    assert first.release
    assert waiting.value
    assert second.held?
    refute first.held?
    refute first.release, "releasing a lock not held"
    assert_raises(Zkrs::BadArgumentsError) { second.acquire }
    second.release
  end

  def test_synchronize_serialises_threads_with_their_own_locks
    path = unique("lock-sync")
    inside = 0
    max_inside = 0
    mutex = Mutex.new
    threads = Array.new(4) do |i|
      Thread.new do
        Zkrs::Lock.new(client, path, "t#{i}").synchronize(timeout: WAIT) do
          mutex.synchronize { max_inside = [max_inside, inside += 1].max }
          sleep 0.05
          mutex.synchronize { inside -= 1 }
        end
      end
    end
    threads.each(&:join)
    assert_equal 1, max_inside
  end

  def test_cancel_ends_a_waiting_acquire
    path = unique("lock-cancel")
    holder = Zkrs::Lock.new(client, path)
    holder.acquire
    waiter = Zkrs::Lock.new(connect, path)
    thread = expecting_thread { waiter.acquire(timeout: WAIT) }
    eventually("the waiter queues up") { holder.contenders.size == 2 }
    waiter.cancel
    assert_raises(Zkrs::CancelledError) { thread.value }
    eventually("no contender node is left behind") { holder.contenders.size == 1 }
    holder.release
  end

  def test_losing_the_lock_runs_the_lost_block
    path = unique("lock-lost")
    lock = Zkrs::Lock.new(client, path, "me")
    lost = Queue.new
    lock.on_lost { lost << Thread.current.name }
    lock.acquire
    node = client.children(path).first
    connect.delete("#{path}/#{node}")
    assert_equal "zkrs-dispatch", pop(lost, "the loss")
    refute lock.held?
  end

  def test_read_locks_share_and_write_locks_exclude
    path = unique("rwlock")
    readers = Array.new(2) { |i| Zkrs::ReadLock.new(connect, path, "r#{i}") }
    writer = Zkrs::WriteLock.new(connect, path, "w")
    assert(readers.all?(&:acquire))
    refute writer.acquire(timeout: 0.2)
    readers.each(&:release)
    assert writer.acquire(timeout: WAIT)
    refute Zkrs::ReadLock.new(client, path).acquire(blocking: false)
    writer.release
  end

  def test_semaphore_grants_max_leases
    path = unique("sem")
    sems = Array.new(3) { |i| Zkrs::Semaphore.new(connect, path, "s#{i}", max_leases: 2) }
    assert sems[0].acquire
    assert sems[1].acquire
    refute sems[2].acquire(timeout: 0.2)
    assert_equal %w[s0 s1], sems[0].lease_holders.sort
    sems[0].release
    assert sems[2].acquire(timeout: WAIT)
    assert sems[2].held?
    assert_raises(Zkrs::BadArgumentsError) { Zkrs::Semaphore.new(client, path, max_leases: 5).acquire }
  end

  def test_election_runs_one_leader_at_a_time_on_the_calling_thread
    path = unique("election")
    order = Queue.new
    candidates = %w[a b c].map { |id| Zkrs::Election.new(connect, path, id) }
    threads = candidates.map do |cand|
      Thread.new do
        cand.run(timeout: WAIT) do |election|
          order << [Thread.current == Thread.main, election.leader?, election.contenders.first]
          sleep 0.05
          :led
        end
      end
    end
    assert_equal %i[led led led], threads.map(&:value)
    results = Array.new(3) { pop(order) }
    assert(results.all? { |on_main, leads, _| !on_main && leads })
    assert_equal 3, results.map(&:last).uniq.size, "each led in turn"
  end

  def test_election_raises_the_blocks_exception_and_times_out
    path = unique("election2")
    leader = Zkrs::Election.new(client, path, "leader")
    assert_raises(ArgumentError) { leader.run { raise ArgumentError, "in the leader" } }
    refute leader.leader?
    held = Queue.new
    release = Queue.new
    thread = Thread.new { leader.run { held << true; pop(release) } }
    pop(held)
    other = Zkrs::Election.new(connect, path, "other")
    assert_raises(Zkrs::TimeoutError) { other.run(timeout: 0.2) { flunk("not elected") } }
    waiting = expecting_thread { other.run(timeout: WAIT) { flunk("cancelled") } }
    eventually("other is a candidate") { leader.contenders.size == 2 }
    other.cancel
    assert_raises(Zkrs::CancelledError) { waiting.value }
    release << :done
    thread.join
    assert_callbacks_released
  end
end
