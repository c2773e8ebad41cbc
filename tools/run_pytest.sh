#!/usr/bin/env bash
# tools/run_pytest.sh PYTHON [PYTEST ARGS...]: runs `PYTHON -m pytest` from the
# checkout (default target: tests/) and passes its exit status on.  Exit 5,
# "no tests collected", is a failure like any other non-zero status: a suite
# that ran nothing proves nothing.  SUITE_TIMEOUT (seconds, default 1200)
# bounds the whole run so that a hang cannot eat CI's time.
set -euo pipefail
cd "$(dirname "$0")/.."

py=${1:?usage: run_pytest.sh PYTHON [PYTEST ARGS...]}
shift
[ $# -gt 0 ] || set -- tests
[ -e tests ] || { echo "pytest: no tests/ directory: nothing to run, which is a failure" >&2; exit 5; }

set +e
timeout -k 30 "${SUITE_TIMEOUT:-1200}" "$py" -m pytest -ra "$@"
rc=$?
set -e
case $rc in
    0) ;;
    5) echo "pytest: no tests were collected (exit 5): treated as a failure" >&2 ;;
    124|137) echo "pytest: the suite ran past SUITE_TIMEOUT=${SUITE_TIMEOUT:-1200}s and was stopped" >&2 ;;
    *) echo "pytest: FAILED (exit $rc) with $py" >&2 ;;
esac
exit $rc
