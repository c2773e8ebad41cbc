"""select(read, write, error, timeout=None): a stream that succeeds with the
(rlist, wlist, xlist) of ready objects, or three empty lists on timeout.

The objects are fds or have fileno().  Readiness is watched with libev fd
watchers on the loop (idiokit._core.select, src/io.c), so select never
blocks the loop or uses a thread.  Exceptional conditions are not watched:
xlist is always empty.
"""
from __future__ import absolute_import

from . import _core
from .idiokit import stream, stop


def _fd(obj):
    if isinstance(obj, int) or (type(obj).__name__ == "long"):
        fd = int(obj)
    else:
        fileno = getattr(obj, "fileno", None)
        if fileno is None:
            raise TypeError("argument must be an int, or have a fileno() method")
        fd = fileno()
        if not isinstance(fd, int):
            fd = int(fd)
    if fd < 0:
        raise ValueError("file descriptor cannot be a negative integer (%d)" % fd)
    return fd


@stream
def _select(read, write, timeout):
    rfds = [_fd(obj) for obj in read]
    wfds = [_fd(obj) for obj in write]
    rready, wready = yield _core.select(rfds, wfds, timeout)
    stop([read[i] for i in rready], [write[i] for i in wready], [])


def select(read, write, error, timeout=None):
    read, write = list(read), list(write)
    list(error)
    if timeout is not None:
        timeout = float(timeout)
    return _select(read, write, timeout)
