#!/usr/bin/env bash
# Installs what zkrs needs to build and test on Debian: ZooKeeper 3.8 (the real server the tests run),
# OpenSSL (libssl3 at run time for TLS, which zkrs loads with dlopen; the headers only for the tests, whose
# openssl crate makes certificates; the CLI), pkg-config, C and C++ compilers, valgrind (C tests), the official C client (the benchmark's baseline)
# cmake (the packaging tests build C programs against an installed zkrs with CMake and pkg-config)
# and kazoo (the interop tests' peer).
set -euo pipefail
packages=(zookeeper libssl-dev openssl pkg-config gcc g++ make valgrind libzookeeper-mt-dev cmake)
# The Ruby binding's tests (bindings/ruby): Debian's ruby with the ffi gem and minitest.
packages+=(ruby ruby-ffi ruby-minitest)
# The benchmark (bench/run.sh) counts system calls with perf stat, or strace -c where perf cannot run.
packages+=(strace linux-perf)
packages+=(golang-go) # Go 1.19: the Go binding's tests (bindings/go, tests/binding_go.rs)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# kazoo, the peer of the interop tests: zkrs and kazoo share locks, elections, counters, queues on one tree.
if ! python3 -c "import kazoo" 2>/dev/null; then
    echo "setup: installing kazoo"
    python3 -m pip install --quiet kazoo==2.11.0 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages kazoo==2.11.0
fi
command -v cargo >/dev/null || { echo "setup: cargo is required (https://rustup.rs)" >&2; exit 1; }
