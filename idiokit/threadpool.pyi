from typing import Any, Callable

from . import _core

class ThreadPool:
    max_threads: int
    idle_time: float
    def __init__(self, idle_time: float = ..., max_threads: int = ...) -> None: ...
    def run(self, func: Callable[..., Any], *args: Any, **keys: Any) -> _core.Event: ...
    @property
    def threads(self) -> int: ...

global_threadpool: ThreadPool

def thread(func: Callable[..., Any], *args: Any, **keys: Any) -> _core.Event: ...
