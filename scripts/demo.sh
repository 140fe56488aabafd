#!/usr/bin/env bash
# The main job: installs what is missing, builds zkrs, starts a local ZooKeeper on a free loopback port
# and runs the quickstart program against it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --quiet --release -p zkrs-testserver
cargo build --quiet --release -p zkrs --example quickstart
exec target/release/zkrs-testserver run -- target/release/examples/quickstart
