"""idiokit: concurrent streams in linear style, on a C core over libev.

The names here are the original idiokit's (2.8.2), so code written for it runs
unchanged; see docs/ for what changed on purpose.
"""
from __future__ import absolute_import

__version__ = "3.0.0.dev0"

from .idiokit import (  # noqa: F401
    Stream, stream, next, send, pipe, map, consume, stop, main_loop, Event,
    Proxy, Signal, BrokenPipe, EndOfInput,
)
from .timer import sleep  # noqa: F401
from .threadpool import thread  # noqa: F401
from .timer import Timeout  # noqa: F401
from .scope import (  # noqa: F401
    Cancelled, CancelScope, move_on_after, fail_after, shield,
)
from .group import TaskGroup  # noqa: F401


def timeout(seconds, stream=None, throw=None):
    """``with idiokit.timeout(seconds):`` is ``fail_after(seconds)``: a cancel
    scope that raises idiokit.Timeout on exit if its deadline passed.  Given a
    stream, this is ``idiokit.timer.timeout(seconds, stream, throw)``."""
    if stream is not None:
        from .timer import timeout as stream_timeout
        return stream_timeout(seconds, stream, throw)
    return fail_after(seconds)

__all__ = [
    "Stream", "stream", "next", "send", "pipe", "map", "consume", "stop",
    "main_loop", "Event", "Proxy", "Signal", "BrokenPipe", "EndOfInput",
    "sleep", "thread", "Timeout", "Cancelled", "CancelScope", "move_on_after",
    "fail_after", "shield", "timeout", "TaskGroup",
]
