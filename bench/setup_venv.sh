#!/bin/sh
# bench/setup_venv.sh: create or refresh bench/.venv, the virtual environment `make bench` runs in.
# Installs the peers of bench/requirements.txt one by one (a failure is recorded, not fatal;
# matplotlib, for bench/charts.py, is one of them), and idiokit built from this checkout's working
# tree (copied to bench/out/idiokit-src first, so the build never writes into src/ or idiokit/).
# What happened is written to bench/.venv/bench-install-status.txt, which bench/run.py reads to
# explain an unavailable framework. Usage: sh bench/setup_venv.sh   (PYTHON=python3.x to choose)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
PY=${PYTHON:-python3}
VENV=$HERE/.venv
STATUS=$VENV/bench-install-status.txt
LOGDIR=$HERE/out/install-logs

if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV" || { echo "setup_venv: cannot create $VENV with $PY" >&2; exit 1; }
fi
mkdir -p "$LOGDIR"
: > "$STATUS"

record() {  # record NAME LOGFILE STATUS
    if [ "$3" = 0 ]; then
        echo "$1: ok" >> "$STATUS"
    else
        why=$(grep -E '[A-Za-z]+(Error|Exception):' "$2" | tail -n 1 | sed 's/^[[:space:]]*//')
        [ -n "$why" ] || why=$(grep -v '^[[:space:]]*$' "$2" | tail -n 1)
        echo "$1: failed: $why" >> "$STATUS"
        echo "setup_venv: installing $1 failed, see $2" >&2
    fi
}

"$VENV/bin/python" -m pip install -q --upgrade pip > "$LOGDIR/pip.log" 2>&1

sed -e 's/#.*//' -e 's/[[:space:]]//g' "$HERE/requirements.txt" | while read -r req; do
    [ -n "$req" ] || continue
    "$VENV/bin/python" -m pip install -q "$req" > "$LOGDIR/$req.log" 2>&1
    record "$req" "$LOGDIR/$req.log" $?
done

# idiokit from the working tree (tracked and untracked-but-not-ignored files, bench/ excluded).
if [ -f "$ROOT/setup.py" ] || [ -f "$ROOT/pyproject.toml" ]; then
    SRC=$HERE/out/idiokit-src
    rm -rf "$SRC" && mkdir -p "$SRC"
    (cd "$ROOT" && git ls-files -z -co --exclude-standard | tr '\0' '\n' | grep -v '^bench/' \
        | tar -cf - -T - | tar -C "$SRC" -xf -)
    log=$LOGDIR/idiokit.log
    "$VENV/bin/python" -m pip install --no-deps --force-reinstall "$SRC" > "$log" 2>&1 \
        || "$VENV/bin/python" -m pip install --no-deps --force-reinstall --no-build-isolation "$SRC" >> "$log" 2>&1
    rc=$?
    record idiokit "$log" $rc
    commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [ -n "$(git -C "$ROOT" status --porcelain -- . ':!bench' 2>/dev/null)" ]; then
        commit="$commit + uncommitted changes"
    fi
    echo "idiokit-source: $commit" >> "$STATUS"
else
    echo "idiokit: failed: the checkout has no setup.py or pyproject.toml yet" >> "$STATUS"
fi
cat "$STATUS"
