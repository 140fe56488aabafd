#!/usr/bin/env bash
# Prints the native libraries a program linking libzkrs.a statically must also link, as rustc reports
# them (`rustc --print native-static-libs`): the system libraries of the Rust standard library and of
# zkrs's dependencies. OpenSSL is not one: TLS loads libssl.so.3 at run time (src/tls/ossl.rs).
#
#   scripts/native-static-libs.sh TARGET_PROFILE_DIR      (e.g. target/release, after cargo build)
#
# rustc prints the list only while it links a staticlib, and cargo skips rustc when the library is fresh.
# So this links a throwaway staticlib made of nothing but zkrs and its already compiled dependencies: the
# same crates, hence the same native libraries, in a few seconds and without touching cargo's artifacts.
set -euo pipefail
dir=${1:?usage: $0 TARGET_PROFILE_DIR}
rlib="$dir/libzkrs.rlib"
[ -f "$rlib" ] || { echo "native-static-libs: no $rlib (build the library first)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo 'extern crate zkrs;' >"$tmp/probe.rs"
out=$("${RUSTC:-rustc}" --edition 2021 --crate-type staticlib --crate-name zkrs_native_libs_probe \
    -L "dependency=$dir/deps" --extern "zkrs=$rlib" \
    --print native-static-libs -o "$tmp/probe.a" "$tmp/probe.rs" 2>&1) || {
    echo "$out" >&2
    exit 1
}
libs=$(printf '%s\n' "$out" | sed -n 's/^note: native-static-libs: //p' | tail -n 1)
[ -n "$libs" ] || { echo "native-static-libs: rustc printed no list:" >&2; echo "$out" >&2; exit 1; }
printf '%s\n' "$libs"
