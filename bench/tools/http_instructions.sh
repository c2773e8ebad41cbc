#!/bin/bash
# bench/tools/http_instructions.sh: user-space instructions per request of one HTTP server
# under wrk's keep-alive load, counted by callgrind (as echo_instructions.sh does for TCP
# echo): the count does not depend on what the other core does, so it shows what a change
# to the per-request path buys.
#
#   sh bench/setup_venv.sh            # once: bench/.venv with idiokit and the peers
#   bench/tools/http_instructions.sh FRAMEWORK [WORKLOAD] [CONNS] [SECONDS] [RUNS]
#
# FRAMEWORK names a script of bench/workloads/WORKLOAD/ (http_hello: idiokit,
# uvloop_httptools, c_libev, ...; http_dns). TREE=/path/to/checkout runs idiokit from that
# checkout (PYTHONPATH) instead of the bench venv's copy. TOP=N lists the N costliest
# functions (default 25). The server runs under valgrind with instrumentation off; after a
# one-second warm-up, instrumentation is on for SECONDS of wrk (one thread, CONNS
# connections), and the total is divided by the requests wrk completed; the median of RUNS
# runs (3) is printed with its top functions.
set -eu
FW=${1:?framework, e.g. idiokit}
WL=${2:-http_hello}
CONNS=${3:-100}
SECS=${4:-4}
RUNS=${5:-3}
BENCH=$(cd "$(dirname "$0")/.." && pwd)
PY=$BENCH/.venv/bin/python
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
[ -x "$PY" ] || { echo "run sh bench/setup_venv.sh first" >&2; exit 2; }
case $WL in http_dns) URLPATH=/host3.bench.test ;; *) URLPATH=/ ;; esac
if [ "$FW" = c_libev ]; then
    "$PY" -c "import sys; sys.path.insert(0, '$BENCH/lib'); import runpy; runpy.run_path('$BENCH/workloads/$WL/c_libev.py', run_name='build')" || true
fi

one_run() {   # $1: the run's folder
    PYTHONPATH=${TREE:-} valgrind --tool=callgrind --trace-children=yes --instr-atstart=no \
        --callgrind-out-file="$1/cg.out" \
        "$PY" launch.py "$BENCH/workloads/$WL/$FW.py" > "$1/server.out" 2> "$1/server.err" &
    VG=$!
    for _ in $(seq 600); do grep -q '"ready"' "$1/server.out" 2>/dev/null && break; sleep 0.1; done
    PORT=$("$PY" -c "import json, sys; print(json.loads(open(sys.argv[1]).readline())['port'])" "$1/server.out")
    wrk -t1 -c"$CONNS" -d1s "http://127.0.0.1:$PORT$URLPATH" > /dev/null
    callgrind_control -i on "$VG" > /dev/null 2>&1
    wrk -t1 -c"$CONNS" -d"$SECS"s "http://127.0.0.1:$PORT$URLPATH" > "$1/load.out"
    callgrind_control -i off "$VG" > /dev/null 2>&1
    callgrind_control -d "$VG" > /dev/null 2>&1
    kill "$VG"; wait "$VG" 2>/dev/null || true
}

cd "$BENCH/lib"
for i in $(seq "$RUNS"); do mkdir "$TMP/$i"; one_run "$TMP/$i"; done

"$PY" - "$TMP" "$FW" "$WL" "$CONNS" "$RUNS" <<'PY'
import glob, os, re, subprocess, sys
tmp, fw, wl, conns, runs = sys.argv[1:]


def measure(folder):
    requests = int(re.search(r"(\d+) requests in", open(folder + "/load.out").read()).group(1))
    dumps = [p for p in glob.glob(folder + "/cg.out*") if os.path.getsize(p)]
    totals = []
    for dump in dumps:
        text = subprocess.run(["callgrind_annotate", "--auto=no", "--threshold=95", dump],
                              capture_output=True, text=True).stdout
        m = re.search(r"([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", text)
        if m:
            totals.append((int(m.group(1).replace(",", "")), text))
    total, text = max(totals)
    return total // requests, requests, text


results = sorted(measure("%s/%d" % (tmp, i)) for i in range(1, int(runs) + 1))
per_request, requests, text = results[len(results) // 2]
print("%s, %s x %s conns: %d instructions per request (median of %s runs: %s)"
      % (fw, wl, conns, per_request, runs,
         ", ".join("%d over %d requests" % (r[0], r[1]) for r in results)))
for line in text.split("file:function", 1)[1].splitlines()[2:2 + int(os.environ.get("TOP", "25"))]:
    m = re.match(r"\s*([\d,]+) \(.*?\)\s+(\S+)", line)
    if m:
        name = re.sub(r"^.*/", "", m.group(2))
        print("  %6d  %s" % (int(m.group(1).replace(",", "")) // requests, name))
PY
