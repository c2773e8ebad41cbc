#!/usr/bin/env bash
# tools/test_asan.sh PYTHON [PYTEST ARGS...]: `make test-asan`.  Builds idiokit._core with
# AddressSanitizer + UndefinedBehaviorSanitizer (IDIOKIT_ASAN=1) in its own
# copy of the tree, build/asan/tree (so the normal in-place build is left
# alone), runs the suite there with PYTHON (the .venv interpreter), and fails
# on a test failure or on any sanitizer report: ASan's from any process
# (log files; child processes inherit the environment), UBSan's from the test
# process and from children whose stderr is not captured (the output).
#
# CPython is not built with ASan, so libasan is preloaded, and PYTHONMALLOC=malloc
# routes Python's allocations through it.  detect_leaks=0: CPython itself
# leaves memory allocated at exit.
set -euo pipefail
cd "$(dirname "$0")/.."

py=$(cd "$(dirname "${1:?usage: test_asan.sh PYTHON [PYTEST ARGS...]}")" && pwd)/$(basename "$1")
shift
root=$PWD/build/asan
tree=$root/tree
reports=$root/reports

libasan=$(gcc -print-file-name=libasan.so)
[ -f "$libasan" ] || { echo "test-asan: gcc has no libasan.so ($libasan)" >&2; exit 1; }

# A fresh copy each time; the build inside it is then a full one.
rm -rf "$tree" "$reports"
mkdir -p "$tree" "$reports"
tools/export_tree.sh "$tree"
IDIOKIT_ASAN=1 "$tree/tools/build_ext.sh" "$py"

set +e
(
    cd "$tree"
    export LD_PRELOAD=$libasan
    export PYTHONMALLOC=malloc
    export ASAN_OPTIONS="detect_leaks=0:log_path=$reports/asan"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
    # --capture=sys: pytest captures sys.stdout/sys.stderr only, so a report
    # that the C runtime writes to fd 2 reaches the log even when the report
    # ends the process.  (UBSan ignores log_path when linked with ASan.)
    if [ $# -gt 0 ] || [ ! -f tests/reliability/test_leaks.py ]; then
        tools/run_pytest.sh "$py" --capture=sys "$@"
    else
        # ASan's quarantine keeps freed memory on purpose, so the tests that
        # measure RSS growth (tests/*/test_*leaks.py) run in a second pass with
        # no quarantine; everything else keeps ASan's defaults.
        leak_files=(tests/*/test_*leaks.py)
        tools/run_pytest.sh "$py" --capture=sys "${leak_files[@]/#/--ignore=}" tests &&
        ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
            tools/run_pytest.sh "$py" --capture=sys "${leak_files[@]}"
    fi
) 2>&1 | tee "$reports/pytest.log"
rc=${PIPESTATUS[0]}
set -e

shopt -s nullglob
files=("$reports"/asan.*)
if [ ${#files[@]} -gt 0 ]; then
    echo "test-asan: ${#files[@]} AddressSanitizer report file(s):" >&2
    for f in "${files[@]}"; do
        echo "---- $f" >&2
        cat "$f" >&2
    done
    exit 1
fi
if grep -E 'runtime error: |ERROR: AddressSanitizer|SUMMARY: (AddressSanitizer|UndefinedBehaviorSanitizer)' "$reports/pytest.log" >/dev/null; then
    echo "test-asan: sanitizer reports in the output above (also in $reports/pytest.log)" >&2
    exit 1
fi
[ "$rc" -eq 0 ] || { echo "test-asan: the suite failed under the sanitizers (exit $rc)" >&2; exit "$rc"; }
echo "test-asan: ok, no sanitizer reports"
