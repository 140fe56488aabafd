# frozen_string_literal: true

require_relative "helper"

# The dynamic configuration of a 3-member ensemble with reconfigEnabled that tests/binding_ruby.rs starts:
# ZK_RECONFIG_HOSTS is one member, ZK_RECONFIG_VICTIM the id of a follower that member is not.
RECONFIG_HOSTS = ENV.fetch("ZK_RECONFIG_HOSTS") { abort "ZK_RECONFIG_HOSTS is not set; run via cargo test --test binding_ruby" }
RECONFIG_VICTIM = Integer(ENV.fetch("ZK_RECONFIG_VICTIM") { abort "ZK_RECONFIG_VICTIM is not set" })

class TestReconfig < Minitest::Test
  include ZkrsTestHelper

  def test_a_standalone_server_refuses_reconfig
    assert_raises(Zkrs::ReconfigDisabledError) { client.reconfig(leaving: "2") }
  end

  def test_get_config_watch_and_reconfig
    zk = connect(RECONFIG_HOSTS)
    changed = Queue.new
    config, stat = zk.get_config { |e| changed << e }
    assert_equal Encoding::UTF_8, config.encoding
    (1..3).each { |id| assert_match(/^server\.#{id}=/, config) }
    assert_match(/^version=/, config)
    async_config, async_stat = zk.get_config_async.value(WAIT)
    assert_equal [config, stat.mzxid], [async_config, async_stat.mzxid]

    new_config, new_stat = zk.reconfig(leaving: RECONFIG_VICTIM.to_s)
    refute_match(/^server\.#{RECONFIG_VICTIM}=/, new_config)
    assert_match(/^server\.1=/, new_config)
    assert_operator new_stat.mzxid, :>, stat.mzxid
    event = pop(changed, "the config watch")
    assert_equal [:changed, "/zookeeper/config"], [event.type, event.path]

    # A stale expected version is refused, sync and async (the membership change may cut connections
    # for a moment meanwhile: retry those).
    [-> { zk.reconfig(leaving: "1", from_config: 1) },
     -> { zk.reconfig_async(leaving: "1", from_config: 1).value(WAIT) }].each do |stale|
      assert_raises(Zkrs::BadVersionError) do
        tries = 0
        begin
          stale.call
        rescue Zkrs::ConnectionLossError
          tries += 1
          raise if tries >= 50

          sleep 0.1
          retry
        end
      end
    end
  end
end
