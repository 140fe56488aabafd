# frozen_string_literal: true

require_relative "helper"

# Zkrs::Queue: kazoo's Queue and LockingQueue over the zkrs_queue C API.
class TestRecipeQueue < Minitest::Test
  include ZkrsTestHelper

  def test_entries_come_out_by_priority_then_in_order
    queue = Zkrs::Queue.new(client, unique("queue"))
    queue.put("b1").put("urgent", priority: 1).put("b2")
    queue.put_all(%w[late1 late2], priority: 500)
    assert_equal 5, queue.size
    assert_equal %w[urgent b1 b2 late1 late2], Array.new(5) { queue.get }
    assert_nil queue.get
    assert_equal 0, queue.size
  end

  def test_a_waiting_get_is_woken_by_a_put_from_another_client
    path = unique("queue-wait")
    consumer = Zkrs::Queue.new(client, path)
    producer = Zkrs::Queue.new(connect, path)
    waiting = Thread.new { consumer.get(timeout: WAIT) }
    sleep 0.2
    producer.put("hello".b)
    assert_equal "hello", waiting.value
    started = Time.now
    assert_nil consumer.get(timeout: 0.3)
    assert_operator Time.now - started, :>=, 0.25
  end

  def test_bad_priority_and_closed_client
    c = connect
    queue = Zkrs::Queue.new(c, unique("queue-bad"))
    assert_raises(Zkrs::BadArgumentsError) { queue.put("x", priority: 1000) }
    c.close
    assert_raises(Zkrs::ClosedError) { queue.put("x") }
  end

  def test_locking_queue_consume_and_release
    path = unique("lqueue")
    worker = Zkrs::Queue.new(client, path, locking: true)
    other = Zkrs::Queue.new(connect, path, locking: true)
    worker.put("one").put("two")
    refute worker.holds_lock?
    assert_equal "one", worker.get
    assert worker.holds_lock?
    assert_equal "one", worker.get, "the held entry is returned again"
    assert_equal "two", other.get
    assert worker.release
    refute worker.holds_lock?
    assert_equal "one", worker.get
    assert worker.consume
    refute worker.consume
    assert other.consume
    assert_equal 0, worker.size
    assert_raises(Zkrs::BadArgumentsError) { Zkrs::Queue.new(client, unique("plain")).consume }
  end
end
