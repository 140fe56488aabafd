# frozen_string_literal: true

require_relative "helper"

# Sessions: resuming one with client_id, and a real expiry (the session closed from a second
# connection with its id and password).
class TestSession < Minitest::Test
  include ZkrsTestHelper

  def test_a_second_client_resumes_the_session_with_client_id
    first = connect
    resumed = connect(HOSTS, client_id: first.client_id)
    assert_equal first.session_id, resumed.session_id
    eph = resumed.create(unique("resumed"), ephemeral: true)
    assert_equal first.session_id, client.exists(eph).ephemeral_owner
  end

  def test_session_expiry_ends_watches_and_a_new_session_starts
    c = connect(HOSTS, session_timeout_ms: 4000)
    path = unique("expiry")
    c.create(path)
    eph = c.create("#{path}-eph", ephemeral: true)
    states = Queue.new
    c.add_listener { |e| states << e }
    watch_events = Queue.new
    c.get(path) { |e| watch_events << e }
    old_session = c.session_id

    # Closing the session from another connection with its credentials expires it for `c`.
    Zkrs::Client.open(HOSTS, client_id: c.client_id, &:session_id)

    assert_equal :session_expired, pop(watch_events, "the watch ends").type
    seen = []
    seen << pop(states, "the expiry").state until seen.include?(:expired)
    assert_includes seen, :expired
    eventually("a new session") { c.connected? && c.session_id != old_session }
    assert_nil client.exists(eph)
    assert client.exists(path)
    # The ended watch was released; only the state listener is still registered.
    eventually("the watch is released") { Zkrs::Callbacks.size <= @registered_before + 1 }
  end
end
