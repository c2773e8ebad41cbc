from typing import Any, Callable, Optional, Union

from idiokit._core import Stream as _Stream
from ..socket import Socket
from .. import idiokit
from ._connection import ServerRequest as ServerRequest
from ._message import BadRequest as BadRequest, ConnectionLost as ConnectionLost, WriterError as WriterError, WriterFinishError as WriterFinishError
from ._response import ServerResponse as ServerResponse
from _typeshed import Incomplete
from collections.abc import Generator

__all__ = ['serve_http', 'serve_unix_domain_socket', 'serve', 'Server', 'as_server', 'Limits', 'ServerRequest', 'ServerResponse', 'BadRequest', 'ConnectionLost', 'WriterError', 'WriterFinishError']

_Handler = Callable[[Any, ServerRequest, ServerResponse], _Stream]

class Limits:
    header_timeout: Optional[float]
    idle_timeout: Optional[float]
    body_timeout: Optional[float]
    shutdown_timeout: Optional[float]
    max_request_line: int
    max_header_bytes: int
    max_headers: int
    max_body_size: Optional[int]
    def __init__(self, source: Any = ..., **options: Any) -> None: ...

class Server:
    def main(self) -> _Stream: ...
    def request_continue(self, addr: Any, request: ServerRequest,
                         response: ServerResponse) -> _Stream: ...
    def request(self, addr: Any, request: ServerRequest, response: ServerResponse) -> _Stream: ...

class _Server(Server):
    def __init__(self, handler: _Handler) -> None: ...
    def request(self, *args: Any, **keys: Any) -> _Stream: ...

def as_server(server: Union[Server, _Handler]) -> Server: ...

class _Listener:
    server: Incomplete
    handle: Incomplete
    limits: Incomplete
    ssl_context: Incomplete
    conns: Incomplete
    draining: bool
    def __init__(self, server, limits, ssl_context=None) -> None: ...
    def start(self, sock, addr) -> None: ...
    def forget(self, conn) -> None: ...
    def drain(self) -> None: ...
    def cancel(self) -> None: ...
    def wait(self, timeout) -> _Stream: ...

def serve(server: Union[Server, _Handler], sock: Socket, **options: Any) -> _Stream: ...
def serve_http(server: Union[Server, _Handler], host: str, port: int, **options: Any) -> _Stream: ...
def serve_unix_domain_socket(server: Union[Server, _Handler], path: str,
                             permissions: Union[str, int] = ..., **options: Any) -> _Stream: ...
