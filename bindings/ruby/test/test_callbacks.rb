# frozen_string_literal: true

require_relative "helper"

# Watches, state listeners and async completions: blocks run on the client's Ruby dispatcher thread,
# and every block handed to zkrs is released from the registry by free_userdata (or when it ran).
class TestCallbacks < Minitest::Test
  include ZkrsTestHelper

  def test_data_watch_fires_once_on_the_dispatcher_thread
    path = unique("watch")
    client.create(path, "a")
    events = Queue.new
    client.get(path) { |e| events << [e, Thread.current.name, Thread.current == Thread.main] }
    client.set(path, "b")
    client.set(path, "c")
    event, thread_name, on_main = pop(events)
    assert_equal :changed, event.type
    assert_equal :connected, event.state
    assert_equal path, event.path
    refute event.terminal?
    assert_equal "zkrs-dispatch", thread_name
    refute on_main
    sleep 0.2
    assert_empty events, "a one-shot watch fires once"
    assert_callbacks_released
  end

  def test_exists_watch_sees_creation_and_children_watch_sees_a_new_child
    path = unique("watch2")
    created = Queue.new
    assert_nil(client.exists(path) { |e| created << e })
    client.create(path)
    assert_equal :created, pop(created).type

    child = Queue.new
    assert_empty(client.children(path) { |e| child << e })
    client.create("#{path}/kid")
    assert_equal [:child, path], pop(child).to_a.values_at(0, 2)

    deleted = Queue.new
    client.get("#{path}/kid") { |e| deleted << e }
    client.delete("#{path}/kid")
    assert_equal :deleted, pop(deleted).type
    assert_callbacks_released
  end

  def test_watch_not_set_is_released_at_once
    before = Zkrs::Callbacks.size
    assert_raises(Zkrs::NoNodeError) { client.get(unique("missing")) { flunk("never set") } }
    assert_raises(Zkrs::InvalidPathError) { client.get("bad") { flunk("never set") } }
    eventually("the unset watches are released") { Zkrs::Callbacks.size == before }
  end

  def test_close_ends_watches_with_client_closed_and_releases_them
    c = connect
    path = unique("closewatch")
    c.create(path)
    events = Queue.new
    c.get(path) { |e| events << e }
    c.exists("#{path}-absent") { |e| events << e }
    persistent = c.add_watch(path) { |e| events << e }
    assert_operator Zkrs::Callbacks.size, :>=, @registered_before + 3
    c.close
    types = Array.new(3) { pop(events).type }
    assert_equal %i[client_closed client_closed client_closed], types
    assert_callbacks_released
    assert_raises(Zkrs::ClosedError) { persistent.remove }
  end

  def test_persistent_recursive_watch_until_removed
    path = unique("persistent")
    client.create(path)
    events = Queue.new
    watch = client.add_watch(path, recursive: true) { |e| events << e }
    assert client.watches?(path, :persistent_recursive)
    client.create("#{path}/a")
    client.set("#{path}/a", "x")
    client.create("#{path}/a/b")
    got = Array.new(3) { pop(events) }.map { |e| [e.type, e.path] }
    assert_equal [[:created, "#{path}/a"], [:changed, "#{path}/a"], [:created, "#{path}/a/b"]], got
    watch.remove
    assert_equal :persistent_watch_removed, pop(events).type
    assert_raises(Zkrs::NoWatcherError) { watch.remove }
    refute client.watches?(path, :persistent_recursive)
    client.set("#{path}/a", "y")
    sleep 0.2
    assert_empty events
    assert_callbacks_released
  end

  def test_remove_watches_ends_a_one_shot_watch
    path = unique("removewatch")
    client.create(path)
    events = Queue.new
    client.get(path) { |e| events << e }
    assert client.watches?(path, :data)
    client.remove_watches(path, :data)
    assert_equal :data_watch_removed, pop(events).type
    assert_raises(Zkrs::NoWatcherError) { client.remove_watches(path, :data) }
    assert_callbacks_released
  end

  def test_state_listener_sees_connect_and_close_then_is_released
    c = Zkrs::Client.new(HOSTS)
    @clients << c
    states = Queue.new
    c.add_listener { |e| states << [e, Thread.current.name] }
    c.start(timeout: WAIT)
    event, thread_name = pop(states)
    assert_equal :connected, event.state
    assert_equal :connected, event.kazoo_state
    assert_equal "zkrs-dispatch", thread_name
    c.close
    closed, = pop(states)
    assert_equal :closed, closed.state
    assert_equal :lost, closed.kazoo_state
    assert_callbacks_released
  end

  def test_removed_state_listener_is_released
    before = Zkrs::Callbacks.size
    id = client.add_listener { |_| nil }
    assert_equal before + 1, Zkrs::Callbacks.size
    client.remove_listener(id)
    eventually("the listener is released") { Zkrs::Callbacks.size == before }
    assert_raises(Zkrs::BadArgumentsError) { client.remove_listener(id) }
  end

  def test_futures_give_values_and_errors
    path = unique("future")
    assert_equal path, client.create_async(path, "v").value(WAIT)
    data, stat = client.get_async(path).value(WAIT)
    assert_equal ["v", 0], [data, stat.version]
    assert_equal 1, client.set_async(path, "w").value(WAIT).version
    assert_equal 1, client.exists_async(path).value(WAIT).version
    assert_nil client.exists_async("#{path}-no").value(WAIT)
    client.ensure_path_async("#{path}/x/y").value(WAIT)
    assert_equal ["x"], client.children_async(path).value(WAIT)
    client.sync_async(path).value(WAIT)
    future = client.get_async("#{path}-no")
    assert future.wait(WAIT)
    assert future.ready?
    assert_raises(Zkrs::NoNodeError) { future.value }
    client.delete_async(path, recursive: true).value(WAIT)
    assert_nil client.exists(path)
  end

  def test_future_then_runs_on_the_dispatcher_thread
    path = unique("then")
    results = Queue.new
    client.create_async(path, "x").then { |value, error| results << [value, error, Thread.current.name] }
    assert_equal [path, nil, "zkrs-dispatch"], pop(results)
    client.create_async(path).then { |value, error| results << [value, error] }
    value, error = pop(results)
    assert_nil value
    assert_kind_of Zkrs::NodeExistsError, error
    assert_callbacks_released
  end

  def test_transaction_commit_async
    path = unique("txn-async")
    results = client.transaction.create(path, "a").create("#{path}/b").commit_async.value(WAIT)
    assert_equal ["#{path}/b"], results.drop(1).map(&:path)
    error = assert_raises(Zkrs::NodeExistsError) { client.transaction.create(path).commit_async.value(WAIT) }
    assert_equal 0, error.failed_index
  end

  def test_waiting_for_a_future_inside_a_callback_raises_would_deadlock
    path = unique("deadlock")
    client.create(path)
    outcome = Queue.new
    client.get(path) do |_|
      client.get_async(path).value(WAIT)
      outcome << :no_error
    rescue Zkrs::Error => e
      outcome << e.class
    end
    client.set(path, "x")
    assert_equal Zkrs::WouldDeadlockError, pop(outcome)
  end

  def test_sync_calls_work_inside_callbacks
    path = unique("synccb")
    client.create(path, "first")
    seen = Queue.new
    client.get(path) { |_| seen << client.get(path).first }
    client.set(path, "second")
    assert_equal "second", pop(seen)
  end

  def test_exception_in_a_callback_goes_to_the_handler_and_dispatch_goes_on
    errors = Queue.new
    Zkrs.on_callback_error { |e| errors << e }
    path = unique("raise")
    client.create(path)
    client.get(path) { |_| raise "boom" }
    after = Queue.new
    client.exists("#{path}-later") { |e| after << e }
    client.set(path, "x")
    client.create("#{path}-later")
    assert_equal "boom", pop(errors).message
    assert_equal :created, pop(after).type
  ensure
    Zkrs.on_callback_error { |e| warn("zkrs: exception in a callback: #{e.class}: #{e.message}") }
  end

  def test_close_from_inside_a_callback
    c = connect
    path = unique("closecb")
    c.create(path)
    done = Queue.new
    c.get(path) do |_|
      c.close
      done << c.state
    end
    client.set(path, "x")
    assert_equal :closed, pop(done)
    assert c.closed?
  end
end
