from .group import TaskGroup as TaskGroup
from .idiokit import (BrokenPipe as BrokenPipe, EndOfInput as EndOfInput, Event as Event,
                      Proxy as Proxy, Signal as Signal, Stream as Stream, consume as consume,
                      main_loop as main_loop, map as map, next as next, pipe as pipe,
                      send as send, stop as stop, stream as stream)
from .scope import (CancelScope as CancelScope, Cancelled as Cancelled, fail_after as fail_after,
                    move_on_after as move_on_after, shield as shield, timeout as timeout)
from .threadpool import thread as thread
from .timer import Timeout as Timeout, sleep as sleep

__version__: str

__all__ = ["Stream", "stream", "next", "send", "pipe", "map", "consume", "stop",
           "main_loop", "Event", "Proxy", "Signal", "BrokenPipe", "EndOfInput",
           "sleep", "thread", "Timeout", "Cancelled", "CancelScope", "move_on_after",
           "fail_after", "shield", "timeout", "TaskGroup"]
