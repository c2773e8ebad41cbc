"""One server connection: reads requests with llhttp (keep-alive and
pipelining), runs the handler for each in turn, and ends the connection on
a timeout, a bad request, a handler's failure or the server's drain.

Timeouts: `header_timeout` from a request's first byte to its last header
byte, `idle_timeout` between keep-alive requests, `body_timeout` per read of
the body and per write of the response.
"""
from __future__ import absolute_import

import collections
import logging
import sys
import time
import traceback

from .. import idiokit, socket, timer
from .. import _core
from ._message import BadRequest, ConnectionLost, get_header_single
from ._response import ServerResponse, status_line
from .httpversion import HTTPVersion, HTTP10, HTTP11

log = logging.getLogger("idiokit.http.server")

HEAD, BODY, END, ERROR, UPGRADE = range(5)
_RECV = 65536
_now = getattr(time, "monotonic", time.time)
_VERSIONS = {(1, 1): HTTP11, (1, 0): HTTP10}


class Cancelled(Exception):
    """Thrown into a connection to end it now (the server stops)."""


class Drain(Exception):
    """Thrown into a connection waiting idle for its next request."""


class ServerRequest(object):
    """A request: method, uri (raw), http_version, headers (lower-cased
    name -> list of str) and read(n), a stream giving up to n bytes of the
    body ("" at its end)."""

    __slots__ = ("_method", "_uri", "_http_version", "_headers", "_readable")

    def __init__(self, method, uri, http_version, headers, readable):
        self._method = method
        self._uri = uri
        self._http_version = http_version
        self._headers = headers
        self._readable = readable

    method = property(lambda self: self._method, doc="The request method, such as 'GET'.")
    uri = property(lambda self: self._uri, doc="The request target as sent (not unquoted).")
    http_version = property(lambda self: self._http_version,
                            doc="The request's HTTP version (HTTP10 or HTTP11).")
    headers = property(lambda self: self._headers,
                       doc="The headers: lower-cased name -> list of str values.")

    def read(self, amount):
        """A stream: up to `amount` bytes of the (de-chunked) body."""
        return self._readable.read(amount)


class _NoBody(object):
    __slots__ = ()
    done = True

    @idiokit.stream
    def read(self, amount):
        yield timer.sleep(0.0)
        idiokit.stop(b"")


NO_BODY = _NoBody()


class _Body(object):
    """The body of the request being handled, pulled from the connection."""

    __slots__ = ("_conn", "done", "_pending")

    def __init__(self, conn):
        self._conn = conn
        self.done = False
        self._pending = b""

    @idiokit.stream
    def read(self, amount):
        conn = self._conn
        while not self._pending and not self.done:
            if not conn.events:
                yield conn.receive(conn.limits.body_timeout, "the request body")
                continue
            event = conn.events.popleft()
            if event[0] == BODY:
                self._pending = event[1]
            elif event[0] == END:
                self.done = True
            else:
                conn.broken = True
                raise BadRequest(event[2], event[1] or 400)
        data, self._pending = self._pending[:amount], self._pending[amount:]
        idiokit.stop(data)

    @idiokit.stream
    def drain(self):
        """Read and drop what the handler left of the body."""
        while not self.done:
            data = yield self.read(_RECV)
            if not data:
                break


