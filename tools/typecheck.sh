#!/usr/bin/env bash
# tools/typecheck.sh PYTHON: checks the type stubs (idiokit/*.pyi, py.typed)
# with PYTHON, a virtual environment holding tools/requirements-types.txt,
# against the in-place build of the checkout:
#   1. mypy on the package: the stubs are valid and agree with each other;
#   2. mypy --strict on tests/docs/typing_usage.py, a typed program over the
#      public API (tests/docs/test_typing_usage.py runs it);
#   3. mypy on tests/docs/typing_misuse.py: an error on every line marked
#      "# rejected" and on no other line, so a stub that decays to Any shows;
#   4. python -m mypy.stubtest idiokit: the stubs match the runtime package
#      (tools/stubtest-allowlist.txt documents what it may not see).
set -euo pipefail
cd "$(dirname "$0")/.."

py=${1:?usage: typecheck.sh PYTHON}
export PYTHONPATH=$PWD
# mypy's cache stays out of the checkout's way (and out of the sdist).
cache=build/mypy-cache
mypy=("$py" -m mypy --cache-dir "$cache" --no-error-summary)

echo "typecheck: mypy -p idiokit (the stubs)"
"${mypy[@]}" -p idiokit

echo "typecheck: mypy --strict tests/docs/typing_usage.py"
"${mypy[@]}" --strict tests/docs/typing_usage.py

echo "typecheck: mypy tests/docs/typing_misuse.py (each '# rejected' line, and only those)"
misuse=tests/docs/typing_misuse.py
set +e
out=$("${mypy[@]}" "$misuse" 2>&1)
set -e
expected=$(grep -n '# rejected$' "$misuse" | cut -d: -f1 | sort -n | uniq)
got=$(printf '%s\n' "$out" | sed -n "s|^$misuse:\([0-9]*\): error:.*|\1|p" | sort -n | uniq)
if [ -z "$expected" ] || [ "$expected" != "$got" ]; then
    echo "typecheck: FAILED: lines rejected by mypy ($(echo $got)) are not the marked ones ($(echo $expected))" >&2
    printf '%s\n' "$out" >&2
    exit 1
fi

echo "typecheck: python -m mypy.stubtest idiokit"
"$py" -m mypy.stubtest --allowlist tools/stubtest-allowlist.txt idiokit
echo "typecheck: ok"
