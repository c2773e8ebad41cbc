#!/usr/bin/env bash
# tools/build_ext.sh PYTHON: builds idiokit._core in place with PYTHON
# (`PYTHON setup.py build_ext --inplace`) and fails if the compiler or the
# linker printed any warning: the build must be warning-free on every
# interpreter.  STRICT_WARNINGS=0 only reports them.
set -euo pipefail
cd "$(dirname "$0")/.."

py=${1:?usage: build_ext.sh PYTHON}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

set +e
"$py" setup.py build_ext --inplace 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
    echo "build: FAILED with $py (exit $rc)" >&2
    exit "$rc"
fi
# gcc: "file.c:12:5: warning: ..." or "cc1: warning: ..."; ld: "/usr/bin/ld: warning: ...".
if grep -E '(:[0-9]+:[0-9]+: |^(cc1|gcc|cc|ld|/usr/bin/ld|collect2): )warning: ' "$log" >/dev/null; then
    echo "build: the compiler printed warnings (above); the build must be warning-free" >&2
    [ "${STRICT_WARNINGS:-1}" = 0 ] || exit 1
fi
echo "build: ok ($("$py" tools/ext_path.py))"
