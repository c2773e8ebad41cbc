#!/usr/bin/env bash
# tools/test_wheels.sh: `make test-wheels` (after `make wheels`).  For every
# supported interpreter found, runs tests/packaging/test_packaging.py in its test venv
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

. tools/pythons.sh

test_one() {
    local venv=.venv-$1
    tools/make_venv.sh "$2" "$venv" && tools/build_ext.sh "$venv/bin/python" >/dev/null &&
        IDIOKIT_REQUIRE_WHEEL=1 tools/run_pytest.sh "$venv/bin/python" -q tests/packaging/test_packaging.py
}

for_each_python test-wheels test_one
