from idiokit._core import Stream as _Stream
from .. import dns as dns, idiokit as idiokit
from _typeshed import Incomplete
from collections.abc import Generator

DEFAULT_XMPP_PORT: int

def resolve(domain, forced_host=None, forced_port=None, resolver=None) -> _Stream: ...
