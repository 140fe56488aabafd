# frozen_string_literal: true

require_relative "helper"

# Zkrs::Retry (kazoo's KazooRetry over zkrs_retry) and the process-wide log level.
class TestRetry < Minitest::Test
  include ZkrsTestHelper

  def test_retriable_errors_are_retried_until_the_block_succeeds
    tries = 0
    value = Zkrs::Retry.new(max_tries: 5, delay: 0.001).call do
      tries += 1
      raise Zkrs::Error.for(Zkrs::ConnectionLossError::CODE) if tries < 3

      :done
    end
    assert_equal :done, value
    assert_equal 3, tries
  end

  def test_an_error_the_policy_does_not_retry_is_raised_as_it_was
    path = unique("retry")
    tries = 0
    error = assert_raises(Zkrs::NoNodeError) do
      Zkrs::Retry.new(max_tries: 5, delay: 0.001).call(client) do
        tries += 1
        client.get(path)
      end
    end
    assert_equal 1, tries
    assert_includes error.detail, path
  end

  def test_a_ruby_exception_stops_the_retries_and_propagates
    tries = 0
    assert_raises(KeyError) do
      Zkrs::Retry.new(max_tries: 5).call do
        tries += 1
        {}.fetch(:missing)
      end
    end
    assert_equal 1, tries
  end

  def test_the_policy_gives_up_after_max_tries
    tries = 0
    error = assert_raises(Zkrs::RetryFailedError) do
      Zkrs::Retry.new(max_tries: 3, delay: 0.001, max_jitter: 0).call do
        tries += 1
        raise Zkrs::Error.for(Zkrs::OperationTimeoutError::CODE)
      end
    end
    assert_equal 3, tries
    assert_match(/timeout/i, error.message)
  end

  def test_a_real_operation_through_the_policy_and_bad_settings
    path = unique("retry-real")
    assert_equal path, Zkrs::Retry.new(max_tries: 3).call(client) { client.create(path) }
    assert_raises(Zkrs::InvalidConfigValueError) { Zkrs::Retry.new(max_tries: 0) }
    assert_raises(ArgumentError) { Zkrs::Retry.new(tries: 3) }
  end

  def test_closing_the_client_interrupts_the_retries
    c = connect
    tries = 0
    assert_raises(Zkrs::InterruptedError) do
      Zkrs::Retry.new(max_tries: -1, delay: 0.01, max_jitter: 0).call(c) do
        tries += 1
        c.close if tries == 2
        raise Zkrs::Error.for(Zkrs::ConnectionLossError::CODE)
      end
    end
    assert_equal 2, tries
  end

  def test_log_level_round_trips
    before = Zkrs.log_level
    Zkrs.log_level = :debug
    assert_equal :debug, Zkrs.log_level
    assert_raises(KeyError) { Zkrs.log_level = :loud }
  ensure
    Zkrs.log_level = before
  end
end
