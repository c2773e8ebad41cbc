# tests/http/test_http_hostile.py: the reliability checklist's group H against
# idiokit.http.server, over raw sockets: request smuggling (H1), limits (H2),
# malformed but common input (H3a), slowloris and the other timeouts.  Each
# bad request must get a clear 4xx (or a close), no handler may see a request
# smuggled inside another, and the server must go on serving others; the
# autouse guard checks that no stream, watcher or fd is left behind.
from __future__ import absolute_import

import socket
import time

import pytest

import idiokit
from support.httpserver import run_server, connect, exchange, Reader, closed_within

SMUGGLING = [
    ("CL and TE", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("two CLs", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\n"),
    ("TE twice", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("TE gzip, chunked", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                         b"0\r\n\r\n"),
    ("TE xchunked", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
    ("TE with space", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
    ("chunk size 0x", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0x4\r\nabcd\r\n0\r\n\r\n"),
    ("chunk size +", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n+4\r\nabcd\r\n0\r\n\r\n"),
    ("chunk size _", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1_0\r\nabcd\r\n0\r\n\r\n"),
    ("chunk overflow", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"1ffffffffffffffff\r\nabcd\r\n0\r\n\r\n"),
    ("CL +10", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +10\r\n\r\n"),
    ("CL 1_0", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1_0\r\n\r\n"),
    ("CL -1", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"),
    ("CL 10a", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10a\r\n\r\n"),
    ("CL 20 digits", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n"),
    ("bare LF", b"POST / HTTP/1.1\nHost: x\nContent-Length: 0\n\n"),
    ("NUL in a header", b"POST / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n"),
]
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


def counting_handler(seen):
    @idiokit.stream
    def handler(addr, request, response):
        seen.append(request.uri)
        while (yield request.read(65536)):
            pass
        yield response.write_headers({"content-length": 2})
        yield response.write(b"ok")
    return handler


def status(data):
    return data.split(b"\r\n", 1)[0]


@pytest.mark.parametrize("name,request_bytes", SMUGGLING, ids=[s[0] for s in SMUGGLING])
def test_smuggling_is_a_400_and_a_close(name, request_bytes):
    seen = []

    def client(port):
        bad = exchange(port, request_bytes + SMUGGLED)
        good = exchange(port, b"GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return bad, good
    bad, good = run_server(counting_handler(seen), client)
    assert status(bad) in (b"HTTP/1.1 400 Bad Request", b"HTTP/1.1 413 Request Entity Too Large",
                           b"HTTP/1.1 413 Payload Too Large", b"HTTP/1.1 413 Content Too Large")
    assert bad.count(b"HTTP/1.1") == 1          # nothing parsed after it
    assert "/smuggled" not in seen
    assert seen[-1] == "/after" and good.endswith(b"ok")


@pytest.mark.parametrize("request_bytes,expected", [
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b"HTTP/1.1 414 "),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"b" * 70000 + b"\r\n\r\n", b"HTTP/1.1 431 "),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n",
     b"HTTP/1.1 431 "),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n", b"HTTP/1.1 413 "),
    (b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n", b"HTTP/1.1 405 "),
    (b"FOO,BAR / HTTP/1.1\r\nHost: x\r\n\r\n", b"HTTP/1.1 400 "),
    (b"GET / HTTP/1.1\r\n\r\n", b"HTTP/1.1 400 "),
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", b"HTTP/1.1 400 "),
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", b"HTTP/1.1 505 "),
    (b"GET / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n", b"HTTP/1.1 417 "),
    (b"garbage\r\n\r\n", b"HTTP/1.1 4"),
], ids=["414", "431-bytes", "431-count", "413", "405", "400-method", "no-host", "two-hosts", "505", "417", "garbage"])
def test_limits_and_malformed_requests(request_bytes, expected):
    seen = []

    def client(port):
        bad = exchange(port, request_bytes)
        good = exchange(port, b"GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return bad, good
    bad, good = run_server(counting_handler(seen), client, max_body_size=1000)
    assert bad.startswith(expected), bad[:200]
    assert seen == ["/after"]
    assert good.endswith(b"ok")


def test_chunked_body_over_the_limit_is_413_or_closed():
    seen = []

    def client(port):
        sock = connect(port)
        sock.sendall(b"POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(20):
                sock.sendall(b"100\r\n" + b"z" * 256 + b"\r\n")
        except socket.error:
            pass
        data = b""
        try:
            while True:
                more = sock.recv(65536)
                if not more:
                    break
                data += more
        except socket.error:
            pass
        sock.close()
        return data
    data = run_server(counting_handler(seen), client, max_body_size=1000)
    assert seen == ["/big"]            # the handler ran and its read failed
    assert data == b"" or data.startswith(b"HTTP/1.1 413 ")


def test_invalid_utf8_path_reaches_the_handler_raw():
    seen = []

    def client(port):
        return exchange(port, b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = run_server(counting_handler(seen), client)
    assert data.startswith(b"HTTP/1.1 200 OK")
    assert seen == [u"/\xff\xfe" if str is not bytes else "/\xff\xfe"]


def test_slowloris_is_cut_off_while_others_are_served():
    seen = []

    def client(port):
        slow = connect(port)
        slow.sendall(b"GET / HTTP/1.1\r\n")
        start = time.time()
        answers = 0
        closed = False
        while time.time() - start < 3.0:
            try:
                slow.sendall(b"X: y\r\n")          # a header line now and then
            except socket.error:
                closed = True
                break
            data = exchange(port, b"GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answers += data.endswith(b"ok")
            if closed_within(slow, 0.2):
                closed = True
                break
        elapsed = time.time() - start
        slow.close()
        return closed, elapsed, answers
    closed, elapsed, answers = run_server(counting_handler(seen), client, header_timeout=1.0)
    assert closed
    assert 0.8 < elapsed < 2.9
    assert answers >= 2


def test_idle_keep_alive_connection_is_closed():
    def client(port):
        sock = connect(port)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        Reader(sock).response()
        start = time.time()
        closed = closed_within(sock, 3.0)
        sock.close()
        return closed, time.time() - start
    closed, elapsed = run_server(counting_handler([]), client, idle_timeout=0.5)
    assert closed and 0.3 < elapsed < 2.5


def test_stalled_body_times_out_and_the_handler_sees_it():
    caught = []

    @idiokit.stream
    def handler(addr, request, response):
        try:
            yield request.read(100)
            yield request.read(100)
        except Exception as error:
            caught.append(type(error).__name__)
            raise

    def client(port):
        sock = connect(port)
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
        closed = closed_within(sock, 3.0)
        sock.close()
        return closed
    assert run_server(handler, client, body_timeout=0.5)
    assert caught == ["ConnectionLost"]


def test_many_bad_connections_leave_nothing_behind():
    def client(port):
        for i in range(50):
            sock = connect(port)
            sock.sendall(SMUGGLING[i % len(SMUGGLING)][1])
            if i % 2:
                sock.close()            # gone before the answer
            else:
                sock.recv(100)
                sock.close()
        return exchange(port, b"GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert run_server(counting_handler([]), client).endswith(b"ok")


def test_obs_fold_is_joined_into_one_value():
    """RFC 9112 section 5.2 lets a server replace an obs-fold by spaces
    (llhttp joins the lines): no CR or LF reaches the handler."""
    values = []

    @idiokit.stream
    def handler(addr, request, response):
        values.append(request.headers["x-a"])
        yield response.write(b"")

    def client(port):
        return exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                              b"X-A: 1\r\n folded\r\n\r\n")
    assert run_server(handler, client).startswith(b"HTTP/1.1 200 OK")
    assert values == [["1 folded"]]


def test_chunked_body_with_trailers_is_served_and_trailers_dropped():
    seen = []

    def client(port):
        return exchange(port, b"POST /t HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                              b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
                              b"X-Trailer: 1\r\nX-Other: 2\r\n\r\n")
    data = run_server(counting_handler(seen), client)
    assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b"ok")
    assert seen == ["/t"]
