#!/usr/bin/env bash
# tools/test_all.sh: `make test-all`.  For every supported interpreter found
# on this machine (Python 2.7 and 3.8-3.13: pyenv's, or pythonX.Y on PATH):
# its own virtual environment .venv-X.Y, an in-place build (the .so names
# differ per version, so the builds sit side by side), the private C-API
# check, the test suite, and `pip install .` from a clean copy.  Goes on
# after a failure so that every interpreter is reported, prints a one-line
# summary per interpreter, and fails if any failed (or if none was found).
#
# PYTHONS="3.11 2.7" limits the run; PYTEST_ARGS are passed to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."

versions=${PYTHONS:-"2.7 3.8 3.9 3.10 3.11 3.12 3.13"}
logdir=build/test-all
mkdir -p "$logdir"
summary=()
failed=0
found=0

now() { date +%s; }

for ver in $versions; do
    if ! py=$(tools/find_python.sh "$ver"); then
        summary+=("$(printf '%-5s skipped: no Python %s on this machine' "$ver" "$ver")")
        continue
    fi
    found=$((found + 1))
    venv=.venv-$ver
    log=$logdir/$ver.log
    echo
    echo "================ Python $ver ($py) ================"
    state=ok
    t0=$(now)
    tools/make_venv.sh "$py" "$venv" || state="FAILED venv"
    t1=$(now)
    [ "$state" = ok ] && { tools/build_ext.sh "$venv/bin/python" || state="FAILED build"; }
    t2=$(now)
    [ "$state" = ok ] && { tools/check_private_capi.sh "$("$venv/bin/python" tools/ext_path.py)" || state="FAILED check-capi"; }
    tests="-"
    t3=$(now)
    if [ "$state" = ok ]; then
        # shellcheck disable=SC2086
        tools/run_pytest.sh "$venv/bin/python" ${PYTEST_ARGS:-} 2>&1 | tee "$log"
        rc=${PIPESTATUS[0]}
        tests=$(grep -E '^=+ .*(passed|failed|error|no tests ran).* =+$' "$log" | tail -n 1 | sed -E 's/^=+ //; s/ =+$//')
        [ -n "$tests" ] || tests="no pytest summary"
        [ "$rc" -eq 0 ] || state="FAILED tests (exit $rc)"
    fi
    t4=$(now)
    [ "$state" = ok ] && { tools/pip_install_check.sh "$venv" || state="FAILED pip install"; }
    t5=$(now)
    [ "$state" = ok ] || failed=$((failed + 1))
    summary+=("$(printf '%-5s %-22s venv %3ss  build %3ss  tests %4ss (%s)  pip install %3ss' \
        "$ver" "$state" $((t1 - t0)) $((t2 - t1)) $((t4 - t3)) "$tests" $((t5 - t4)))")
done

echo
echo "================ test-all summary ================"
printf '%s\n' "${summary[@]}"
if [ "$found" -eq 0 ]; then
    echo "test-all: no supported interpreter found" >&2
    exit 1
fi
if [ "$failed" -ne 0 ]; then
    echo "test-all: $failed of $found interpreters FAILED" >&2
    exit 1
fi
echo "test-all: all $found interpreters passed"
