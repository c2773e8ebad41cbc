"""idiokit.http.client: HTTP/1.1 requests as streams.

    request = yield client.request("GET", "http://example.com/")
    response = yield request.finish()
    body = yield response.read(65536)

The original's API (Client, request, HTTPUnixAdapter, ClientRequest.write
and finish, ClientResponse with read), plus: keep-alive (a connection whose
response was read to its end goes back to the client's pool and is reused
for the same host), every address of a host tried in turn, the Host header
carrying a non-default port.  Redirects are not followed (as the original):
a 3xx response is returned as it is.
"""
from __future__ import absolute_import

import collections
import os

try:
    from urllib.parse import urlsplit, unquote
except ImportError:  # Python 2
    from urlparse import urlsplit
    from urllib import unquote

from .. import idiokit, socket, timer, __version__
from .. import _core
from ..dns import host_lookup
from ._message import (  # noqa: F401 (re-exported)
    ConnectionLost, WriterError, WriterFinishError, normalized_headers, get_header_single,
    get_header_list, get_content_length, serialize_headers, to_bytes, latin1,
    LimitedFraming, ChunkedFraming, check_text,
)
from .httpversion import HTTPVersion

__all__ = ["Client", "request", "HTTPUnixAdapter", "RequestError", "ClientRequest",
           "ClientResponse", "ConnectionLost"]

HEAD, BODY, END, ERROR, UPGRADE = range(5)
_RECV = 65536
_POOL_SIZE = 8      # idle connections kept per host


def _close_now(sock):
    """Close at once (Socket.close() is a stream that closes a turn later,
    which never comes if the loop is about to stop)."""
    _core.IoSocket.close(sock)


class RequestError(Exception):
    """The server's answer could not be understood."""


class _Conn(object):
    """A client connection: socket, response parser and parsed events."""

    __slots__ = ("sock", "key", "host", "timeout", "parser", "events")

    def __init__(self, sock, key, host, timeout):
        self.sock = sock
        self.key = key
        self.host = host
        self.timeout = timeout
        self.parser = _core.HttpParser(2, 65536, 65536, 100, -1)
        self.events = collections.deque()

    @idiokit.stream
    def next_event(self):
        while not self.events:
            data = yield self.sock.recv(_RECV, 0, self.timeout)
            if data:
                self.events.extend(self.parser.feed(data))
                continue
            events = self.parser.feed_eof()
            if not events or events[-1][0] == ERROR:
                raise ConnectionLost("the server closed the connection mid-response")
            self.events.extend(events)
        event = self.events.popleft()
        if event[0] == ERROR:
            raise RequestError("bad response: %s" % (event[2],))
        idiokit.stop(event)

    @idiokit.stream
    def usable(self):
        """A pooled connection is usable if the server has not closed it."""
        try:
            data = yield self.sock.recv(1, 0, 0.0)
        except socket.SocketTimeout:
            idiokit.stop(True)      # nothing to read: still open
        except socket.SocketError:
            pass
        else:
            if data:
                pass                # junk from the server: not usable
        _close_now(self.sock)
        idiokit.stop(False)


class ClientResponse(object):
    """A response: http_version, status_code, status_reason, headers and
    read(n), a stream giving up to n bytes of body ("" at its end)."""

    def __init__(self, client, conn, version, code, reason, headers, keep_alive, body_kind):
        self._client = client
        self._conn = conn
        self._http_version = version
        self._status_code = code
        self._status_reason = reason
        self._headers = headers
        self._keep_alive = keep_alive
        self._pending = b""
        self._done = body_kind == 0
        if self._done:
            self._release()

    http_version = property(lambda self: self._http_version,
                            doc="The response's HTTP version, such as HTTP11.")
    status_code = property(lambda self: self._status_code, doc="The status code, an int.")
    status_reason = property(lambda self: self._status_reason,
                             doc="The reason phrase of the status line.")
    headers = property(lambda self: self._headers,
                       doc="The response headers: lower-cased name -> list of str values.")

    def _release(self):
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if conn.events and conn.events[0][0] == END:
            conn.events.popleft()
        if self._keep_alive and not conn.events:
            self._client._put(conn)
        else:
            _close_now(conn.sock)

    def close(self):
        """Done with this response: a body read to its end has handed its
        connection back to the pool already; otherwise the connection is
        closed now (never pooled half read).  Further reads give ""."""
        if not self._done:
            self._keep_alive = False
            self._done = True
            self._pending = b""
        self._release()

    @idiokit.stream
    def read(self, amount):
        """Up to `amount` bytes of the body; "" at its end, and after."""
        while not self._pending and not self._done:
            try:
                event = yield self._conn.next_event()
            except BaseException:
                self._keep_alive = False
                self._done = True
                self._release()     # closes the connection
                raise
            if event[0] == BODY:
                self._pending = event[1]
            elif event[0] == END:
                self._done = True
                self._release()
        data, self._pending = self._pending[:amount], self._pending[amount:]
        if not data:
            yield timer.sleep(0.0)
        idiokit.stop(data)