class Connection(object):
    """The state of one accepted connection (see serve_connection)."""

    __slots__ = ("sock", "addr", "server", "limits", "parser", "events", "broken",
                 "idle_wait", "listener", "served", "sendall", "write_timeout",
                 "draining", "__weakref__")

    def __init__(self, listener, sock, addr):
        limits = listener.limits
        self.sock = sock
        self.addr = addr
        self.listener = listener
        self.server = listener.server
        self.limits = limits
        self.parser = _core.HttpParser(1, limits.max_request_line, limits.max_header_bytes,
                                       limits.max_headers, limits.max_body_size)
        self.events = collections.deque()
        self.broken = False      # the stream of requests cannot go on
        self.idle_wait = False   # blocked reading, no request in hand
        self.served = 0          # requests answered
        self.draining = listener.draining   # set by the listener's drain()
        self.sendall = sock.sendall     # the socket's (see use_socket)
        self.write_timeout = limits.body_timeout

    def use_socket(self, sock):
        """Serve on `sock` from now on (the TLS socket after the handshake)."""
        self.sock = sock
        self.sendall = sock.sendall

    def send(self, data):
        return self.sendall(data, 0, self.write_timeout)

    @idiokit.stream
    def receive(self, timeout, what):
        """Read more and parse it; ConnectionLost at the end of input."""
        try:
            data = yield self.sock.recv(_RECV, 0, timeout)
        except socket.SocketTimeout:
            self.broken = True
            raise ConnectionLost("timed out reading " + what)
        if not data:
            self.broken = True
            raise ConnectionLost("connection closed while reading " + what)
        self.events.extend(self.parser.feed(data))

    @idiokit.stream
    def write_stream(self, response, buffer_size):
        while True:
            try:
                chunk = yield idiokit.next()
            except StopIteration:
                break
            yield response.write(chunk)


def _check_request(version, headers):
    """BadRequest for what llhttp lets through but HTTP/1.1 forbids; the
    handler method's name to run ('request' or 'request_continue')."""
    if version >= HTTP11 and len(headers.get("host", ())) != 1:
        raise BadRequest("exactly one Host header is required")
    coding = headers.get("transfer-encoding")
    if coding is not None and (len(coding) != 1 or coding[0].strip().lower() != "chunked"):
        raise BadRequest("unsupported Transfer-Encoding %r" % ",".join(coding))
    expect = get_header_single(headers, "expect")
    if expect is None or version < HTTP11:
        return False
    if expect.lower() == "100-continue":
        return True
    raise BadRequest(code=417)


@idiokit.stream
def _close(sock, linger):
    """Close; after an early answer, drop what the peer still sends for a
    moment first, so that the kernel does not reset the answer away."""
    try:
        if linger:
            yield sock.shutdown(socket.SHUT_WR)
            deadline = _now() + 1.0
            for _ in range(16):
                left = deadline - _now()
                if left <= 0 or not (yield sock.recv(_RECV, 0, left)):
                    break
    except (socket.SocketError, EnvironmentError):
        pass
    finally:
        yield sock.close()


@idiokit.stream
def _answer_error(conn, code, reason, version=HTTP11):
    """An error response with no body, then the connection closes."""
    if not 400 <= code <= 599:
        code = 400
    log.info("bad request from %r: %d %s", conn.addr, code, reason)
    head = status_line(version if version < (2, 0) else HTTP11, code)
    body = ("%d %s\n" % (code, reason)).encode("latin-1", "replace")
    yield conn.send(head + b"connection: close\r\ncontent-type: text/plain\r\n"
                    b"content-length: " + str(len(body)).encode("ascii") + b"\r\n\r\n" + body)


@idiokit.stream
def _next_head(conn):
    """The next HEAD/ERROR/UPGRADE event, or None when the connection is
    done (closed by the peer, idle too long, or the server drains)."""
    limits = conn.limits
    parser = conn.parser
    events = conn.events
    deadline = None
    while not events:
        if conn.draining:
            idiokit.stop(None)
        idle = parser.idle() and conn.served
        if idle:
            timeout = limits.idle_timeout
        else:
            if deadline is None:
                deadline = _now() + limits.header_timeout
            timeout = max(0.0, deadline - _now())
        conn.idle_wait = True       # a drain may end it: no request is in hand
        try:
            data = yield conn.sock.recv(_RECV, 0, timeout)
        except socket.SocketTimeout:
            if idle:
                idiokit.stop(None)
            idiokit.stop((ERROR, 408, "timed out reading the request head"))
        except Drain:
            idiokit.stop(None)
        finally:
            conn.idle_wait = False
        if not data:
            idiokit.stop(None)
        events.extend(parser.feed(data))
    idiokit.stop(events.popleft())


