# frozen_string_literal: true

require_relative "helper"

# The client's lifecycle, its operations and the exceptions per result code.
class TestClient < Minitest::Test
  include ZkrsTestHelper

  def test_connect_reports_state_session_and_server
    assert_equal :connected, client.state
    assert_equal :connected, client.kazoo_state
    assert client.connected?
    refute_equal 0, client.session_id
    assert_operator client.session_timeout_ms, :>, 0
    assert_equal HOSTS.split(",").first, client.current_server
    assert_match(/\A3\.\d+\.\d+/, client.server_version)
    assert_equal "imok", client.command("ruok")
    assert_match(/\A\h+:\h+\z/, client.client_id)
    assert_equal Zkrs::VERSION, Zkrs.library_version
  end

  def test_open_with_a_block_closes_the_client
    seen = nil
    result = Zkrs::Client.open(HOSTS) do |c|
      seen = c
      c.exists("/")
    end
    assert_kind_of Zkrs::Stat, result
    assert seen.closed?
    assert_equal :closed, seen.state
  end

  def test_create_get_set_delete_round_trip_with_binary_data
    path = unique("crud")
    data = "a\x00b\xffc".b
    assert_equal path, client.create(path, data)
    value, stat = client.get(path)
    assert_equal data, value
    assert_equal Encoding::BINARY, value.encoding
    assert_equal 0, stat.version
    assert_equal data.bytesize, stat.data_length
    new_stat = client.set(path, "v2", version: 0)
    assert_equal 1, new_stat.version
    assert_equal "v2", client.get(path).first
    assert_equal "", client.get(client.create("#{path}-empty")).first
    client.delete(path, version: 1)
    assert_nil client.exists(path)
  end

  def test_exists_returns_the_stat_or_nil
    path = unique("exists")
    assert_nil client.exists(path)
    client.create(path, "xyz")
    stat = client.exists(path)
    assert_equal 3, stat.data_length
    refute stat.ephemeral?
  end

  def test_errors_are_classes_per_result_code_with_code_and_detail
    path = unique("errors")
    error = assert_raises(Zkrs::NoNodeError) { client.get(path) }
    assert_kind_of Zkrs::Error, error
    assert_equal(-101, error.code)
    assert_equal "NO_NODE", error.code_name
    assert_includes error.detail, path
    refute error.retriable?

    client.create(path)
    assert_raises(Zkrs::NodeExistsError) { client.create(path) }
    assert_raises(Zkrs::BadVersionError) { client.set(path, "x", version: 7) }
    client.create("#{path}/child")
    assert_raises(Zkrs::NotEmptyError) { client.delete(path) }
    assert_raises(Zkrs::InvalidPathError) { client.get("no-slash") }
    assert_raises(Zkrs::InvalidPathError) { client.create("#{path}/") }
    assert_raises(Zkrs::InvalidUtf8Error) { client.exists("/bad-\xff".b) }
    assert_raises(Zkrs::NoNodeError) { client.create("#{path}/a/b/c") }
    assert_raises(Zkrs::NoChildrenForEphemeralsError) do
      client.create("#{client.create("#{path}-eph", ephemeral: true)}/x")
    end
  end

  def test_the_error_table_covers_every_code_of_the_library
    assert_operator Zkrs::ERRORS_BY_CODE.size, :>=, 50
    assert_equal Zkrs::ConnectionLossError, Zkrs::Error.for(-4).class
    assert Zkrs::Error.for(-4).retriable?
    assert_equal Zkrs::SessionExpiredError, Zkrs::Error.for(-112).class
    assert_equal Zkrs::ClosedError::CODE, -1004
    assert_equal Zkrs::Error, Zkrs::Error.for(-424_242).class
  end

  def test_operations_after_close_raise_closed_error
    c = connect
    c.close
    assert_equal :closed, c.state
    assert_raises(Zkrs::ClosedError) { c.get("/") }
    assert_raises(Zkrs::ClosedError) { c.create(unique("closed")) }
    c.close # closing again is fine
  end

  def test_config_errors_raise_and_options_are_applied
    assert_raises(Zkrs::UnknownConfigKeyError) { Zkrs::Client.new(HOSTS, no_such_key: 1) }
    assert_raises(Zkrs::InvalidConfigValueError) { Zkrs::Client.new(HOSTS, session_timeout_ms: "soon") }
    c = connect(HOSTS, session_timeout_ms: 4000)
    assert_equal 4000, c.session_timeout_ms
  end

  def test_start_times_out_without_a_server
    c = Zkrs::Client.new("127.0.0.1:1", connect_timeout_ms: 100)
    @clients << c
    assert_raises(Zkrs::TimeoutError) { c.start(timeout: 0.3) }
    assert_equal :connecting, c.state
  end

  def test_ephemeral_and_sequential_nodes
    path = unique("seq")
    client.ensure_path(path)
    first = client.create("#{path}/n-", sequence: true)
    second = client.create("#{path}/n-", sequence: true)
    assert_match(%r{/n-\d{10}\z}, first)
    assert_operator second, :>, first

    other = connect
    eph = other.create("#{path}/eph", "", ephemeral: true)
    eph_seq = other.create("#{path}/es-", ephemeral: true, sequence: true)
    assert client.exists(eph).ephemeral?
    assert_equal [eph, eph_seq].sort, other.ephemerals(path).sort
    other.close
    assert_nil client.exists(eph)
    assert_nil client.exists(eph_seq)
  end

  def test_children_ensure_path_counts_and_recursive_delete
    path = unique("tree")
    client.ensure_path("#{path}/a/b")
    client.ensure_path("#{path}/a/b") # fine if it exists
    client.create("#{path}/c", "x")
    client.create("#{path}/a/d/e", makepath: true)
    assert_equal %w[a c], client.children(path).sort
    names, stat = client.children(path, include_stat: true)
    assert_equal 2, names.size
    assert_equal 2, stat.num_children
    assert_equal 5, client.all_children_number(path)
    client.delete(path, recursive: true)
    assert_nil client.exists(path)
  end

  def test_container_and_ttl_nodes
    path = unique("modes")
    container = client.create("#{path}-container", container: true)
    client.create("#{container}/child")
    client.delete("#{container}/child")
    eventually("the server reaps the empty container") { client.exists(container).nil? }

    ttl = client.create("#{path}-ttl", "x", ttl_ms: 1)
    assert client.exists(ttl)
    assert_raises(Zkrs::BadArgumentsError) { client.create("#{path}-ttl-bad", ephemeral: true, ttl_ms: 1000) }
  end

  def test_acls_digest_auth_and_whoami
    path = unique("acl")
    acl = Zkrs::ACL.digest("alice", "secret")
    assert_equal "digest", acl.scheme
    assert_match(/\Aalice:/, acl.id)

    owner = connect
    owner.add_auth("digest", "alice:secret")
    owner.create(path, "private", acl: [acl])
    acls, = owner.get_acls(path)
    assert_equal [acl], acls
    assert_includes owner.whoami, %w[digest alice]

    assert_raises(Zkrs::NoAuthError) { client.get(path) }
    client.add_auth("digest", "alice:secret")
    assert_equal "private", client.get(path).first

    stat = owner.set_acls(path, Zkrs::ACL.read_unsafe, version: 0)
    assert_equal 1, stat.aversion
    stranger = connect
    assert_equal "private", stranger.get(path).first
    assert_raises(Zkrs::NoAuthError) { stranger.set(path, "x") }
  end

  def test_sync_and_multi_read
    path = unique("multi")
    client.create(path, "top")
    client.create("#{path}/kid")
    client.sync(path)
    results = client.multi_read([[:get, path], [:children, path], [:get, "#{path}/missing"]])
    assert_equal "top", results[0][0]
    assert_equal 1, results[0][1].num_children
    assert_equal ["kid"], results[1]
    assert_kind_of Zkrs::NoNodeError, results[2]
  end

  def test_transaction_applies_all_operations
    path = unique("txn")
    client.create(path, "v0")
    results = client.transaction do |t|
      t.check(path, 0)
      t.create("#{path}/a", "1")
      t.create("#{path}/s-", sequence: true)
      t.set_data(path, "v1")
    end
    assert_equal %i[check create create set_data], results.map(&:kind)
    assert(results.all? { |r| r.error.nil? })
    assert_equal "#{path}/a", results[1].path
    assert_match(%r{/s-\d{10}\z}, results[2].path)
    assert_equal 1, results[3].stat.version
    assert_equal "v1", client.get(path).first

    txn = client.transaction.delete("#{path}/a").delete(results[2].path)
    assert_equal 2, txn.size
    assert_equal 2, txn.commit.size
    assert_empty client.children(path)
  end

  def test_failed_transaction_raises_and_applies_nothing
    path = unique("txn-fail")
    client.create(path)
    error = assert_raises(Zkrs::NodeExistsError) do
      client.transaction do |t|
        t.create("#{path}/new")
        t.create(path)
      end
    end
    assert_equal 1, error.failed_index
    assert_kind_of Zkrs::RuntimeInconsistencyError, error.results[0].error
    assert_kind_of Zkrs::NodeExistsError, error.results[1].error
    assert_nil client.exists("#{path}/new")
  end

  def test_a_hundred_threads_share_one_client
    path = unique("threads")
    client.create(path)
    fired = Queue.new
    threads = Array.new(100) do |t|
      Thread.new do
        node = client.create("#{path}/t#{t}", "0")
        client.get(node) { |e| fired << e.path }
        client.set_async(node, "1").value(WAIT)
        client.transaction { |txn| txn.check(node, 1).create("#{node}-done") }
        client.get(node).first
      end
    end
    assert_equal ["1"] * 100, threads.map(&:value)
    assert_equal 200, client.children(path).size
    assert_equal 100, Array.new(100) { pop(fired) }.uniq.size
  end

  def test_blocking_calls_release_the_gvl
    # start() waits a second inside zkrs for a server that is not there; were the GVL held meanwhile,
    # this thread could not count at all.
    c = Zkrs::Client.new("127.0.0.1:1", connect_timeout_ms: 100)
    @clients << c
    blocked = Thread.new { assert_raises(Zkrs::TimeoutError) { c.start(timeout: 1) } }
    sleep 0.05
    ticks = 0
    while blocked.alive?
      ticks += 1
      sleep 0.01
    end
    blocked.join
    assert_operator ticks, :>=, 10
  end
end

# Handles released by the garbage collector (FFI::AutoPointer) and set_hosts.
class TestHandles < Minitest::Test
  include ZkrsTestHelper

  def test_unreferenced_handles_are_freed_by_the_collector
    path = unique("gc")
    client.create(path)
    200.times do |i|
      Zkrs::Client.new(HOSTS) # never started
      client.get_async(path)
      client.transaction.check(path, 0)
      Zkrs::Retry.new(max_tries: i + 1)
    end
    GC.start
    GC.start
    assert_equal "", client.get(path).first
  end

  def test_set_hosts_keeps_the_chroot
    client.set_hosts(HOSTS)
    assert_raises(Zkrs::BadArgumentsError) { client.set_hosts("#{HOSTS}/elsewhere") }
    assert_raises(Zkrs::InvalidConfigValueError) { client.set_hosts("") }
    assert client.exists("/")
  end
end
