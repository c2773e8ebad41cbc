from typing import Any, Callable, Iterable, Optional, Tuple, TypeVar

from . import _core

_F = TypeVar("_F", bound=Callable[..., Any])

Stream = _core.Stream
Event = _core.Event
Proxy = _core.Proxy
BrokenPipe = _core.BrokenPipe
EndOfInput = _core.EndOfInput
next = _core.Next
send = _core.send
pipe = _core.pipe

def stream(func: Callable[..., Any]) -> Callable[..., _core.Stream]: ...
def map(func: Optional[Callable[..., Optional[Iterable[Any]]]], *args: Any, **keys: Any) -> _core.Stream: ...
def consume() -> _core.Stream: ...
def stop(*args: Any) -> None: ...

class Signal(Exception):
    def __init__(self, signum: int) -> None: ...
    @property
    def signum(self) -> int: ...

DEFAULT_SIGNALS: Tuple[int, ...]

def main_loop(main: _core.Stream, catch_signals: Iterable[int] = ...) -> Any: ...
