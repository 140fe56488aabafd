# frozen_string_literal: true

require_relative "helper"

# Zkrs::DataWatch, Zkrs::ChildrenWatch and Zkrs::TreeCache over their C APIs.
class TestRecipeWatchers < Minitest::Test
  include ZkrsTestHelper

  def test_data_watch_follows_the_node_until_the_block_returns_false
    path = unique("datawatch")
    calls = Queue.new
    watch = Zkrs::DataWatch.new(client, path) do |data, stat, event|
      calls << [data, stat&.version, event&.type, Thread.current.name]
      data != "stop"
    end
    assert_equal [nil, nil, nil, "zkrs-dispatch"], pop(calls), "first call: the node does not exist"
    client.create(path, "a")
    assert_equal ["a", 0, :created], pop(calls).first(3)
    client.set(path, "b")
    assert_equal ["b", 1, :changed], pop(calls).first(3)
    client.delete(path)
    assert_equal [nil, nil, :deleted], pop(calls).first(3)
    client.create(path, "stop")
    assert_equal "stop", pop(calls).first
    eventually("the watch stops") { watch.stopped? }
    client.set(path, "after")
    sleep 0.2
    assert_empty calls
    assert_callbacks_released
  end

  def test_data_watch_close_stops_it_and_releases_the_block
    path = unique("datawatch-close")
    client.create(path, "x")
    calls = Queue.new
    watch = Zkrs::DataWatch.new(client, path) { |data, _, _| calls << data }
    assert_equal "x", pop(calls)
    watch.close
    assert watch.stopped?
    client.set(path, "y")
    sleep 0.2
    assert_empty calls
    assert_callbacks_released
    refute client.watches?(path, :data), "the watch is removed from the server too"
  end

  def test_children_watch_with_events_and_deletion_of_the_node
    path = unique("childwatch")
    client.create(path)
    calls = Queue.new
    watch = Zkrs::ChildrenWatch.new(client, path, send_event: true) { |kids, event| calls << [kids.sort, event&.type] }
    assert_equal [[], nil], pop(calls)
    client.create("#{path}/a")
    assert_equal [["a"], :child], pop(calls)
    client.create("#{path}/b")
    assert_equal [%w[a b], :child], pop(calls)
    client.delete(path, recursive: true)
    eventually("deleting the node stops the watch") { watch.stopped? }
    assert_callbacks_released
  end

  def test_children_watch_without_events_and_a_block_that_stops
    path = unique("childwatch2")
    client.create(path)
    calls = Queue.new
    watch = Zkrs::ChildrenWatch.new(client, path) do |kids|
      calls << kids
      kids.size < 1
    end
    assert_equal [], pop(calls)
    client.create("#{path}/only")
    assert_equal ["only"], pop(calls)
    eventually("returning false stops the watch") { watch.stopped? }
  end

  def test_tree_cache_mirrors_the_subtree_with_events
    path = unique("tree")
    client.create("#{path}/a/b", "deep", makepath: true)
    events = Queue.new
    cache = Zkrs::TreeCache.new(client, path).listen { |e| events << e }
    cache.start
    seen = []
    seen << pop(events) until seen.last&.type == :initialized
    assert_equal [path, "#{path}/a", "#{path}/a/b"].sort, seen.select { |e| e.type == :node_added }.map(&:path).sort
    assert_equal "deep", cache.get_data("#{path}/a/b").first
    assert_equal ["a"], cache.get_children(path)

    client.set("#{path}/a/b", "new")
    updated = pop(events)
    assert_equal [:node_updated, "#{path}/a/b", "new", 1], [updated.type, updated.path, updated.data, updated.stat.version]
    client.delete("#{path}/a/b")
    removed = pop(events)
    assert_equal [:node_removed, "#{path}/a/b", "new"], [removed.type, removed.path, removed.data]
    eventually("the cache drops the node") { cache.get_data("#{path}/a/b").nil? }
    assert_raises(Zkrs::BadArgumentsError) { cache.get_data("/elsewhere") }
    assert_raises(Zkrs::BadArgumentsError) { cache.start }

    cache.close
    client.create("#{path}/later")
    sleep 0.2
    assert_empty events
    assert_callbacks_released
  end

  def test_tree_cache_reports_faults
    path = unique("tree-fault")
    owner = connect
    owner.add_auth("digest", "carol:pw")
    owner.create(path)
    owner.create("#{path}/secret", "x", acl: [Zkrs::ACL.digest("carol", "pw")])
    faults = Queue.new
    cache = Zkrs::TreeCache.new(client, path).listen_fault { |e| faults << e }.start
    assert_kind_of Zkrs::NoAuthError, pop(faults, "the fault")
    cache.close
  end
end
