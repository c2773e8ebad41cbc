# tests/support/httpserver.py: run an idiokit HTTP server in this thread's
# loop while blocking client code (curl, http.client, raw sockets) runs in
# idiokit's thread pool, then stop the server gracefully; and small raw-socket
# helpers for the tests that speak HTTP bytes by hand.
from __future__ import absolute_import

import signal
import socket
import time

import idiokit
from idiokit.http.server import serve_http


def run_server(handler, client, **options):
    """Serve `handler` on 127.0.0.1 (an ephemeral port) while client(port)
    runs in a thread; stop the server (as SIGTERM would) and return what
    client returned (or raise what it raised)."""
    bound = []

    @idiokit.stream
    def main():
        server = serve_http(handler, "127.0.0.1", 0, on_bound=bound.append, **options)
        while not bound:
            yield idiokit.sleep(0.005)
        try:
            result = yield idiokit.thread(client, bound[0][1])
        finally:
            server.throw(idiokit.Signal(signal.SIGTERM))
            yield server
        idiokit.stop(result)

    return idiokit.main_loop(main(), catch_signals=())


def connect(port, timeout=10.0):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return sock


def read_all(sock, limit=1 << 22):
    """Everything until the peer closes (or the socket's timeout)."""
    chunks = []
    total = 0
    while total < limit:
        data = sock.recv(65536)
        if not data:
            break
        chunks.append(data)
        total += len(data)
    return b"".join(chunks)


def exchange(port, data, timeout=10.0):
    """Send raw bytes, read until the server closes; the bytes read."""
    sock = connect(port, timeout)
    try:
        sock.sendall(data)
        return read_all(sock)
    finally:
        sock.close()


class Reader(object):
    """Reads whole responses (head plus a Content-Length, chunked or
    until-close body) from a socket, keeping what follows for the next."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _more(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("closed mid-response: %r" % self.buf)
        self.buf += data

    def _take(self, count):
        while len(self.buf) < count:
            self._more()
        data, self.buf = self.buf[:count], self.buf[count:]
        return data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._more()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def response(self, head_only=False):
        """(status line, headers: lower-cased name -> [values], body)."""
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        if head_only:
            body = b""
        elif "content-length" in headers:
            body = self._take(int(headers["content-length"][0]))
        elif headers.get("transfer-encoding") == ["chunked"]:
            body = b""
            while True:
                size = int(self._line(), 16)
                body += self._take(size)
                self._take(2)
                if size == 0:
                    break
        else:
            body, self.buf = self.buf + read_all(self.sock), b""
        return lines[0], headers, body


def closed_within(sock, seconds):
    """True if the peer closes sock within `seconds` (reading and dropping)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        sock.settimeout(max(0.01, deadline - time.time()))
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except socket.error:
            return True
    return False


@idiokit.stream
def read_body(response, chunk=4096):
    """A stream: the whole body of an idiokit.http ClientResponse."""
    body = b""
    while True:
        data = yield response.read(chunk)
        if not data:
            break
        body += data
    idiokit.stop(body)


def with_server(handler, body, **options):
    """Serve `handler` on an ephemeral port of 127.0.0.1 in this thread's
    loop while the stream body(port, addresses) runs (addresses: the client
    addresses seen so far); stop the server, and return body's result."""
    bound = []
    seen = []

    @idiokit.stream
    def counting(addr, request, response):
        if addr not in seen:
            seen.append(addr)
        yield handler(addr, request, response)

    @idiokit.stream
    def main():
        server = serve_http(counting, "127.0.0.1", 0, on_bound=bound.append, **options)
        while not bound:
            yield idiokit.sleep(0.005)
        try:
            result = yield body(bound[0][1], seen)
        finally:
            server.throw(idiokit.Signal(signal.SIGTERM))
            yield server
        idiokit.stop(result)
    return idiokit.main_loop(main(), catch_signals=())
