#!/usr/bin/env bash
# The main job: installs what is missing, builds libzkrs and installs it into target/demo (as `make install`
# would into /usr/local), builds the C quick start (examples-c/quickstart.c) against that install with
# pkg-config, starts a local ZooKeeper on a free loopback port and runs the program against it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
prefix="$PWD/target/demo"
make --no-print-directory -s install PREFIX="$prefix"
cargo build --quiet --release -p zkrs-testserver
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046 # pkg-config's output is a list of flags
gcc -std=c99 -Wall -Wextra -Werror -O2 examples-c/quickstart.c -o "$prefix/quickstart" \
    $(pkg-config --cflags --libs zkrs) -Wl,-rpath,"$prefix/lib"
exec target/release/zkrs-testserver run -- "$prefix/quickstart"
