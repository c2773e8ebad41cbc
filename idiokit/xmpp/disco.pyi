from typing import Any, Callable, Dict, Iterable, Optional, Set, Tuple, Union
from idiokit._core import Stream as _Stream
from .. import idiokit as idiokit
from ..xmlcore import Element as Element
from .jid import JID as JID
from _typeshed import Incomplete
from collections.abc import Generator

DISCO_INFO_NS: str
DISCO_ITEMS_NS: str

class DiscoItem:
    jid: JID
    node: Optional[str]
    name: Optional[str]
    def __init__(self, jid: Union[str, JID], node: Optional[str] = ...,
                 name: Optional[str] = ...) -> None: ...

class DiscoIdentity:
    category: str
    type: str
    name: Optional[str]
    def __init__(self, category: str, type: str, name: Optional[str] = ...) -> None: ...

class DiscoInfo:
    identities: Set[DiscoIdentity]
    features: Set[str]
    def __init__(self, identities: Iterable[DiscoIdentity], features: Iterable[str]) -> None: ...

_NodeHandler = Callable[[], Tuple[Iterable[str], Iterable[DiscoIdentity], Iterable[DiscoItem]]]

class Disco:
    xmpp: Any
    features: Set[str]
    identities: Set[DiscoIdentity]
    nodes: Dict[Optional[str], _NodeHandler]
    def __init__(self, xmpp: Any) -> None: ...
    def add_node(self, node: Optional[str], handler: _NodeHandler) -> None: ...
    def add_feature(self, feature: str) -> None: ...
    def add_identity(self, category: str, type: str, name: Optional[str] = ...) -> None: ...
    def info(self, jid: Union[str, JID], node: Optional[str] = ...) -> _Stream: ...
    def items(self, jid: Union[str, JID], node: Optional[str] = ...) -> _Stream: ...
