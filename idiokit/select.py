"""select(read, write, error, timeout=None): a stream that succeeds with the
(rlist, wlist, xlist) lists of ready objects, or three empty tuples on
timeout (both as in the original).

The objects are fds or have fileno().  Readiness is watched with libev fd
watchers on the loop (idiokit._core.select, src/io.c), so select never
blocks the loop or uses a thread.  `error` objects are in xlist when they
have an exceptional condition (POLLPRI, such as TCP urgent data), as with
select.select.
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
def _select(read, write, error, timeout):
    fds = [[_fd(obj) for obj in objs] for objs in (read, write, error)]
    ready = yield _core.select(fds[0], fds[1], fds[2], timeout)
    if not any(ready):
        stop((), (), ())
    stop(*[[objs[i] for i in indices] for objs, indices in zip((read, write, error), ready)])


def select(read, write, error, timeout=None):
    """A stream giving ([ready to read], [to write], [exceptional]), or
    ((), (), ()) when `timeout` seconds pass first."""
    read, write, error = list(read), list(write), list(error)
    return _select(read, write, error, _core.parse_timeout(timeout))
