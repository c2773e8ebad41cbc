#!/bin/bash
# bench/tools/core_instructions.sh: user-space instructions per operation of the core's
# micro-benchmarks (pipe, spawn_join, sleeps), counted by callgrind, for one or more
# idiokit checkouts side by side.  Wall-clock rates on a shared machine move by 10% or more
# from run to run; instruction counts do not depend on what the other core does.
#
#   bench/tools/core_instructions.sh TREE [TREE...]
#
# TREE is a checkout with idiokit/_core built in place (make build) and its .venv.  Each
# workload runs under callgrind at N and 2N operations; (I(2N) - I(N)) / N is the cost of
# one operation with start-up and teardown cancelled out.  RUNS=3 repeats each and takes
# the median.  N defaults: pipe 20000 messages (2-stage), spawn_join 20000 tasks, sleeps
# 10000 sleeps of U(0, 10 ms).
set -eu
BENCH=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }

count() {   # $1 tree, $2 workload, $3... args: total instructions of one run
    local tree=$1 wl=$2
    shift 2
    PYTHONPATH="$tree:$BENCH/lib" valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" \
        "$tree/.venv/bin/python" "$BENCH/lib/launch.py" "$BENCH/workloads/$wl/idiokit.py" "$@" \
        > /dev/null 2> "$TMP/vg.err"
    sed -n 's/^summary: *//p; s/^totals: *//p' "$TMP/cg.out" | head -1
}

per_op() {   # $1 tree, $2 workload, $3 N, $4... extra args: median instructions per op
    local tree=$1 wl=$2 n=$3 i a b
    shift 3
    for i in $(seq "$RUNS"); do
        a=$(count "$tree" "$wl" --n "$n" "$@")
        b=$(count "$tree" "$wl" --n $((2 * n)) "$@")
        echo $(( (b - a) / n ))
    done | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

printf '%-40s %12s %12s %12s\n' tree pipe/msg spawn+join sleep
for tree in "$@"; do
    tree=$(cd "$tree" && pwd)
    p=$(per_op "$tree" pipe 20000 --stages 2)
    s=$(per_op "$tree" spawn_join 20000)
    z=$(per_op "$tree" sleeps 10000 --high 0.01)
    printf '%-40s %12s %12s %12s\n' "$tree" "$p" "$s" "$z"
done
