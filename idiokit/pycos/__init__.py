"""idiokit.pycos: pycos's names over idiokit.asyncoro's classes, so that a
pycos program runs with only its import changed.

pycos renamed asyncoro's Coro to Task (the generator's keyword `coro=None`
to `task=None`, also keyword-only), AsynCoro to Pycos (`Pycos.cur_task()`),
and added `ssl_context` to AsyncSocket.  Everything else is asyncoro's API
(see idiokit.asyncoro and docs/asyncoro.rst); both modules share the one
scheduler thread, so Tasks and Coros mix in one program.  Not provided: the
distributed parts (netpycos, dispycos, RTI, remote tasks and channels) and
pycos 4.12's MonitorStatus (monitors receive MonitorException messages).
"""
from __future__ import absolute_import

from .. import asyncoro as _asyncoro
from ..asyncoro import (  # noqa: F401  (re-exported)
    Lock, RLock, Event, Condition, Semaphore, Channel, CategorizeMessages,
    AsyncThreadPool, AsyncDBCursor, HotSwapException, MonitorException, Logger,
    serialize, deserialize, unserialize, Singleton)

__all__ = ["Task", "Pycos", "AsyncSocket", "Lock", "RLock", "Event", "Condition",
           "Semaphore", "Channel", "CategorizeMessages", "AsyncThreadPool",
           "AsyncDBCursor", "HotSwapException", "MonitorException", "Logger", "logger",
           "serialize", "deserialize", "unserialize", "Singleton"]

# One scheduler per process, shared with idiokit.asyncoro: Pycos() and
# Pycos.instance() return it; Pycos.cur_task() is the running Task.
Pycos = _asyncoro.AsynCoro

logger = Logger("pycos")


class Task(_asyncoro.Coro):
    """Task(genfunc, *args, **kwargs): create and schedule a task; genfunc
    receives it as its `task` keyword when it declares one with a default."""

    __slots__ = ()
    _self_keyword = "task"
    _inject_cache = {}

    def __repr__(self):
        return "<Task %s>" % (self.name,)


class AsyncSocket(_asyncoro.AsyncSocket):
    """pycos's AsyncSocket(sock, blocking=False, keyfile=None, certfile=None,
    ssl_version=None, ssl_context=None)."""

    def __init__(self, sock, blocking=False, keyfile=None, certfile=None,
                 ssl_version=None, ssl_context=None):
        extra = {}
        if ssl_context is not None:
            if not _accepts("ssl_context"):
                raise NotImplementedError("TLS for AsyncSocket needs idiokit.ssl")
            extra["ssl_context"] = ssl_context
        _asyncoro.AsyncSocket.__init__(self, sock, blocking, keyfile, certfile,
                                       ssl_version, **extra)


def _accepts(name):
    """Does idiokit.asyncoro's AsyncSocket take this keyword?"""
    import inspect
    init = _asyncoro.AsyncSocket.__init__
    try:
        spec = inspect.getfullargspec(init)
    except AttributeError:       # Python 2
        spec = inspect.getargspec(init)
    return name in spec.args or name in getattr(spec, "kwonlyargs", ())
