#!/usr/bin/env bash
# tools/test_debug.sh X.Y [PYTEST ARGS...]: `make test-debug`.  Builds
# idiokit._core as a debug build (IDIOKIT_DEBUG=1: -O0 -g3 -DIDK_DEBUG, C
# assert() on) with Python X.Y's .venv-X.Y, in its own copy of the tree,
# build/debug/tree (the in-place build is left alone), and runs the suite
# there in Python's development mode on 3.x (-X dev: PYTHONMALLOC=debug,
# which catches writes past a Python-allocated block and use of freed
# memory, faulthandler on).  A failed assert() aborts: that fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

ver=${1:?usage: test_debug.sh X.Y [PYTEST ARGS...]}
shift
py=$(tools/find_python.sh "$ver") || { echo "test-debug: no Python $ver on this machine" >&2; exit 1; }
# Its own environment: CI runs this beside `make test-all`, which makes .venv-X.Y.
tools/make_venv.sh "$py" ".venv-debug-$ver"
vpy=$PWD/.venv-debug-$ver/bin/python
tree=$PWD/build/debug/tree

rm -rf "$tree"
mkdir -p "$tree"
tools/export_tree.sh "$tree"
IDIOKIT_DEBUG=1 "$tree/tools/build_ext.sh" "$vpy"
cd "$tree"
if [ "${ver%%.*}" = 3 ]; then
    export PYTHONDEVMODE=1
fi
tools/run_pytest.sh "$vpy" "$@"
