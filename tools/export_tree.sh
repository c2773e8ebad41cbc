#!/usr/bin/env bash
# tools/export_tree.sh DEST: copies the checkout's sources to DEST, without
# build products, virtual environments or .git: the tree `pip install .` and
# the sanitizer build start from.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:?usage: export_tree.sh DEST}
mkdir -p "$dest"
tar -cf - \
    --exclude=./.git --exclude='.venv*' --exclude=./build --exclude=./dist \
    --exclude='*.so' --exclude='*.o' --exclude='*.egg-info' --exclude=__pycache__ \
    --exclude='*.pyc' --exclude=.pytest_cache --exclude=./bench/out --exclude=./docs/_build \
    . | tar -xf - -C "$dest"
