# frozen_string_literal: true

module Zkrs
  # zkrs's log levels (ZKRS_LOG_*). Lines go to stderr; a Ruby log callback is not offered because zkrs
  # calls it from its own threads, where no Ruby code can run safely.
  LOG_LEVELS = { error: 1, warn: 2, info: 3, debug: 4, trace: 5 }.freeze

  class << self
    # The most verbose level logged, process-wide (:warn unless ZKRS_LOG_LEVEL says otherwise).
    def log_level
      LOG_LEVELS.key(Native.zkrs_log_level)
    end

    def log_level=(level)
      check(Native.zkrs_set_log_level(LOG_LEVELS.fetch(level)))
    end
  end
end
