from typing import Any, Union

from .jid import JID
from idiokit._core import Stream as _Stream
from . import core as core
from .. import idiokit as idiokit, xmlcore as xmlcore
from _typeshed import Incomplete
from collections.abc import Generator

PING_NS: str
PING_PAYLOAD: xmlcore.Element

class Ping:
    xmpp: Any
    def __init__(self, xmpp: Any) -> None: ...
    def ping(self, to: Union[str, JID]) -> _Stream: ...
