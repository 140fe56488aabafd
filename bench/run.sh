#!/usr/bin/env bash
# The benchmark of SPEC section 4: zkrs (through its C API, in C) side by side with the official C client
# (libzookeeper_mt), a raw-socket client that only frames requests (the server's limit for one session)
# and kazoo, against one fresh local ZooKeeper, in one run, interleaved, ROUNDS times. Prints a table with
# ratios to the C client (computed per round, then averaged) and writes bench/REPORT.md.
#
#   bench/run.sh                  # the full run (~5-10 minutes)
#   BENCH_QUICK=1 bench/run.sh    # a quick run for development (smaller counts, one round)
#
# Overrides: ROUNDS, N (pipelined requests), INFLIGHT, SYNC_N, SYNC_PASSES, WATCH_N, SESSIONS, TREE_N, LOCK_N, KAZOO_LOCK_N, KAZOO_N, KAZOO_SYNC_N,
# KAZOO_WATCH_N, WARMUP, REPORT (where the report goes; empty: none).
# Runs scripts/setup.sh first (java + zookeeper, gcc, libzookeeper-mt-dev, kazoo, perf or strace).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target}

if [[ -n ${BENCH_QUICK:-} ]]; then
    : "${ROUNDS:=1}" "${N:=20000}" "${SYNC_N:=2000}" "${WATCH_N:=10000}" "${SESSIONS:=20}" "${TREE_N:=1000}"
    : "${LOCK_N:=200}" "${KAZOO_LOCK_N:=100}"
    : "${KAZOO_N:=4000}" "${KAZOO_SYNC_N:=1000}" "${KAZOO_WATCH_N:=4000}" "${WARMUP:=20000}"
fi
ROUNDS=${ROUNDS:-2}
N=${N:-200000}
INFLIGHT=${INFLIGHT:-1000}
SYNC_N=${SYNC_N:-20000}
SYNC_PASSES=${SYNC_PASSES:-4}
WATCH_N=${WATCH_N:-100000}
SESSIONS=${SESSIONS:-100}
TREE_N=${TREE_N:-10000}
LOCK_N=${LOCK_N:-2000}
KAZOO_LOCK_N=${KAZOO_LOCK_N:-500}
KAZOO_N=${KAZOO_N:-20000}
KAZOO_SYNC_N=${KAZOO_SYNC_N:-5000}
KAZOO_WATCH_N=${KAZOO_WATCH_N:-20000}
WARMUP=${WARMUP:-100000}
REPORT=${REPORT-$here/REPORT.md}
export ROUNDS N INFLIGHT SYNC_N SYNC_PASSES WATCH_N SESSIONS TREE_N LOCK_N KAZOO_LOCK_N KAZOO_N KAZOO_SYNC_N KAZOO_WATCH_N WARMUP REPORT

# ---- build, then start a fresh server and run this script again inside it --------------------------------
if [[ -z ${BENCH_WORK:-} ]]; then
    work=$(mktemp -d /tmp/zkrs-bench.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    # what the clients and the server need (installs only what is missing), as the demo and the tests do
    "$repo/scripts/setup.sh" >&2
    echo "building..." >&2
    (cd "$repo" && cargo build --quiet --release --lib -p zkrs && cargo build --quiet --release -p zkrs-testserver)
    lib=$CARGO_TARGET_DIR/release/libzkrs.so
    # the program records the library's SONAME (libzkrs.so.<major>): give it that name next to it
    soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    cp "$lib" "$work/${soname:-libzkrs.so}"
    cflags=(-std=gnu99 -O2 -Wall -Wextra)
    gcc "${cflags[@]}" -o "$work/raw" "$here/raw.c"
    gcc "${cflags[@]}" -o "$work/c" "$here/harness.c" "$here/c_client.c" -lzookeeper_mt -lpthread
    gcc "${cflags[@]}" -I"$repo/include" -o "$work/zkrs" "$here/harness.c" "$here/zkrs_client.c" \
        -L"$work" -l:"${soname:-libzkrs.so}" -Wl,-rpath,"$work" -lpthread
    # the test servers' JVM stops at the first JIT tier (quick start-up); a benchmark wants the server's best.
    # numWorkerThreads=0: the NIO selector thread reads and writes itself instead of handing every request to
    # a worker thread and back. Measured on a 2-core VM: the server's CPU per pipelined get 45 -> 8 us, and
    # with the default every client (raw socket included) ran at the same server-bound ~23k gets/s.
    # BENCH_SERVER_WORKERS=default keeps the server's default pool.
    server_props=()
    [[ ${BENCH_SERVER_WORKERS:-0} == default ]] || server_props=(--jvm-prop "zookeeper.nio.numWorkerThreads=${BENCH_SERVER_WORKERS:-0}")
    BENCH_WORK=$work "$CARGO_TARGET_DIR/release/zkrs-testserver" run \
        --jvm-arg -XX:TieredStopAtLevel=4 --jvm-arg -Xmx1g "${server_props[@]}" -- "$0" "$@"
    exit $?
fi
: "${ZK_HOSTS:?}" "${BENCH_WORK:?}"
work=$BENCH_WORK
hosts=$ZK_HOSTS
port=${hosts##*:}
echo "server on $hosts: $("$CARGO_TARGET_DIR/release/zkrs-testserver" four-letter "$hosts" srvr | head -1)" >&2

# ---- the server on core 0, the clients on the others ---------------------------------------------------
# Left to the scheduler, the server's threads and the client's share both cores as it happens: the same
# client then measures up to 2x apart between runs. With a core each, every client meets the same server.
pin=()
placement="not pinned"
jvm=
for p in $(pgrep -f -- "$ZKRS_TESTSERVER_DATA" || true); do
    [[ $(cat "/proc/$p/comm" 2>/dev/null) == java ]] && jvm=$p
done
if (($(nproc) >= 2)) && command -v taskset >/dev/null && [[ -n $jvm ]] && taskset -a -p -c 0 "$jvm" >/dev/null; then
    pin=(taskset -c "1-$(($(nproc) - 1))")
    placement="server on core 0, clients on cores 1-$(($(nproc) - 1))"
fi
echo "placement: $placement" >&2

# ---- counting system calls: perf stat if it works here, else strace -c (slower) ---------------------------
if perf stat -x, -e raw_syscalls:sys_enter -o /dev/null true 2>/dev/null; then
    syscounter=perf
elif command -v strace >/dev/null; then
    syscounter=strace
else
    syscounter=none
fi
# counted CMD... : runs CMD, prints its RESULT line with syscalls=<count for the whole process> appended
counted() {
    local out=$work/count.$$ line calls=
    case $syscounter in
        perf)
            line=$(perf stat -x, -e raw_syscalls:sys_enter -o "$out" "$@" | grep '^RESULT') || return 1
            calls=$(grep raw_syscalls "$out" | cut -d, -f1) ;;
        strace)
            line=$(strace -f -c -o "$out" "$@" | grep '^RESULT') || return 1
            calls=$(awk '$NF=="total"{print $(NF-2)}' "$out") ;;
        none) line=$("$@" | grep '^RESULT') || return 1 ;;
    esac
    echo "$line${calls:+ syscalls=$calls}"
}

