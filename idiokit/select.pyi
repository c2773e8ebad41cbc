from typing import Any, Iterable, Optional

from . import _core
from .idiokit import stop as stop, stream as stream

def select(read: Iterable[Any], write: Iterable[Any], error: Iterable[Any],
           timeout: Optional[float] = ...) -> _core.Stream: ...