class ClientRequest(object):
    """A request being sent: method, uri, headers, write(data) and finish(),
    which ends the body and gives the ClientResponse."""

    def __init__(self, client, conn, method, uri, headers, framing):
        self._client = client
        self._conn = conn
        self._method = method
        self._uri = uri
        self._headers = headers
        self._framing = framing

    method = property(lambda self: self._method, doc="The request method, such as 'GET'.")
    uri = property(lambda self: self._uri, doc="The URL requested.")
    headers = property(lambda self: self._headers,
                       doc="The request headers: lower-cased name -> list of str values.")

    def write(self, data):
        """A stream sending body data (str is UTF-8)."""
        data = self._framing.frame(to_bytes(data))
        if not data:
            return timer.sleep(0.0)
        return self._conn.sock.sendall(data, 0, self._conn.timeout)

    @idiokit.stream
    def finish(self):
        """End the body, then read the response's status line and headers."""
        conn = self._conn
        tail = self._framing.end()
        if tail:
            yield conn.sock.sendall(tail, 0, conn.timeout)
        if self._method == "HEAD":
            conn.parser.skip_body()
        while True:
            event = yield conn.next_event()
            if event[0] != HEAD:
                raise RequestError("unexpected data before the response head")
            _, code, reason, major, minor, headers, keep_alive, body_kind = event
            if (major, minor) not in ((1, 0), (1, 1)):
                raise RequestError("HTTP version %d.%d not supported" % (major, minor))
            if 100 <= code < 200 and code != 101:
                end = yield conn.next_event()   # an interim response: skip it
                if end[0] != END:
                    raise RequestError("a body in an interim response")
                if self._method == "HEAD":
                    conn.parser.skip_body()
                continue
            break
        idiokit.stop(ClientResponse(self._client, conn, HTTPVersion(major, minor), code,
                                    reason or "", headers, keep_alive, body_kind))


def _normalize_verify(verify):
    if verify is True or verify is False:
        return verify, None
    if isinstance(verify, str):
        return True, verify
    raise TypeError("\"verify\" parameter must be a boolean or a string")


def _normalize_cert(cert):
    if cert is None or isinstance(cert, str):
        return cert, cert
    certfile, keyfile = cert
    return certfile, keyfile


class _Adapter(object):
    """Connects a Client to the server of a URL."""

    def key(self, url):
        """What pooled connections are shared by."""
        return None

    @idiokit.stream
    def connect(self, client, url):
        """A stream giving (host header value, connected socket)."""
        yield timer.sleep(0.0)
        raise NotImplementedError()


class _HTTPAdapter(_Adapter):
    default_port = 80

    def _address(self, url):
        parsed = urlsplit(url)
        if not parsed.hostname:
            raise ValueError("no host in URL %r" % (url,))
        port = self.default_port if parsed.port is None else parsed.port
        return parsed.hostname, port

    def key(self, url):
        return (type(self).__name__,) + self._address(url)

    def host_header(self, host, port):
        name = "[%s]" % host if ":" in host else host
        return name if port == self.default_port else "%s:%d" % (name, port)

    @idiokit.stream
    def connect(self, client, url):
        host, port = self._address(url)
        addresses = yield host_lookup(host, client.resolver)
        error = None
        for family, ip in addresses:
            sock = socket.Socket(family)
            try:
                yield sock.connect((ip, port), timeout=client.timeout)
            except socket.SocketError as exc:
                error = exc
                yield sock.close()
                continue
            yield sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            idiokit.stop(self.host_header(host, port), sock)
        raise error if error is not None else socket.SocketError("no address for %r" % host)


class HTTPUnixAdapter(_Adapter):
    """http over a Unix socket: mount it at "http+unix://", then use URLs
    such as "http+unix://%2Ftmp%2Fserver.sock/path"."""

    def _path(self, url):
        netloc = urlsplit(url).netloc
        return os.path.join("/", unquote(netloc.rpartition("@")[2]))

    def key(self, url):
        return ("unix", self._path(url))

    @idiokit.stream
    def connect(self, client, url):
        path = self._path(url)
        sock = socket.Socket(socket.AF_UNIX)
        try:
            yield sock.connect(path, timeout=client.timeout)
        except BaseException:
            yield sock.close()
            raise
        idiokit.stop("localhost", sock)