@idiokit.stream
def serve_connection(conn):
    """Serve requests on `conn` until it ends; never fails.  The per-request
    path is inline here (no helper stream per request)."""
    linger = False
    events = conn.events
    server = conn.server
    addr = conn.addr
    listener = conn.listener
    _no_delay(conn.sock)
    if listener.ssl_context is not None:
        conn.idle_wait = True
        try:
            conn.use_socket((yield _handshake(conn, listener.ssl_context)))
        except (Cancelled, Drain, socket.SocketError, EnvironmentError, ValueError) as error:
            log.info("TLS handshake with %r failed: %s", addr, error)
            listener.forget(conn)
            yield _close(conn.sock, False)
            return
        finally:
            conn.idle_wait = False
    sock = conn.sock
    parser = conn.parser
    idle_timeout = conn.limits.idle_timeout
    handle = listener.handle
    try:
        while not conn.broken:
            if not events and conn.served and parser.idle() and not listener.draining:
                # The common keep-alive wait, inline: the next request's bytes.
                conn.idle_wait = True
                try:
                    data = yield sock.recv(_RECV, 0, idle_timeout)
                except (socket.SocketTimeout, Drain):
                    break
                finally:
                    conn.idle_wait = False
                if not data:
                    break
                events.extend(parser.feed(data))
            if events:
                event = events.popleft()
            else:
                event = yield _next_head(conn)
                if event is None:
                    break
            kind = event[0]
            if kind != HEAD:
                if kind == ERROR:
                    linger = True
                    yield _answer_error(conn, event[1], event[2])
                break
            _, method, uri, major, minor, headers, keep_alive, body_kind = event
            version = HTTP11 if minor == 1 and major == 1 else \
                _VERSIONS.get((major, minor)) or HTTPVersion(major, minor)
            try:
                if version is HTTP11 and len(headers.get("host", ())) == 1 and \
                        "transfer-encoding" not in headers and "expect" not in headers:
                    continues = False       # the common case, without a call
                else:
                    continues = _check_request(version, headers)
            except BadRequest as bad:
                yield _answer_error(conn, bad.code, bad.reason, version)
                break
            if body_kind == 0:
                body = NO_BODY
                if events and events[0][0] == END:
                    events.popleft()
            else:
                body = _Body(conn)
            request = ServerRequest(method, uri, version, headers, body)
            response = ServerResponse(conn, version, method, keep_alive)
            try:
                if continues:
                    yield server.request_continue(addr, request, response)
                else:
                    yield handle(addr, request, response)
                data = response._finish_bytes()
                if data:
                    yield response._send(data)
            except (Cancelled, Drain, socket.SocketError):
                raise
            except Exception as error:
                yield _handler_failed(conn, method, uri, response, error)
                break
            if response._closing or conn.broken:
                break
            if not body.done:
                if continues:
                    break       # the client may be waiting for a 100 Continue
                yield body.drain()
            conn.served += 1
    except (Cancelled, Drain, socket.SocketError, EnvironmentError):
        pass
    except Exception:
        log.exception("internal error serving %r", addr)
    finally:
        conn.listener.forget(conn)
        yield _close(conn.sock, linger)


def _no_delay(sock):
    """TCP_NODELAY, so that a response's last small write (a chunked body's
    end) does not wait for the peer's ACK of the one before; at once (the
    Socket method is a stream that takes a loop turn)."""
    raw = getattr(sock, "_sock", None)
    if raw is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except EnvironmentError:
            pass


def _handshake(conn, context):
    """The TLS handshake of a server connection, under header_timeout."""
    from .. import ssl
    return ssl.wrap_socket(conn.sock, context=context, server_side=True,
                           timeout=conn.limits.header_timeout)


@idiokit.stream
def _handler_failed(conn, method, uri, response, error):
    """A BadRequest answers with its code; anything else is logged and a
    500 (if nothing of the response was sent)."""
    if isinstance(error, BadRequest):
        code = error.code
    else:
        code = 500
        # The traceback as text: a record holding the traceback object would
        # keep the handler's frames (and what they reference) alive.
        tb = getattr(error, "__traceback__", None) or sys.exc_info()[2]
        log.error("handler failed for %s %s from %r:\n%s", method, uri, conn.addr,
                  "".join(traceback.format_exception(type(error), error, tb)).rstrip())
    data = response._error_bytes(code)
    if data:
        yield response._send(data)
