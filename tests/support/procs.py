# tests/support/procs.py: run a Python snippet in a child process with the
# same interpreter and the same sys.path (so the in-place build is found).
from __future__ import absolute_import

import os
import sys
import signal
import textwrap
import threading
import subprocess


def child_env(extra=None):
    env = dict(os.environ)
    paths = [p for p in sys.path if p]
    old = env.get("PYTHONPATH")
    if old:
        paths.append(old)
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.pop("PYTHONSTARTUP", None)
    if extra:
        env.update(extra)
    return env


# tests/, and the checkout holding it.
TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT_DIR = os.path.dirname(TESTS_DIR)


def run_py(code, timeout=30.0, env=None, args=()):
    """Run `code` (dedented) with `python -c`. Returns (rc, stdout, stderr)
    as text. The child is killed if it runs longer than `timeout` seconds;
    then rc is the negative signal number, as subprocess reports it.
    The child runs in tests/, so the `idiokit` it imports is the one on this
    process's sys.path, not one found in the current directory."""
    code = textwrap.dedent(code)
    proc = subprocess.Popen(
        [sys.executable, "-c", code] + list(args),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=child_env(env), close_fds=True, cwd=TESTS_DIR)
    killer = threading.Timer(timeout, _kill, (proc,))
    killer.daemon = True
    killer.start()
    try:
        out, err = proc.communicate(b"")
    finally:
        killer.cancel()
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def expect_words(code, expect, timeout=30.0, args=()):
    """Run `code` with run_py; it must exit with 0 and print exactly the
    whitespace-separated words of `expect` (its stderr tail is the message
    otherwise)."""
    rc, out, err = run_py(code, timeout=timeout, args=args)
    assert rc == 0, err[-3000:]
    assert out.split() == expect.split(), (out, err[-3000:])


def _kill(proc):
    try:
        proc.send_signal(signal.SIGKILL)
    except OSError:
        pass
