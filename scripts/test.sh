#!/usr/bin/env bash
# The whole test suite: unit tests, and integration tests against real ZooKeeper servers that the
# tests start themselves on loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace 2>&1
