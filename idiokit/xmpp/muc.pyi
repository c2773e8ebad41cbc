from typing import Any, List, Optional, Set, Tuple, Union
from idiokit._core import Stream as _Stream
from .. import idiokit as idiokit
from ..xmlcore import Element as Element
from .core import STANZA_NS as STANZA_NS, XMPPError as XMPPError
from .jid import JID as JID
from _typeshed import Incomplete
from collections.abc import Generator

MUC_NS: str
USER_NS: str
OWNER_NS: str
ROOMS_NODE: str

class MUCError(XMPPError): ...

def gen_random(length: int = ...) -> str: ...

class MUCParticipant:
    name: JID
    affiliation: str
    role: str
    jid: Optional[JID]
    payload: Any
    def __init__(self, name: JID, affiliation: str, role: str, payload: Any,
                 jid: Optional[JID] = ...) -> None: ...

def parse_presence(elements: Any, own_jid: JID) -> Optional[Tuple[MUCParticipant, Set[str]]]: ...
def join_room(jid: JID, xmpp: Any, output: _Stream, password: Optional[str] = ...,
              history: bool = ...) -> _Stream: ...

class MUCRoom(idiokit.Proxy):
    jid: JID
    participants: List[MUCParticipant]
    def __init__(self, jid: Union[str, JID], xmpp: Any, output: _Stream,
                 participants: List[MUCParticipant]) -> None: ...

class MUC:
    xmpp: Any
    def __init__(self, xmpp: Any) -> None: ...
    def get_full_room_jid(self, room: Union[str, JID]) -> _Stream: ...
    def join(self, room: Union[str, JID], nick: Optional[str] = ..., password: Optional[str] = ...,
             history: bool = ...) -> _Stream: ...
