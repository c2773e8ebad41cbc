from typing import Optional

from . import _core

class Timeout(Exception): ...

sleep = _core.sleep

def timeout(timeout: float, stream: Optional[_core.Stream] = ...,
            throw: Optional[BaseException] = ...) -> _core.Stream: ...
