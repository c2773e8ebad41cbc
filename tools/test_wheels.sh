#!/usr/bin/env bash
# tools/test_wheels.sh: `make test-wheels` (after `make wheels`).  For every
# supported interpreter found, runs tests/test_packaging.py in its test venv
# .venv-X.Y with IDIOKIT_REQUIRE_WHEEL=1: the wheel dist/ holds for that
# interpreter is installed into a fresh virtual environment with no compiler
# on PATH, its extension must need no library outside the wheel but glibc's,
# every module must import, the demo and a socket round trip must run; and a
# build from the sdist without the -dev headers must stop with one line.
# (The suite's conftest needs the in-place build of that venv as well.)
#
# PYTHONS="3.11 2.7" limits the run.  Fails if any interpreter failed.
set -uo pipefail
cd "$(dirname "$0")/.."

versions=${PYTHONS:-"2.7 3.8 3.9 3.10 3.11 3.12 3.13"}
summary=()
failed=0
found=0
for ver in $versions; do
    if ! py=$(tools/find_python.sh "$ver"); then
        summary+=("$(printf '%-5s skipped: no Python %s on this machine' "$ver" "$ver")")
        continue
    fi
    found=$((found + 1))
    venv=.venv-$ver
    echo "== wheel test for Python $ver"
    t0=$(date +%s)
    if tools/make_venv.sh "$py" "$venv" && tools/build_ext.sh "$venv/bin/python" >/dev/null &&
            IDIOKIT_REQUIRE_WHEEL=1 tools/run_pytest.sh "$venv/bin/python" -q tests/test_packaging.py; then
        state=ok
    else
        state=FAILED
        failed=$((failed + 1))
    fi
    summary+=("$(printf '%-5s %s (%ss)' "$ver" "$state" $(( $(date +%s) - t0 )))")
done

echo
echo "================ test-wheels summary ================"
printf '%s\n' "${summary[@]}"
[ "$found" -gt 0 ] || { echo "test-wheels: no supported interpreter found" >&2; exit 1; }
[ "$failed" -eq 0 ] || { echo "test-wheels: $failed of $found interpreters FAILED" >&2; exit 1; }
echo "test-wheels: all $found interpreters passed"
