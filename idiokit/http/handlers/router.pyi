from typing import Any

from idiokit._core import Stream as _Stream
from ... import idiokit as idiokit
from ..server import Server as Server, ServerRequest as ServerRequest, as_server as as_server
from .utils import normpath as normpath, unquote as unquote, urlsplit as urlsplit, urlunsplit as urlunsplit
from _typeshed import Incomplete
from collections.abc import Generator

class _InvalidPath(Exception): ...
class _RouteNotFound(Exception): ...

class Router(Server):
    def __init__(self, *args: Any, **keys: Any) -> None: ...
    def main(self) -> _Stream: ...
