#!/usr/bin/env bash
# tools/make_venv.sh PYTHON DIR [REQUIREMENTS...]: makes DIR a virtual
# environment of the interpreter PYTHON with REQUIREMENTS installed (default:
# tools/requirements-test.txt, plus tests/requirements.txt if it exists).
# Does nothing when DIR is already up to date: a stamp in DIR records the
# interpreter and the requirement files' contents.
#
# Python 3 uses its own venv module.  Python 2.7 has none: it gets `virtualenv`
# 20.21 (the last release that creates 2.7 environments), run from a helper
# environment .venv-tools of the default python3 ($TOOLS_PYTHON).
set -euo pipefail
cd "$(dirname "$0")/.."

py=${1:?usage: make_venv.sh PYTHON DIR [REQUIREMENTS...]}
dir=${2:?usage: make_venv.sh PYTHON DIR [REQUIREMENTS...]}
shift 2
if [ $# -gt 0 ]; then
    reqs=("$@")
else
    reqs=(tools/requirements-test.txt)
    [ -f tests/requirements.txt ] && reqs+=(tests/requirements.txt)
fi
for r in "${reqs[@]}"; do
    [ -f "$r" ] || { echo "make_venv: requirements file $r not found" >&2; exit 1; }
done

pip_install() {
    # pip_install PYTHON ARGS...; --no-input: CI has no stdin.
    local python=$1
    shift
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_PYTHON_VERSION_WARNING=1 "$python" -m pip install --no-input -q "$@"
}

key=$( { "$py" -c 'import sys; print(sys.executable); print(sys.version)'; cat "${reqs[@]}"; } | sha256sum | cut -d' ' -f1)
stamp="$dir/.idiokit-venv"
if [ -x "$dir/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ] && "$dir/bin/python" -c '' 2>/dev/null; then
    echo "venv $dir: up to date"
    exit 0
fi

version=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# Reuse an existing environment of the same interpreter (pip then installs
# only what is missing); otherwise start again.
if ! { [ -x "$dir/bin/python" ] && [ "$("$dir/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$version" ]; }; then
    rm -rf "$dir"
    echo "venv $dir: creating for Python $version ($py)"
    if [ "${version%%.*}" = 2 ]; then
        tools_py=${TOOLS_PYTHON:-python3}
        if ! .venv-tools/bin/python -c 'import virtualenv' 2>/dev/null; then
            rm -rf .venv-tools
            "$tools_py" -m venv .venv-tools
            pip_install .venv-tools/bin/python 'virtualenv>=20.17,<20.22'
        fi
        .venv-tools/bin/python -m virtualenv -q --no-periodic-update -p "$py" "$dir"
    else
        "$py" -m venv "$dir"
    fi
fi
echo "venv $dir: installing ${reqs[*]}"
args=()
for r in "${reqs[@]}"; do args+=(-r "$r"); done
pip_install "$dir/bin/python" "${args[@]}"
echo "$key" > "$stamp"
