"""select(read, write, error, timeout=None): a stream that succeeds with the
(rlist, wlist, xlist) of ready objects, or three empty lists on timeout."""
from __future__ import absolute_import

import select as _select

from .threadpool import thread


def select(read, write, error, timeout=None):
    # Interim: the blocking select runs in the thread pool.  The socket work
    # (issue 4) replaces this with libev fd watchers.
    return thread(_select.select, read, write, error, timeout)
