from idiokit._core import Stream as _Stream
from . import core as core
from .. import idiokit as idiokit, xmlcore as xmlcore
from _typeshed import Incomplete
from collections.abc import Generator

PING_NS: str
PING_PAYLOAD: Incomplete

class Ping:
    xmpp: Incomplete
    def __init__(self, xmpp) -> None: ...
    def ping(self, to) -> _Stream: ...
