# frozen_string_literal: true

# Shared support for the minitests: a real ZooKeeper at ZK_HOSTS (tests/binding_ruby.rs starts one and
# points ZKRS_LIBRARY at the freshly built libzkrs.so), unique paths, clients closed after each test.
require "minitest/autorun"
require "zkrs"

HOSTS = ENV.fetch("ZK_HOSTS") { abort "ZK_HOSTS (a ZooKeeper connect string) is not set; run via cargo test --test binding_ruby" }

module ZkrsTestHelper
  WAIT = 10

  def setup
    @clients = []
    @registered_before = Zkrs::Callbacks.size
  end

  def teardown
    @clients.each { |c| c.close unless c.closed? }
  end

  # A started client, closed after the test.
  def connect(hosts = HOSTS, **options)
    client = Zkrs::Client.new(hosts, **options)
    @clients << client
    client.start(timeout: WAIT)
  end

  def client
    @client ||= connect
  end

  # A path nobody else uses.
  def unique(name)
    @@counter ||= 0
    @@counter += 1
    "/rb-#{name}-#{Process.pid}-#{(Time.now.to_f * 1_000_000).to_i}-#{@@counter}"
  end

  # Polls until the block is true, failing after WAIT seconds.
  def eventually(what)
    deadline = Time.now + WAIT
    until yield
      flunk("timed out waiting for: #{what}") if Time.now > deadline
      sleep 0.02
    end
  end

  # Pops from a Queue, failing the test if nothing arrives within WAIT seconds (Ruby 3.1's Queue#pop
  # has no timeout).
  def pop(queue, what = "an event")
    deadline = Time.now + WAIT
    loop do
      return queue.pop(true)
    rescue ThreadError
      flunk("timed out waiting for #{what}") if Time.now > deadline
      sleep 0.01
    end
  end

  # A thread whose exception the test expects (raised by #value), not reported on stderr.
  def expecting_thread(&block)
    Thread.new do
      Thread.current.report_on_exception = false
      block.call
    end
  end

  # The registry holds no more callbacks than before the test: every free_userdata ran.
  def assert_callbacks_released
    eventually("callbacks released") { Zkrs::Callbacks.size <= @registered_before }
  end
end
