from idiokit._core import Stream as _Stream
from .. import idiokit as idiokit
from ..xmlcore import Element as Element
from .jid import JID as JID
from _typeshed import Incomplete
from collections.abc import Generator

DISCO_INFO_NS: str
DISCO_ITEMS_NS: str

class DiscoItem:
    jid: Incomplete
    node: Incomplete
    name: Incomplete
    def __init__(self, jid, node=None, name=None) -> None: ...

class DiscoIdentity:
    category: Incomplete
    type: Incomplete
    name: Incomplete
    def __init__(self, category, type, name=None) -> None: ...

class DiscoInfo:
    identities: Incomplete
    features: Incomplete
    def __init__(self, identities, features) -> None: ...

class Disco:
    xmpp: Incomplete
    features: Incomplete
    identities: Incomplete
    nodes: Incomplete
    def __init__(self, xmpp) -> None: ...
    def add_node(self, node, handler) -> None: ...
    def add_feature(self, feature) -> None: ...
    def add_identity(self, category, type, name=None) -> None: ...
    def info(self, jid, node=None) -> _Stream: ...
    def items(self, jid, node=None) -> _Stream: ...
