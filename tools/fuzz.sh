#!/usr/bin/env bash
# tools/fuzz.sh: `make fuzz`.  Runs each atheris target of tests/fuzz/
# (fuzz_*.py; FUZZ_TARGETS narrows them) for FUZZ_SECONDS (default 60) in
# .venv-fuzz (python3 with atheris, tests/fuzz/requirements.txt) against the
# in-place build.  Each target starts from its seeds in tests/fuzz/corpus/NAME
# (read only) and writes what it finds to build/fuzz/corpus-NAME; a crash,
# a leak or a hang (an input over 10 s) fails the run and leaves its input in
# build/fuzz/.  Prints the executions each target ran.
# A new target is picked up by name: tests/fuzz/fuzz_NAME.py with
# tests/fuzz/corpus/NAME/ (fuzz_xml.py with corpus/xml/, and so on).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
tools/make_venv.sh "${PYTHON:-python3}" .venv-fuzz tools/requirements-test.txt tests/fuzz/requirements.txt
tools/build_ext.sh .venv-fuzz/bin/python >/dev/null
out=$PWD/build/fuzz
mkdir -p "$out"
summary=()
status=0
for target in ${FUZZ_TARGETS:-$(cd tests/fuzz && ls fuzz_*.py | sed 's/^fuzz_//; s/\.py$//')}; do
    seeds=$PWD/tests/fuzz/corpus/$target
    mkdir -p "$out/corpus-$target" "$seeds"
    log=$out/$target.log
    echo "== fuzz $target for ${seconds}s"
    set +e
    (cd tests/fuzz && timeout -k 10 $((seconds + 120)) "$OLDPWD/.venv-fuzz/bin/python" "fuzz_$target.py" \
        "$out/corpus-$target" "$seeds" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$out/$target-" -print_final_stats=1) > "$log" 2>&1
    rc=$?
    set -e
    runs=$(grep -Eo '^Done [0-9]+ runs' "$log" | grep -Eo '[0-9]+' || echo "?")
    grep -E '^fuzz_.*after [0-9]+ inputs' "$log" | tail -n 1 || true
    if [ "$rc" -ne 0 ]; then
        status=1
        summary+=("$target: FAILED (exit $rc) after ${runs} runs; see $log")
        tail -n 40 "$log" >&2
    else
        summary+=("$target: ok, ${runs} executions in ${seconds}s, corpus $(ls "$out/corpus-$target" | wc -l) new inputs")
    fi
done
printf 'fuzz: %s\n' "${summary[@]}"
exit $status
