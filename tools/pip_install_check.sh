#!/usr/bin/env bash
# tools/pip_install_check.sh VENV: proves that `pip install .` builds and
# installs idiokit with VENV's interpreter: installs a clean copy of the
# checkout (pip's own build isolation, so pyproject.toml's build backend is
# the one pip picks for that Python), imports idiokit._core from outside the
# checkout, checks it came from site-packages, then uninstalls it again so
# that the venv keeps testing the in-place build.
# PIP_ISOLATION=0 builds with the venv's own setuptools instead (offline).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${1:?usage: pip_install_check.sh VENV}
py="$(cd "$venv" && pwd)/bin/python"
work=$(mktemp -d /tmp/idiokit-pip.XXXXXX)
trap 'rm -rf "$work"' EXIT

tools/export_tree.sh "$work/src"
flags=(--no-input -q)
[ "${PIP_ISOLATION:-1}" = 0 ] && flags+=(--no-build-isolation)
(cd "$work/src" && PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_PYTHON_VERSION_WARNING=1 "$py" -m pip install "${flags[@]}" .)
mkdir "$work/run"
(cd "$work/run" && "$py" -c '
import os, idiokit, idiokit._core
where = os.path.dirname(idiokit._core.__file__)
assert "site-packages" in where, "imported from %s, not site-packages" % where
print("pip install: ok, idiokit %s imports from %s" % (getattr(idiokit, "__version__", "?"), where))
')
PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_PYTHON_VERSION_WARNING=1 "$py" -m pip uninstall -y -q idiokit
