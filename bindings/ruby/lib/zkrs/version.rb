# frozen_string_literal: true

module Zkrs
  # The gem's version: the version of the zkrs library it was written for (Cargo.toml).
  VERSION = "0.1.0"

  # The version of the libzkrs that is loaded.
  def self.library_version
    Native.zkrs_version
  end
end
