# frozen_string_literal: true

require_relative "lib/zkrs/version"

Gem::Specification.new do |s|
  s.name = "zkrs"
  s.version = Zkrs::VERSION
  s.summary = "ZooKeeper client with kazoo's recipes, over the zkrs C library"
  s.description = "Ruby binding of zkrs (libzkrs.so) on the ffi gem: a ZooKeeper client with blocks for " \
                  "watches, exceptions per result code, transactions, futures and kazoo's recipes."
  s.license = "Apache-2.0"
  s.authors = ["zkrs developers"]
  s.files = Dir["lib/**/*.rb"] + ["zkrs.gemspec"]
  s.require_paths = ["lib"]
  s.required_ruby_version = ">= 3.0"
  s.add_runtime_dependency "ffi", ">= 1.15"
  s.add_development_dependency "minitest", ">= 5.0"
end
