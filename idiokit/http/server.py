"""idiokit.http.server: serve HTTP/1.1 with handlers that are streams::

    @idiokit.stream
    def handler(addr, request, response):
        yield response.write("hello\\n")

    idiokit.main_loop(serve_http(handler, "127.0.0.1", 8080))

The original's API (serve_http, serve_unix_domain_socket, serve, Server,
as_server, the request and response objects, BadRequest, ConnectionLost),
with keep-alive and pipelining, timeouts and limits (see Limits), a
handler's failure ending only its own connection (logged; 500 if nothing
was sent), and SIGINT/SIGTERM (idiokit.Signal) stopping the server
gracefully: no new connections, requests in flight finish, then the serving
stream returns.
"""
from __future__ import absolute_import

import errno
import logging
import os
import signal
import stat

from .. import idiokit, socket, timer
from ._message import (  # noqa: F401 (re-exported)
    BadRequest, ConnectionLost, WriterError, WriterFinishError, normalized_headers,
    get_header_single, get_header_list, get_content_length,
)
from ._connection import (
    Connection, Cancelled, Drain, ServerRequest, serve_connection, _now,
)
from ._response import ServerResponse  # noqa: F401
from .date import format_date  # noqa: F401

log = logging.getLogger("idiokit.http.server")
_GRACEFUL = (signal.SIGINT, signal.SIGTERM)

__all__ = [
    "serve_http", "serve_unix_domain_socket", "serve", "Server", "as_server",
    "Limits", "ServerRequest", "ServerResponse", "BadRequest", "ConnectionLost",
    "WriterError", "WriterFinishError",
]


class Limits(object):
    """How long and how much one client may take.  Set any of them as a
    keyword of serve/serve_http/serve_unix_domain_socket, or as an attribute
    of a Server subclass.  Times are seconds; None is no limit for times
    and max_body_size."""

    header_timeout = 30.0       #: first byte of a request .. end of its head (408)
    idle_timeout = 60.0         #: between keep-alive requests (closed)
    body_timeout = 60.0         #: per read of a body / write of a response
    shutdown_timeout = 30.0     #: a graceful stop waits this long for requests
    max_request_line = 8192     #: the request target's bytes (414)
    max_header_bytes = 65536    #: all header names and values (431)
    max_headers = 100           #: header fields (431)
    max_body_size = 10 * 1024 * 1024   #: request body bytes (413)

    _NAMES = ("header_timeout", "idle_timeout", "body_timeout", "shutdown_timeout",
              "max_request_line", "max_header_bytes", "max_headers", "max_body_size")

    def __init__(self, source=None, **options):
        for name in self._NAMES:
            value = options.pop(name, getattr(source, name, getattr(Limits, name)))
            setattr(self, name, value)
        if options:
            raise TypeError("unknown option(s): " + ", ".join(sorted(options)))
        if self.max_body_size is None:
            self.max_body_size = -1


class Server(object):
    """Subclass and override request (and maybe main, request_continue)."""

    @idiokit.stream
    def main(self):
        """A stream piped alongside the accept loop (it gets the input)."""
        yield idiokit.consume()

    @idiokit.stream
    def request_continue(self, addr, request, response):
        """For `Expect: 100-continue`: write 100 Continue, then request()."""
        yield response.write_continue()
        yield self.request(addr, request, response)

    @idiokit.stream
    def request(self, addr, request, response):
        """Answer one request (the default: an empty 200)."""
        yield timer.sleep(0.0)


class _Server(Server):
    def __init__(self, handler):
        self._handler = handler

    def request(self, *args, **keys):
        return self._handler(*args, **keys)


def as_server(server):
    """A Server for a Server or a callable handler(addr, request, response)."""
    if isinstance(server, Server):
        return server
    if callable(server):
        return _Server(server)
    raise TypeError("expected a Server instance or a callable, got '%s'"
                    % type(server).__name__)


