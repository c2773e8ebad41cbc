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
from .timer import sleep, Timeout  # noqa: F401
from .threadpool import thread  # noqa: F401
from .scope import (  # noqa: F401
    Cancelled, CancelScope, move_on_after, fail_after, shield, timeout,
)
from .group import TaskGroup  # noqa: F401

__all__ = [
    "Stream", "stream", "next", "send", "pipe", "map", "consume", "stop",
    "main_loop", "Event", "Proxy", "Signal", "BrokenPipe", "EndOfInput",
    "sleep", "thread", "Timeout", "Cancelled", "CancelScope", "move_on_after",
    "fail_after", "shield", "timeout", "TaskGroup",
]
