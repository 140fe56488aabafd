#!/usr/bin/env bash
# The whole test suite: unit tests, and integration tests against real ZooKeeper servers that the
# tests start themselves on loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
# cargo test does not produce the cdylib the C tests link against; build it first.
cargo build --workspace --quiet
cargo test --workspace --no-fail-fast 2>&1