class _Listener(object):
    """The connections of one serve() call."""

    def __init__(self, server, limits, ssl_context=None):
        self.server = server
        # A plain handler function is called directly (the _Server wrapper's
        # request() would only add a Python frame per request).
        self.handle = server._handler if type(server) is _Server else server.request
        self.limits = limits
        self.ssl_context = ssl_context
        self.conns = {}          # Connection -> its stream
        self.draining = False

    def start(self, sock, addr):
        conn = Connection(self, sock, addr)
        self.conns[conn] = None
        stream = serve_connection(conn)
        if conn in self.conns:
            self.conns[conn] = stream

    def forget(self, conn):
        self.conns.pop(conn, None)

    def drain(self):
        """Stop keep-alive: connections waiting for a request (or in their
        TLS handshake) end now, busy ones after their current response."""
        self.draining = True
        for conn, stream in list(self.conns.items()):
            conn.draining = True
            if conn.idle_wait and stream is not None:
                stream.throw(Drain())

    def cancel(self):
        for stream in list(self.conns.values()):
            if stream is not None:
                stream.throw(Cancelled())

    @idiokit.stream
    def wait(self, timeout):
        deadline = None if timeout is None else _now() + timeout
        while self.conns:
            left = None if deadline is None else deadline - _now()
            if left is not None and left <= 0:
                break
            stream = next(s for s in self.conns.values() if s is not None)
            try:
                if left is None:
                    yield stream
                else:
                    yield timer.timeout(left, stream, Cancelled())
            except Exception:
                pass


@idiokit.stream
def _accept_loop(sock, listener):
    """Accept until a graceful signal; then drain and return."""
    stop_signal = None
    try:
        while True:
            try:
                conn, addr = yield sock.accept()
            except idiokit.Signal as sig:
                if sig.signum not in _GRACEFUL:
                    raise
                stop_signal = sig
                break
            except socket.SocketError as error:
                if error.args and error.args[0] in (errno.EMFILE, errno.ENFILE,
                                                     errno.ENOBUFS, errno.ENOMEM):
                    log.warning("accept failed (%s); retrying in 0.1 s", error)
                    yield timer.sleep(0.1)
                    continue
                if error.args and error.args[0] in (errno.ECONNABORTED, errno.EPROTO):
                    continue
                raise
            listener.start(conn, addr)
        log.info("%s: stopping, waiting for %d connection(s)", stop_signal,
                 len(listener.conns))
        listener.drain()
        try:
            yield listener.wait(listener.limits.shutdown_timeout)
        except idiokit.Signal:
            pass    # a second signal: stop now
    finally:
        listener.cancel()


@idiokit.stream
def serve(server, sock, **options):
    """Serve HTTP on the listening idiokit socket `sock` until a SIGINT or
    SIGTERM (an idiokit.Signal thrown in) stops it gracefully; keyword
    options are Limits, and ssl_context (an ssl.SSLContext for the server
    side) serves https."""
    server = as_server(server)
    ssl_context = options.pop("ssl_context", None)
    listener = _Listener(server, Limits(server, **options), ssl_context)
    yield idiokit.pipe(server.main(), _accept_loop(sock, listener))


@idiokit.stream
def serve_http(server, host, port, **options):
    """Listen on (host, port) and serve; the port may be 0, and
    on_bound(address) is called with the address bound.  Keyword options
    are Limits; backlog=N sets the listen backlog, reuse_port=True sets
    SO_REUSEPORT (several processes on one port)."""
    backlog = options.pop("backlog", socket.SOMAXCONN)
    reuse_port = options.pop("reuse_port", False)
    on_bound = options.pop("on_bound", None)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.Socket(family)
    try:
        yield sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            yield sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        yield sock.bind((host, port))
        yield sock.listen(backlog)
        if on_bound is not None:
            on_bound((yield sock.getsockname()))
        yield serve(server, sock, **options)
    finally:
        yield sock.close()


def parse_permissions(perms):
    """File permission bits from an octal string such as "0600"."""
    if not (0 < len(perms) <= 4 and perms.isdigit()):
        raise ValueError("invalid permissions")
    return int(perms, 8) & 0o7777


@idiokit.stream
def serve_unix_domain_socket(server, path, permissions="0600", **options):
    """Listen on the Unix socket `path` (replacing a stale one) and serve."""
    if not isinstance(permissions, int):
        permissions = parse_permissions(permissions)
    sock = socket.Socket(socket.AF_UNIX)
    try:
        try:
            if stat.S_ISSOCK(os.stat(path).st_mode):
                os.unlink(path)
        except OSError as error:
            if error.errno != errno.ENOENT:
                raise
        yield sock.bind(path)
        try:
            os.chmod(path, permissions)
            yield sock.listen(options.pop("backlog", socket.SOMAXCONN))
            yield serve(server, sock, **options)
        finally:
            try:
                os.unlink(path)
            except OSError:
                pass
    finally:
        yield sock.close()
