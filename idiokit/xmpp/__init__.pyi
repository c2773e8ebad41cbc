from typing import Optional, Union

from .core import Core
from .disco import Disco
from .muc import MUC
from .ping import Ping
from idiokit._core import Stream as _Stream
from . import core
from .. import idiokit
from .core import XMPPError as XMPPError
from .jid import JID as JID, JIDError as JIDError
from _typeshed import Incomplete
from collections.abc import Generator

__all__ = ['connect', 'XMPP', 'JID', 'JIDError', 'XMPPError', 'StreamError']

class StreamError(core.XMPPError):
    def __init__(self, element) -> None: ...

class Restart(Exception): ...

class _Negotiation:
    sock: Incomplete
    domain: Incomplete
    timeout: Incomplete
    parser: Incomplete
    pending: Incomplete
    def __init__(self, sock, domain, timeout) -> None: ...
    def restart(self): ...
    def send(self, element): ...
    def next(self) -> _Stream: ...

class _Outbox:
    LIMIT: Incomplete
    parts: Incomplete
    size: int
    flush_waiter: Incomplete
    collect_waiter: Incomplete
    def __init__(self) -> None: ...
    def add(self, data) -> None: ...
    def take(self): ...
    def flushed(self) -> None: ...

def connect(jid: Union[str, JID], password: str, host: Optional[str] = ...,
            port: Optional[int] = ..., ssl_verify_cert: bool = ...,
            ssl_ca_certs: Optional[str] = ..., ssl_certfile: Optional[str] = ...,
            ssl_keyfile: Optional[str] = ..., timeout: float = ...) -> _Stream: ...

class XMPP(idiokit.Proxy):
    jid: JID
    core: Core
    disco: Disco
    muc: MUC
    ping: Ping
    def __init__(self, jid: JID, elements: _Stream) -> None: ...
