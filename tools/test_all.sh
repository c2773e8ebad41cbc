#!/usr/bin/env bash
# tools/test_all.sh: `make test-all`.  For every supported interpreter found
# on this machine (Python 2.7 and 3.8-3.13: pyenv's, or pythonX.Y on PATH):
# its own virtual environment .venv-X.Y, an in-place build (the .so names
# differ per version, so the builds sit side by side), the private C-API
# check, the test suite, and `pip install .` from a clean copy.  Goes on
# after a failure so that every interpreter is reported, prints a one-line
# summary per interpreter, and fails if any failed (or if none was found).
#
# PYTHONS="3.11 2.7" (or "3.11,2.7") limits the run; PYTEST_ARGS are passed
# to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."

versions=${PYTHONS:-"2.7 3.8 3.9 3.10 3.11 3.12 3.13"}
versions=${versions//,/ }
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
    failures=()
    capi="-" tests="-" pip="-"
    t0=$(now)
    venv_ok=yes
    tools/make_venv.sh "$py" "$venv" || { venv_ok=no; failures+=(venv); }
    t1=$(now)
    build_ok=no
    if [ $venv_ok = yes ]; then
        if tools/build_ext.sh "$venv/bin/python"; then build_ok=yes; else failures+=(build); fi
    fi
    t2=$(now)
    if [ $build_ok = yes ]; then
        if tools/check_private_capi.sh "$("$venv/bin/python" tools/ext_path.py)"; then
            capi=ok
        else
            capi=FAILED
            failures+=(check-capi)
        fi
        # shellcheck disable=SC2086
        tools/run_pytest.sh "$venv/bin/python" ${PYTEST_ARGS:-} 2>&1 | tee "$log"
        rc=${PIPESTATUS[0]}
        tests=$(grep -E '^=+ .*(passed|failed|error|no tests ran).* =+$' "$log" | tail -n 1 | sed -E 's/^=+ //; s/ =+$//')
        [ -n "$tests" ] || tests="no pytest summary"
        [ "$rc" -eq 0 ] || failures+=("tests (exit $rc)")
    fi
    t3=$(now)
    # pip install . builds from a clean copy: worth proving even if the suite failed.
    if [ $venv_ok = yes ]; then
        if tools/pip_install_check.sh "$venv"; then pip=ok; else pip=FAILED; failures+=("pip install"); fi
    fi
    t4=$(now)
    if [ ${#failures[@]} -eq 0 ]; then
        state=ok
    else
        state="FAILED: $(IFS=,; echo "${failures[*]}")"
        failed=$((failed + 1))
    fi
    summary+=("$(printf '%-5s %s | venv %ss | build %ss | check-capi %s | tests %ss (%s) | pip install %s %ss' \
        "$ver" "$state" $((t1 - t0)) $((t2 - t1)) "$capi" $((t3 - t2)) "$tests" "$pip" $((t4 - t3)))")
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
