from typing import Any, Dict, List, Optional
from idiokit._core import Stream as _Stream
from .. import idiokit as idiokit, socket as socket, timer as timer
from ._message import BadRequest as BadRequest, ConnectionLost as ConnectionLost, get_header_single as get_header_single
from ._response import ServerResponse as ServerResponse, status_line as status_line
from .httpversion import HTTP10 as HTTP10, HTTP11 as HTTP11, HTTPVersion as HTTPVersion
from _typeshed import Incomplete
from collections.abc import Generator

log: Incomplete
HEAD: Incomplete
BODY: Incomplete
END: Incomplete
ERROR: Incomplete
UPGRADE: Incomplete

class Cancelled(Exception): ...
class Drain(Exception): ...

class ServerRequest:
    def __init__(self, method, uri, http_version, headers, readable) -> None: ...
    @property
    def method(self) -> str: ...
    @property
    def uri(self) -> str: ...
    @property
    def http_version(self) -> Any: ...
    @property
    def headers(self) -> Dict[str, List[str]]: ...
    def read(self, amount): ...

class _NoBody:
    done: bool
    def read(self, amount) -> _Stream: ...

NO_BODY: Incomplete

class _Body:
    done: bool
    def __init__(self, conn) -> None: ...
    def read(self, amount) -> _Stream: ...
    def drain(self) -> _Stream: ...

class Connection:
    sock: Incomplete
    addr: Incomplete
    listener: Incomplete
    server: Incomplete
    limits: Incomplete
    parser: Incomplete
    events: Incomplete
    broken: bool
    idle_wait: bool
    served: int
    draining: bool
    sendall: Incomplete
    write_timeout: Optional[float]
    def __init__(self, listener, sock, addr) -> None: ...
    def use_socket(self, sock) -> None: ...
    def send(self, data): ...
    def receive(self, timeout, what) -> _Stream: ...
    def write_stream(self, response, buffer_size) -> _Stream: ...

def serve_connection(conn) -> _Stream: ...
