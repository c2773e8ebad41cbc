# tools/pythons.sh: sourced by tools/build_wheels.sh and tools/test_wheels.sh.
# Owns the list of supported interpreters and the loop over those found on
# this machine with its one-line-per-interpreter summary.
#
# for_each_python NAME STEP: for each version of $PYTHONS (default: all
# supported) that tools/find_python.sh finds, runs `STEP VERSION PYTHON`;
# STEP's exit status is the interpreter's result and the variable `note`,
# which STEP may set, goes on its summary line.  Goes on after a failure,
# prints the summary, and returns non-zero if any failed or none was found.

SUPPORTED_PYTHONS="2.7 3.8 3.9 3.10 3.11 3.12 3.13"

for_each_python() {
    local name=$1 step=$2 ver py t0 state failed=0 found=0
    local summary=()
    for ver in ${PYTHONS:-$SUPPORTED_PYTHONS}; do
        if ! py=$(tools/find_python.sh "$ver"); then
            summary+=("$(printf '%-5s skipped: no Python %s on this machine' "$ver" "$ver")")
            continue
        fi
        found=$((found + 1))
        echo "== $name: Python $ver ($py)"
        note=""
        t0=$(date +%s)
        if "$step" "$ver" "$py"; then
            state=ok
        else
            state=FAILED
            failed=$((failed + 1))
        fi
        summary+=("$(printf '%-5s %s %s(%ss)' "$ver" "$state" "${note:+$note }" $(( $(date +%s) - t0 )))")
    done
    echo
    echo "================ $name summary ================"
    printf '%s\n' "${summary[@]}"
    if [ "$found" -eq 0 ]; then
        echo "$name: no supported interpreter found" >&2
        return 1
    fi
    if [ "$failed" -ne 0 ]; then
        echo "$name: $failed of $found interpreters FAILED" >&2
        return 1
    fi
    echo "$name: all $found interpreters passed"
}
