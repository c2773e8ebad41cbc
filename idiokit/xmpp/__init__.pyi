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

def connect(jid, password, host=None, port=None, ssl_verify_cert: bool = True, ssl_ca_certs=None, ssl_certfile=None, ssl_keyfile=None, timeout: float = 120.0) -> _Stream: ...

class XMPP(idiokit.Proxy):
    jid: Incomplete
    core: Incomplete
    disco: Incomplete
    muc: Incomplete
    ping: Incomplete
    def __init__(self, jid, elements) -> None: ...
