#!/usr/bin/env bash
# tools/export_tree.sh DEST: copies the checkout's sources to DEST, without
# build products, virtual environments or .git: the tree `pip install .` and
# the sanitizer build start from.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:?usage: export_tree.sh DEST}
mkdir -p "$dest"
# GNU tar exits 1 when a file or folder changed while it was read: in CI the
# other lane creates its venvs and builds beside us (all excluded here), so
# the top folder changes; the sources do not.  Exit 2 and up is an error.
set +e
tar -cf - --warning=no-file-changed \
    --exclude=./.git --exclude='.venv*' --exclude=./build --exclude=./dist \
    --exclude='*.so' --exclude='*.o' --exclude='*.egg-info' --exclude=__pycache__ \
    --exclude='*.pyc' --exclude=.pytest_cache --exclude=./bench/out --exclude=./docs/_build \
    . | tar -xf - -C "$dest"
status=("${PIPESTATUS[@]}")
set -e
if [ "${status[0]}" -gt 1 ] || [ "${status[1]}" -ne 0 ]; then
    echo "export_tree: tar failed (create ${status[0]}, extract ${status[1]})" >&2
    exit 1
fi
