#!/usr/bin/env bash
# Quick pipelined async getData benchmark: raw socket (the server's limit for one session) vs the official
# C client (libzookeeper_mt) vs zkrs, against a throwaway ZooKeeper on 127.0.0.1.
#
#   bench/quick.sh                 # N=200000 INFLIGHT=1000, two interleaved rounds
#   N=100000 INFLIGHT=500 ROUNDS=3 bench/quick.sh
#
# Needs java + /usr/share/java/zookeeper.jar, gcc, libzookeeper-mt-dev, cargo.
set -euo pipefail

N=${N:-200000}
INFLIGHT=${INFLIGHT:-1000}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-200000}
ZNODE=${ZNODE:-/bench-get}

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
work=$(mktemp -d /tmp/zkrs-bench.XXXXXX)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/target-bench}
zk_pid=

cleanup() {
    if [[ -n $zk_pid ]]; then
        kill "$zk_pid" 2>/dev/null || true
        wait "$zk_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build -------------------------------------------------------------------------------------------
echo "building..." >&2
gcc -O2 -Wall -o "$work/raw_get" "$here/raw_get.c"
gcc -O2 -Wall -o "$work/c_get" "$here/c_get.c" -lzookeeper_mt -lpthread
(cd "$repo" && cargo build --quiet --release --example bench_get)
zkrs_bin=$CARGO_TARGET_DIR/release/examples/bench_get

# ---- server ------------------------------------------------------------------------------------------
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
srvr() {
    # four-letter word over bash's /dev/tcp; prints the answer or fails
    exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
    printf srvr >&3
    timeout 2 cat <&3
    exec 3<&-
}
port=$(free_port)
mkdir -p "$work/data"
cat >"$work/zoo.cfg" <<CFG
tickTime=2000
dataDir=$work/data
clientPort=$port
clientPortAddress=127.0.0.1
4lw.commands.whitelist=*
admin.enableServer=false
maxClientCnxns=0
CFG
java -cp /etc/zookeeper/conf:/usr/share/java/zookeeper.jar \
    org.apache.zookeeper.server.ZooKeeperServerMain "$work/zoo.cfg" >"$work/server.log" 2>&1 &
zk_pid=$!
for _ in $(seq 1 150); do
    if srvr "$port" 2>/dev/null | grep -q '^Mode'; then break; fi
    if ! kill -0 "$zk_pid" 2>/dev/null; then cat "$work/server.log" >&2; echo "server died" >&2; exit 1; fi
    sleep 0.2
done
srvr "$port" | grep -q '^Mode' || { cat "$work/server.log" >&2; echo "server did not answer srvr" >&2; exit 1; }
hosts=127.0.0.1:$port
echo "server up on $hosts ($(srvr "$port" | head -1))" >&2

# ---- runs --------------------------------------------------------------------------------------------
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }
run() { # client -> "RESULT ..." line
    case $1 in
        raw) "$work/raw_get" 127.0.0.1 "$port" "$N" "$INFLIGHT" "$ZNODE" ;;
        c) "$work/c_get" "$hosts" "$N" "$INFLIGHT" "$ZNODE" ;;
        zkrs) "$zkrs_bin" "$hosts" "$N" "$INFLIGHT" "$ZNODE" ;;
    esac | grep '^RESULT'
}

echo "warm-up: $WARMUP gets with the raw client" >&2
N=$WARMUP run raw >/dev/null

results=$work/results
: >"$results"
for r in $(seq 1 "$ROUNDS"); do
    for c in raw c zkrs; do
        line=$(run "$c")
        echo "round $r: $line" >&2
        echo "$r $(echo "$line" | field client) $(echo "$line" | field ops_per_sec) $(echo "$line" | field cpu_us_per_op) $(echo "$line" | field csw_per_op)" >>"$results"
    done
done

echo
echo "N=$N inflight=$INFLIGHT node=$ZNODE (100 B), $(nproc) cores; ratio = ops/s vs the C client in the same round"
awk '
    { round[NR]=$1; client[NR]=$2; ops[NR]=$3; cpu[NR]=$4; csw[NR]=$5; if ($2=="c") cops[$1]=$3 }
    END {
        printf "%-6s %-6s %10s %12s %10s %12s\n", "round", "client", "ops/s", "CPU us/op", "vs C", "ctxsw/op"
        for (i=1;i<=NR;i++)
            printf "%-6s %-6s %10d %12.2f %9.2fx %12.3f\n", round[i], client[i], ops[i], cpu[i], ops[i]/cops[round[i]], csw[i]
    }' "$results"
