from idiokit._core import Stream as _Stream
from .idiokit import stop as stop, stream as stream
from _typeshed import Incomplete
from collections.abc import Generator

def pidfd_open(pid): ...
def wait_exit(popen, pidfd) -> _Stream: ...
