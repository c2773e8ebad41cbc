"""tests/support/asan_children.py: under `make test-asan` (libasan preloaded
into the test process), other programs the tests start (curl, wrk, openssl,
prosody, haproxy...) must not inherit the preload: libasan in a program not
built for it makes some of them hang or fail.  Python children keep it, since
they import the sanitized extension.  install() wraps subprocess.Popen once
for the session; it does nothing when libasan is not preloaded."""
from __future__ import absolute_import

import os
import subprocess
import sys

_SANITIZER_VARS = ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")


def _program(args, kwargs):
    if kwargs.get("executable"):
        return kwargs["executable"]
    if isinstance(args, (list, tuple)):
        return str(args[0]) if args else ""
    return str(args).split()[0] if str(args).split() else ""


def _is_python(program):
    name = os.path.basename(program)
    if name.startswith("python"):
        return True
    try:
        return os.path.realpath(program) == os.path.realpath(sys.executable)
    except OSError:
        return False


def install():
    if "libasan" not in os.environ.get("LD_PRELOAD", ""):
        return
    original = subprocess.Popen.__init__

    def init(self, args, *rest, **kwargs):
        if not _is_python(_program(args, kwargs)):
            env = kwargs.get("env")
            env = dict(os.environ if env is None else env)
            for key in _SANITIZER_VARS:
                env.pop(key, None)
            kwargs["env"] = env
        original(self, args, *rest, **kwargs)

    subprocess.Popen.__init__ = init
