#!/bin/bash
# bench/tools/echo_instructions.sh: user-space instructions per request of one TCP echo server
# under load, counted by callgrind. Requests/s on a shared machine move by 20% from run to
# run; instruction counts do not depend on what the other core does, so they show what a
# change to the per-request path buys.
#
#   sh bench/setup_venv.sh            # once: bench/.venv with idiokit and the peers
#   bench/tools/echo_instructions.sh FRAMEWORK [SIZE] [CONNS] [SECONDS] [RUNS]
#
# FRAMEWORK names a script of bench/workloads/tcp_echo/ (idiokit, uvloop, asyncio, ...).
#   TOP=N lists the N costliest functions (default 20).
# The server runs under valgrind with instrumentation off; after a one-second warm-up with
# bench/out/bin/echo_loadgen, instrumentation is on for SECONDS of load, and the total is
# divided by the requests the generator completed. How many ready sockets each poll returns
# still varies with timing, and with it the loop's share per request (a few percent), so
# each of RUNS runs (3) is printed and the median taken; the top functions are the median
# run's.
set -eu
FW=${1:?framework, e.g. idiokit}
SIZE=${2:-1024}
CONNS=${3:-10}
SECS=${4:-3}
RUNS=${5:-3}
BENCH=$(cd "$(dirname "$0")/.." && pwd)
PY=$BENCH/.venv/bin/python
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
[ -x "$PY" ] || { echo "run sh bench/setup_venv.sh first" >&2; exit 2; }
"$PY" -c "import sys; sys.path.insert(0, '$BENCH/lib'); import cbuild; cbuild.ensure('loadgen/echo_loadgen.c')"
LOADGEN=$BENCH/out/bin/echo_loadgen

one_run() {   # $1: the run's folder
    valgrind --tool=callgrind --trace-children=yes --instr-atstart=no --callgrind-out-file="$1/cg.out" \
        "$PY" launch.py "$BENCH/workloads/tcp_echo/$FW.py" > "$1/server.out" 2> "$1/server.err" &
    VG=$!
    for _ in $(seq 300); do grep -q '"ready"' "$1/server.out" 2>/dev/null && break; sleep 0.1; done
    PORT=$("$PY" -c "import json, sys; print(json.loads(open(sys.argv[1]).readline())['port'])" "$1/server.out")
    "$LOADGEN" --port "$PORT" --size "$SIZE" --conns "$CONNS" --seconds 1 > /dev/null
    callgrind_control -i on "$VG" > /dev/null 2>&1
    "$LOADGEN" --port "$PORT" --size "$SIZE" --conns "$CONNS" --seconds "$SECS" > "$1/load.out"
    callgrind_control -i off "$VG" > /dev/null 2>&1
    callgrind_control -d "$VG" > /dev/null 2>&1
    kill "$VG"; wait "$VG" 2>/dev/null || true
}

cd "$BENCH/lib"
for i in $(seq "$RUNS"); do mkdir "$TMP/$i"; one_run "$TMP/$i"; done

"$PY" - "$TMP" "$FW" "$SIZE" "$CONNS" "$RUNS" <<'PY'
import glob, json, os, re, subprocess, sys
tmp, fw, size, conns, runs = sys.argv[1:]


def measure(folder):
    requests = json.loads(open(folder + "/load.out").read().strip().splitlines()[-1])["requests"]
    dump = max(glob.glob(folder + "/cg.out.*"), key=lambda p: int(p.rsplit(".", 1)[1]))
    text = subprocess.run(["callgrind_annotate", "--auto=no", "--threshold=95", dump],
                          capture_output=True, text=True).stdout
    total = re.search(r"([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", text).group(1)
    return int(total.replace(",", "")) // requests, requests, text


results = sorted(measure("%s/%d" % (tmp, i)) for i in range(1, int(runs) + 1))
per_request, requests, text = results[len(results) // 2]
print("%s, %s bytes x %s conns: %d instructions per request (median of %s runs: %s)"
      % (fw, size, conns, per_request, runs,
         ", ".join("%d over %d requests" % (r[0], r[1]) for r in results)))
for line in text.split("file:function", 1)[1].splitlines()[2:2 + int(os.environ.get("TOP", "20"))]:
    m = re.match(r"\s*([\d,]+) \(.*?\)\s+(\S+)", line)
    if m:
        name = re.sub(r"^.*/", "", m.group(2))
        print("  %6d  %s" % (int(m.group(1).replace(",", "")) // requests, name))
PY
