#!/usr/bin/env bash
# tools/build_wheels.sh: `make wheels`.  Writes into dist/ the source
# distribution (python -m build --sdist; twine check --strict: the long
# description must render) and, for every supported interpreter found on this
# machine (2.7, 3.8-3.13: pyenv's, or pythonX.Y on PATH), a wheel built FROM
# THAT SDIST (so a file missing from MANIFEST.in breaks the wheel, not a
# user's install) with `pip wheel` (Python 2.7 has no `build`), then
# `auditwheel repair`ed into a manylinux wheel: libev and c-ares (and a
# shared libllhttp, where the system has one instead of Debian's sources) are
# copied into idiokit.libs/ and the extension's NEEDED entries point there.
# The tools live in .venv-pack (tools/requirements-pack.txt).
#
# PYTHONS="3.11 2.7" limits the run.  Fails if any interpreter failed or none
# was found; prints one summary line per interpreter (tools/pythons.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
. tools/pythons.sh

tools=.venv-pack
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_PYTHON_VERSION_WARNING=1 PIP_NO_INPUT=1

tools/make_venv.sh "${TOOLS_PYTHON:-python3}" "$tools" tools/requirements-pack.txt || exit 1
version=$(sed -n -E 's/^__version__ = "([^"]+)"$/\1/p' idiokit/__init__.py)
[ -n "$version" ] || { echo "wheels: no __version__ in idiokit/__init__.py" >&2; exit 1; }

mkdir -p dist
rm -f dist/idiokit-"$version".tar.gz dist/idiokit-"$version"-*.whl
work=build/wheels
rm -rf "$work"
mkdir -p "$work"

echo "== sdist"
src=$work/tree
tools/export_tree.sh "$src" || exit 1
"$tools/bin/python" -m build --sdist --outdir dist "$src" >"$work/sdist.log" 2>&1 || {
    cat "$work/sdist.log"; echo "wheels: the sdist failed" >&2; exit 1; }
sdist=dist/idiokit-$version.tar.gz
[ -f "$sdist" ] || { echo "wheels: $sdist was not made" >&2; exit 1; }
"$tools/bin/python" -m twine check --strict "$sdist" || exit 1

# One interpreter: pip wheel from the sdist, auditwheel repair into dist/,
# twine check of the result.
build_one() {
    local ver=$1 py=$2 raw=$work/raw-$1 log=$work/$1.log wheel
    note="(see $log)"
    "$py" -m pip wheel --no-deps -w "$raw" "$sdist" >"$log" 2>&1 || { tail -n 20 "$log"; return 1; }
    PATH="$PWD/$tools/bin:$PATH" "$tools/bin/auditwheel" repair --strip -w dist "$raw"/idiokit-*.whl \
        >>"$log" 2>&1 || { tail -n 20 "$log"; return 1; }
    wheel=$(sed -n -E 's/.*Fixed-up wheel written to (.*\.whl)$/\1/p' "$log" | tail -n 1)
    "$tools/bin/python" -m twine check --strict "$wheel" >>"$log" 2>&1 || { tail -n 20 "$log"; return 1; }
    note=$(basename "$wheel")
}

echo "sdist: $sdist"
for_each_python wheels build_one
