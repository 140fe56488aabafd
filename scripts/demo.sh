#!/usr/bin/env bash
# The main job: installs what is missing, builds libzkrs, starts a local ZooKeeper on a free loopback port
# and runs the C quick start (examples-c/quickstart.c, linked against libzkrs.so) against it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --quiet --release -p zkrs -p zkrs-testserver
out=target/release/examples-c
mkdir -p "$out"
# The program records the library's SONAME (libzkrs.so.<major>); give it that name next to the program.
soname=$(readelf -d target/release/libzkrs.so | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
cp target/release/libzkrs.so "$out/${soname:-libzkrs.so}"
gcc -std=c99 -Wall -Wextra -Werror -O2 -Iinclude examples-c/quickstart.c -o "$out/quickstart" \
    -Ltarget/release -Wl,-rpath,'$ORIGIN' -lzkrs
exec target/release/zkrs-testserver run -- "$out/quickstart"