cmd() { # client workload count [inflight] -> the command line
    case $1 in
        raw) echo "${pin[*]} $work/raw 127.0.0.1 $port $2 $3 ${4:-}" ;;
        kazoo) echo "${pin[*]} python3 $here/kazoo_client.py $hosts $2 $3 ${4:-}" ;;
        *) echo "${pin[*]} $work/$1 $hosts $2 $3 ${4:-}" ;;
    esac
}
results=$work/results
: >"$results"
record() { # round client workload count [inflight]
    local r=$1 line
    shift
    # shellcheck disable=SC2046
    line=$(counted $(cmd "$@")) || { echo "FAILED: $*" >&2; exit 1; }
    echo "round $r: $line" >&2
    echo "round=$r $line" >>"$results"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "warm-up: $WARMUP gets, $((WARMUP / 2)) creates+deletes and $WARMUP sets with the raw client (the server's JIT)" >&2
"$work/raw" 127.0.0.1 "$port" get "$WARMUP" "$INFLIGHT" >/dev/null
"$work/raw" 127.0.0.1 "$port" create "$((WARMUP / 2))" "$INFLIGHT" >/dev/null
"$work/raw" 127.0.0.1 "$port" set "$WARMUP" "$INFLIGHT" >/dev/null

# Syscalls of connecting and closing alone, subtracted from the pipelined runs' counts.
for c in raw c zkrs kazoo; do record 0 "$c" get 0 "$INFLIGHT"; done

start=$(date +%s)
for r in $(seq 1 "$ROUNDS"); do
    # alternate the order between rounds so that no client always runs right after another
    clients=(raw c zkrs kazoo)
    ((r % 2 == 0)) && clients=(kazoo zkrs c raw)
    for w in get set create; do
        for c in "${clients[@]}"; do
            n=$N
            [[ $c == kazoo ]] && n=$KAZOO_N
            record "$r" "$c" "$w" "$n" "$INFLIGHT"
        done
    done
    # latency is the noisiest figure: SYNC_PASSES interleaved passes of a share each, the median counts
    for _ in $(seq 1 "$SYNC_PASSES"); do
        for c in "${clients[@]}"; do
            n=$SYNC_N
            [[ $c == kazoo ]] && n=$KAZOO_SYNC_N
            record "$r" "$c" sync "$((n / SYNC_PASSES))"
        done
    done
    for c in "${clients[@]}"; do
        [[ $c == raw ]] && continue
        n=$WATCH_N
        [[ $c == kazoo ]] && n=$KAZOO_WATCH_N
        record "$r" "$c" watch "$n"
        record "$r" "$c" sessions "$SESSIONS"
        # recipes: clients without them (the C client) have no row
        [[ $c == c ]] || record "$r" "$c" treecache "$TREE_N"
        [[ $c == c ]] || record "$r" "$c" lock "$([[ $c == kazoo ]] && echo "$KAZOO_LOCK_N" || echo "$LOCK_N")"
    done
done
elapsed=$(($(date +%s) - start))

# ---- the table --------------------------------------------------------------------------------------------
zk_version=$("$CARGO_TARGET_DIR/release/zkrs-testserver" four-letter "$hosts" srvr | sed -n 's/^Zookeeper version: \([^-,]*\).*/\1/p')
c_version=$(dpkg-query -W -f='${Version}' libzookeeper-mt2 2>/dev/null || echo "?")
kazoo_version=$(python3 -c 'import kazoo.version; print(kazoo.version.__version__)' 2>/dev/null || echo "?")
python3 "$here/table.py" "$results" \
    "ZooKeeper $zk_version on 127.0.0.1; libzookeeper_mt $c_version; kazoo $kazoo_version; $(nproc) cores" \
    "load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds in ${elapsed}s; syscalls counted with $syscounter; $placement; server's NIO worker threads: ${BENCH_SERVER_WORKERS:-0}" \
    "N=$N pipelined ($INFLIGHT in flight; kazoo $KAZOO_N), $SYNC_N sync gets (kazoo $KAZOO_SYNC_N), $WATCH_N watches (kazoo $KAZOO_WATCH_N), $SESSIONS sessions, TreeCache of $TREE_N nodes, $LOCK_N lock cycles (kazoo $KAZOO_LOCK_N)" \
    "${REPORT:-}"
