#!/usr/bin/env bash
# tools/test_refcount.sh [PYTEST ARGS...]: `make test-refcount`.  Runs the
# suite on Debian's debug CPython (python3.11-dbg: sys.gettotalrefcount),
# with each test repeated (tests/support/refleak.py: --refleak=WARMUPS:RUNS,
# CPython's `regrtest -R` rule), in its own virtual environment .venv-dbg
# with an in-place build for that interpreter (_core.cpython-311d-*.so, side
# by side with the others).  Without arguments: the core, socket and DNS
# tests (REFLEAK_TESTS); REFLEAK=W:R sets the repetitions (default 2:3).
set -euo pipefail
cd "$(dirname "$0")/.."

dbg=${DEBUG_PYTHON:-}
if [ -z "$dbg" ]; then
    for cand in /usr/bin/python3.11-dbg /usr/bin/python3-dbg; do
        [ -x "$cand" ] && { dbg=$cand; break; }
    done
fi
if [ -z "$dbg" ] || ! "$dbg" -c 'import sys; sys.gettotalrefcount' 2>/dev/null; then
    echo "test-refcount: no debug CPython found (install python3.11-dbg, or set DEBUG_PYTHON)" >&2
    exit 1
fi
tools/make_venv.sh "$dbg" .venv-dbg
tools/build_ext.sh .venv-dbg/bin/python

if [ $# -eq 0 ]; then
    # shellcheck disable=SC2206
    set -- ${REFLEAK_TESTS:-tests/core/test_core_*.py tests/net/test_socket.py \
        tests/net/test_socket_reliability.py tests/net/test_socket_turn_reads.py \
        tests/dns/test_dns.py tests/dns/test_dns_query.py tests/dns/test_dns_hostile.py \
        tests/reliability/test_bad_input.py tests/reliability/test_guards.py \
        tests/protocols/test_xmlcore.py}
fi
tools/run_pytest.sh .venv-dbg/bin/python --refleak="${REFLEAK:-2:3}" "$@"
