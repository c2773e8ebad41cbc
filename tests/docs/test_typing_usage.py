"""tests/docs/typing_usage.py, the typed program `make typecheck` checks with
mypy --strict, also runs: in a child interpreter, against the in-place build,
it ends by itself and prints the results of every step."""
from __future__ import absolute_import

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def test_the_typed_usage_program_runs():
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "typing_usage.py")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = proc.communicate()
    assert proc.returncode == 0, err.decode("utf-8", "replace")
    assert json.loads(out.decode("ascii")) == [
        10, "done", 6, [0.0, 0.01], "ping", 10.0, True,
        0, '<greeting to="world">hi</greeting>', ["1"]]
