"""Start one workload script: ``python bench/lib/launch.py SCRIPT [--name value]...``.

Workload scripts are named after their framework (asyncio.py, trio.py, ...). Run directly,
Python would put the script's folder first on sys.path and ``import asyncio`` would import the
script itself. This launcher runs the script with runpy, which leaves sys.path[0] at this
folder (so ``import benchutil`` works) and never at the script's.
"""
import runpy
import sys

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    runpy.run_path(script, run_name="__main__")
