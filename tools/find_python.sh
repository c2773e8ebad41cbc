#!/usr/bin/env bash
# tools/find_python.sh X.Y: prints the path of a working Python X.Y on this
# machine (the newest pyenv X.Y.N, else pythonX.Y on PATH), or fails.
set -euo pipefail
want=${1:?usage: find_python.sh X.Y}
major=${want%%.*}
minor=${want#*.}

works() {
    "$1" -c "import sys; sys.exit(0 if sys.version_info[:2] == ($major, $minor) else 1)" >/dev/null 2>&1
}

root=${PYENV_ROOT:-$HOME/.pyenv}
if [ -d "$root/versions" ]; then
    # Only plain releases (3.12.1), not 3.13.0t or 3.12-dev builds.
    for dir in $(ls -1 "$root/versions" | grep -E "^${major}\.${minor}\.[0-9]+$" | sort -t. -k3,3nr); do
        if works "$root/versions/$dir/bin/python"; then
            echo "$root/versions/$dir/bin/python"
            exit 0
        fi
    done
fi
if cand=$(command -v "python$want" 2>/dev/null) && works "$cand"; then
    echo "$cand"
    exit 0
fi
exit 1
