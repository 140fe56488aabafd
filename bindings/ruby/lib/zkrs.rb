# frozen_string_literal: true

# Ruby binding of zkrs, a ZooKeeper client with kazoo's recipes, over its C API (libzkrs.so) with the
# ffi gem. Start with Zkrs::Client.
module Zkrs
end

require_relative "zkrs/version"
require_relative "zkrs/native"
require_relative "zkrs/errors"
require_relative "zkrs/types"
require_relative "zkrs/callbacks"
require_relative "zkrs/future"
require_relative "zkrs/transaction"
require_relative "zkrs/client"
require_relative "zkrs/retry"
require_relative "zkrs/log"
require_relative "zkrs/queue"
require_relative "zkrs/counter"
require_relative "zkrs/barrier"
require_relative "zkrs/party"
require_relative "zkrs/watchers"
