from idiokit._core import Stream as _Stream
from .. import idiokit as idiokit
from ..xmlcore import Element as Element
from .core import STANZA_NS as STANZA_NS, XMPPError as XMPPError
from .jid import JID as JID
from _typeshed import Incomplete
from collections.abc import Generator

MUC_NS: str
USER_NS: Incomplete
OWNER_NS: Incomplete
ROOMS_NODE: str

class MUCError(XMPPError): ...

def gen_random(length: int = 8): ...

class MUCParticipant:
    name: Incomplete
    affiliation: Incomplete
    role: Incomplete
    jid: Incomplete
    payload: Incomplete
    def __init__(self, name, affiliation, role, payload, jid=None) -> None: ...

def parse_presence(elements, own_jid): ...
def join_room(jid, xmpp, output, password=None, history: bool = False) -> _Stream: ...

class MUCRoom(idiokit.Proxy):
    jid: Incomplete
    participants: Incomplete
    def __init__(self, jid, xmpp, output, participants) -> None: ...

class MUC:
    xmpp: Incomplete
    def __init__(self, xmpp) -> None: ...
    def get_full_room_jid(self, room) -> _Stream: ...
    def join(self, room, nick=None, password=None, history: bool = False) -> _Stream: ...
