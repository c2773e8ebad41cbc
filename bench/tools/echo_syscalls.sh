#!/bin/bash
# bench/tools/echo_syscalls.sh: the kernel's share of one TCP echo request, which callgrind
# (echo_instructions.sh) does not see: syscalls and page faults per request of the idiokit
# echo server, counted by perf's tracepoints over the same load for several trees side by side.
# Counts do not depend on how busy the shared machine is, as CPU time does: a page fault or a
# failed recv(2) more per request shows at once.
#
#   bench/tools/echo_syscalls.sh SIZE CONNS SECONDS TREE...
#
# A tree is a checkout with its extension built in place (make build). GLIBC_TUNABLES and the
# like pass through to the server. Needs perf with tracepoint access (linux-perf).
set -eu
SIZE=${1:?size}; CONNS=${2:?conns}; SECS=${3:?seconds}; shift 3
BENCH=$(cd "$(dirname "$0")/.." && pwd)
PY=${PY:-$BENCH/.venv/bin/python}
EVENTS=recvfrom,sendto,epoll_ctl,epoll_wait,ioctl,brk,mmap,munmap,mremap
"$PY" -c "import sys; sys.path.insert(0, '$BENCH/lib'); import cbuild; cbuild.ensure('loadgen/echo_loadgen.c')"
LOADGEN=$BENCH/out/bin/echo_loadgen
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

for tree in "$@"; do
    ( cd "$BENCH/lib" && PYTHONPATH=$tree exec taskset -c 1 "$PY" launch.py "$BENCH/workloads/tcp_echo/idiokit.py" ) > "$TMP/server.out" 2>&1 &
    srv=$!
    for _ in $(seq 200); do grep -q ready "$TMP/server.out" && break; sleep 0.05; done
    port=$("$PY" -c "import json, sys; print(json.loads(open(sys.argv[1]).readline())['port'])" "$TMP/server.out")
    taskset -c 0 "$LOADGEN" --port "$port" --size "$SIZE" --conns "$CONNS" --seconds 1 > /dev/null
    perf stat -x, -o "$TMP/perf.out" -e page-faults -e "syscalls:sys_enter_${EVENTS//,/,syscalls:sys_enter_}" -p "$srv" &
    perfpid=$!
    sleep 0.2
    taskset -c 0 "$LOADGEN" --port "$port" --size "$SIZE" --conns "$CONNS" --seconds "$SECS" > "$TMP/load.out"
    kill -INT "$perfpid"; wait "$perfpid" || true
    kill "$srv"; wait "$srv" 2>/dev/null || true
    "$PY" - "$TMP/perf.out" "$TMP/load.out" "$tree" "$SIZE" "$CONNS" <<'PY'
import json, sys
perf, load, tree, size, conns = sys.argv[1:]
n = json.loads(open(load).read().strip().splitlines()[-1])["requests"]
counts = []
for line in open(perf):
    f = line.strip().split(",")
    if len(f) > 2 and f[0].replace(".", "").isdigit():
        counts.append("%s=%.2f" % (f[2].split("sys_enter_")[-1], float(f[0]) / n))
print("%sx%s %s (%d requests): %s" % (size, conns, tree, n, " ".join(counts)))
PY
done
