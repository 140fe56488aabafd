#!/usr/bin/env bash
# Installs what zkrs needs to build and test on Debian: ZooKeeper 3.8 (the real server the tests run),
# OpenSSL headers and CLI, pkg-config, C and C++ compilers, valgrind (C tests), and the official C client (the benchmark's baseline).
set -euo pipefail
packages=(zookeeper libssl-dev openssl pkg-config gcc g++ make valgrind libzookeeper-mt-dev)
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
command -v cargo >/dev/null || { echo "setup: cargo is required (https://rustup.rs)" >&2; exit 1; }
