#!/bin/bash
# bench/tools/paired_echo.sh: paired, interleaved rounds of the TCP echo workload for two
# idiokit trees (a change against its base) and the peers uvloop and c_libev, with the
# server's CPU time per request next to the rate. Each round runs every server once, one
# after the other, on the same cell, so the two idiokit runs of a round are neighbours in
# time on a shared machine.
#
#   bench/tools/paired_echo.sh BASE_TREE NEW_TREE [ROUNDS]
#
# A tree is a checkout with its extension built in place (make build). Cells: 1, 10 and
# 100 KiB x 10 and 100 connections with glibc's defaults, and the 100 KiB cells again with
# GLIBC_TUNABLES as docs/socket.rst (Large messages) suggests, for every server. Prints one
# line per run: cell, round, server, then the load generator's JSON with "cpu_us" added.
# CELLS="1024 10;102400 100 T" runs only those cells; WHO="base new" only those servers.
set -u
BASE=${1:?base tree}; NEW=${2:?new tree}; R=${3:-5}
BENCH=$(cd "$(dirname "$0")/.." && pwd)
PY=$BENCH/.venv/bin/python
TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864
"$PY" -c "import sys; sys.path.insert(0, '$BENCH/lib'); import cbuild; cbuild.ensure('loadgen/echo_loadgen.c'); cbuild.ensure('loadgen/echo_server_libev.c', ['-lev'])"

one() {   # one TREE FRAMEWORK SIZE CONNS: a server, a 1 s warm-up, 2 s measured
    local out; out=$(mktemp)
    ( cd "$BENCH/lib" && PYTHONPATH=$1 exec taskset -c 1 "$PY" launch.py "$BENCH/workloads/tcp_echo/$2.py" ) > "$out" 2>&1 &
    local srv=$!
    for _ in $(seq 200); do grep -q ready "$out" && break; sleep 0.05; done
    local port; port=$("$PY" -c "import json, sys; print(json.loads(open(sys.argv[1]).readline())['port'])" "$out")
    taskset -c 0 "$BENCH/out/bin/echo_loadgen" --port "$port" --size "$3" --conns "$4" --seconds 1 > /dev/null
    local c0; c0=$(awk '{print $14 + $15}' /proc/$srv/stat)
    local load; load=$(taskset -c 0 "$BENCH/out/bin/echo_loadgen" --port "$port" --size "$3" --conns "$4" --seconds 2 | tail -1)
    local c1; c1=$(awk '{print $14 + $15}' /proc/$srv/stat)
    kill "$srv"; wait "$srv" 2>/dev/null
    rm -f "$out"
    "$PY" -c "import json, sys; d = json.loads(sys.argv[1]); d['cpu_us'] = round(($c1 - $c0) * 1e6 / $(getconf CLK_TCK) / d['requests'], 2); print(json.dumps(d))" "$load"
}

CELLS=${CELLS:-"1024 10;1024 100;10240 10;10240 100;102400 10;102400 100;102400 10 T;102400 100 T"}
IFS=';' read -r -a CELL_LIST <<< "$CELLS"
for cell in "${CELL_LIST[@]}"; do
    set -- $cell
    for r in $(seq "$R"); do
        for who in ${WHO:-base new uvloop c_libev}; do
            case $who in base) tree=$BASE fw=idiokit ;; new) tree=$NEW fw=idiokit ;; *) tree=$NEW fw=$who ;; esac
            if [ "${3:-}" = T ]; then line=$(GLIBC_TUNABLES=$TUNABLES one "$tree" "$fw" "$1" "$2")
            else line=$(one "$tree" "$fw" "$1" "$2"); fi
            echo "$1x$2${3:+-T} $r $who $line"
        done
    done
done
