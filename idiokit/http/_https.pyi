from idiokit._core import Stream as _Stream
from .. import idiokit as idiokit, ssl as ssl
from .client import _HTTPAdapter
from _typeshed import Incomplete
from collections.abc import Generator

class HTTPSAdapter(_HTTPAdapter):
    default_port: int
    def connect(self, client, url) -> _Stream: ...