class Client(object):
    """Client(resolver=None, timeout=60.0, verify=True, cert=None,
    user_agent=None): makes requests, keeping idle connections for reuse."""

    def __init__(self, resolver=None, timeout=60.0, verify=True, cert=None, user_agent=None):
        _normalize_verify(verify)
        _normalize_cert(cert)
        self._resolver = resolver
        self._timeout = timeout
        self._verify = verify
        self._cert = cert
        self._user_agent = "idiokit/" + __version__
        if user_agent:
            self._user_agent = user_agent + " " + self._user_agent
        self._mounts = {}
        self._pool = {}
        self.mount("http://", _HTTPAdapter())
        https = _https_adapter()
        if https is not None:
            self.mount("https://", https)

    resolver = property(lambda self: self._resolver,
                        doc="The idiokit.dns.Resolver for host names (None: the default one).")
    timeout = property(lambda self: self._timeout, doc="Seconds a connect or read may wait.")
    verify = property(lambda self: self._verify,
                      doc="Certificate checking: True, False, or a CA bundle path.")
    cert = property(lambda self: self._cert,
                    doc="The client certificate: None, a path, or (certfile, keyfile).")

    def mount(self, prefix, adapter):
        """Use `adapter` for URLs starting with `prefix` (case-insensitive;
        the longest matching prefix wins)."""
        self._mounts[prefix.lower()] = adapter

    def _adapter_for_url(self, url):
        lowered = url.lower()
        matches = [prefix for prefix in self._mounts if lowered.startswith(prefix)]
        if not matches:
            raise ValueError("can not handle the URL %r" % (url,))
        return self._mounts[max(matches, key=len)]

    def _put(self, conn):
        idle = self._pool.setdefault(conn.key, [])
        if len(idle) < _POOL_SIZE:
            idle.append(conn)
        else:
            _close_now(conn.sock)

    @idiokit.stream
    def _connection(self, adapter, url):
        key = adapter.key(url)
        idle = self._pool.get(key)
        while idle:
            conn = idle.pop()
            if (yield conn.usable()):
                idiokit.stop(conn)
        host, sock = yield adapter.connect(self, url)
        idiokit.stop(_Conn(sock, key, host, self._timeout))

    def close(self):
        """Close the idle connections kept for reuse."""
        pool, self._pool = self._pool, {}
        for idle in pool.values():
            for conn in idle:
                _close_now(conn.sock)

    @idiokit.stream
    def request(self, method, url, headers={}, data=b""):
        """Connect (or reuse a connection), send the request line, the
        headers and `data`; gives a ClientRequest (call its finish())."""
        check_text(method, "the method")
        if " " in method or not method:
            raise ValueError("invalid method %r" % (method,))
        adapter = self._adapter_for_url(url)
        data = to_bytes(data)
        conn = yield self._connection(adapter, url)
        try:
            headers, framing = self._resolve_headers(method, conn.host, headers, data)
            parsed = urlsplit(url)
            target = (parsed.path or "/") + ("?" + parsed.query if parsed.query else "")
            check_text(target, "the URL")
            head = latin1("%s %s HTTP/1.1\r\n" % (method, target.replace(" ", "%20")))
            yield conn.sock.sendall(head + serialize_headers(headers) + b"\r\n" +
                                    framing.frame(data), 0, conn.timeout)
        except BaseException:
            _close_now(conn.sock)
            raise
        idiokit.stop(ClientRequest(self, conn, method, url, headers, framing))

    def _resolve_headers(self, method, host, headers, data):
        headers = normalized_headers(headers)
        if not headers.get("host"):
            headers["host"] = [host]
        headers.setdefault("user-agent", [self._user_agent])
        coding = get_header_list(headers, "transfer-encoding")
        length = get_content_length(headers, len(data))
        if coding is not None:
            coding = coding.lower()
            if coding not in ("identity", "chunked"):
                raise ValueError("unknown transfer encoding %r" % coding)
        if coding == "chunked":
            headers.pop("content-length", None)
            return headers, ChunkedFraming()
        headers.pop("transfer-encoding", None)
        if method != "HEAD" or length:
            headers["content-length"] = [str(length)]
        return headers, LimitedFraming(length)


def _https_adapter():
    """The https adapter if idiokit.ssl is there, else None."""
    try:
        from ._https import HTTPSAdapter
    except ImportError:
        return None
    return HTTPSAdapter()


request = Client().request
