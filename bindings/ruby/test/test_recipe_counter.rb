# frozen_string_literal: true

require_relative "helper"

# Zkrs::Counter: kazoo's Counter over the zkrs_counter C API.
class TestRecipeCounter < Minitest::Test
  include ZkrsTestHelper

  def test_integer_counter_adds_and_subtracts
    path = unique("counter")
    counter = Zkrs::Counter.new(client, path)
    assert_equal 0, counter.value
    assert_equal [0, 5], counter.add(5)
    counter -= 2
    assert_equal [5, 3], [counter.pre_value, counter.post_value]
    assert_equal 3, counter.value
    assert_equal "3", client.get(path).first, "kazoo's layout: decimal text"
  end

  def test_concurrent_increments_from_threads_and_clients_are_not_lost
    path = unique("counter-race")
    counters = [client, connect].map { |c| Zkrs::Counter.new(c, path) }
    threads = Array.new(8) { |i| Thread.new { 10.times { counters[i % 2].add(1) } } }
    threads.each(&:join)
    assert_equal 80, counters[0].value
  end

  def test_float_and_curator_counters
    path = unique("counter-kinds")
    float = Zkrs::Counter.new(client, "#{path}-f", kind: :float)
    float.add(1.5)
    float -= 0.25
    assert_in_delta 1.25, float.value
    curator = Zkrs::Counter.new(client, "#{path}-c", kind: :curator)
    curator.add(258)
    assert_equal [0, 0, 1, 2].pack("C*").b, client.get("#{path}-c").first
    assert_equal 258, curator.value
    assert_raises(Zkrs::MarshallingErrorError) { Zkrs::Counter.new(client, "#{path}-f").add(1) }
    assert_raises(KeyError) { Zkrs::Counter.new(client, path, kind: :complex) }
  end
end
