"""Waiting for one child process to exit without touching SIGCHLD.

libev's child watcher is not used: it works only on libev's default loop
(idiokit's loops are ev_loop_new loops), and it reaps through a SIGCHLD
handler that calls waitpid(-1), taking the exit status of every child of the
process -- a subprocess.Popen elsewhere in the application would then see
ECHILD and report a made-up status.  Instead, on Linux 5.3 and later, a
pidfd (pidfd_open(2)) becomes readable when its process exits, and is
watched like any other fd on the loop; the status is then collected for
that one pid only (Popen.poll(), i.e. waitpid(pid, WNOHANG)).  Without
pidfds the watcher polls waitpid(pid, WNOHANG) on a timer, from 1 ms
backing off to 50 ms.  No signal handler is installed in either case.
"""
from __future__ import absolute_import

import errno
import os
import sys

from . import _core
from .idiokit import stream, stop

_SYS_PIDFD_OPEN = 434    # the same number on every Linux architecture but alpha
_syscall = None


def _pidfd_by_ctypes(pid):
    global _syscall
    if _syscall is None:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        _syscall = libc.syscall
        _syscall.restype = ctypes.c_long
    fd = _syscall(_SYS_PIDFD_OPEN, pid, 0)
    if fd < 0:
        import ctypes
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return int(fd)


def pidfd_open(pid):
    """A pidfd for pid (close-on-exec), or None where there are none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        opener = getattr(os, "pidfd_open", None)
        return opener(pid) if opener is not None else _pidfd_by_ctypes(pid)
    except OSError as error:
        if error.errno in (errno.ENOSYS, errno.EPERM, errno.EINVAL):
            return None
        raise
    except (ImportError, AttributeError):
        return None


@stream
def wait_exit(popen, pidfd):
    """A stream that ends with popen's returncode once the child has exited
    and been reaped (popen.poll())."""
    delay = 0.001
    while popen.poll() is None:
        if pidfd is not None:
            yield _core.select([pidfd], [], [], None)
        else:
            yield _core.sleep(delay)
            delay = min(delay * 2, 0.05)
    stop(popen.returncode)
