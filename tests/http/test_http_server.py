# tests/http/test_http_server.py: idiokit.http.server against real clients (curl,
# wrk, the standard library's http.client and urllib) and raw bytes: the
# original's response semantics, keep-alive and pipelining, HEAD, chunked
# bodies both ways, Expect: 100-continue, handler failures contained to their
# connection, and the graceful stop.  Hostile input is in
# test_http_hostile.py.  Each server runs in this thread's loop (the autouse
# guard checks that no stream, watcher or fd outlives the test).
from __future__ import absolute_import

import re
import signal
import subprocess
import sys
import time

import pytest


import idiokit
from idiokit.http import server as http_server
from idiokit.http.server import serve_http, Server, BadRequest
from support.httpserver import run_server, connect, exchange, Reader

try:
    import http.client as httplib
    from urllib.request import urlopen, Request
except ImportError:  # Python 2
    import httplib
    from urllib2 import urlopen, Request


@idiokit.stream
def echo(addr, request, response):
    """Answers with the method, uri, version and body it read."""
    body = b""
    while True:
        data = yield request.read(7)
        if not data:
            break
        body += data
    yield response.write_headers({"x-method": request.method})
    yield response.write(("%s %s %s %d\n" % (request.method, request.uri,
                                              request.http_version, len(body))).encode("ascii"))
    yield response.write(body)


@idiokit.stream
def hello(addr, request, response):
    yield response.write_headers({"content-type": "text/plain", "content-length": 6})
    yield response.write(b"hello\n")


def curl(*args):
    out = subprocess.check_output(["curl", "-sS", "--max-time", "10"] + list(args),
                                  stderr=subprocess.STDOUT)
    return out.decode("utf-8", "replace")


def test_curl_get_keep_alive_reuses_the_connection():
    def client(port):
        url = "http://127.0.0.1:%d/a?b=1" % port
        return curl("-v", url, url)
    out = run_server(echo, client)
    assert out.count("GET /a?b=1 HTTP/1.1 0") == 2
    assert "Re-using existing connection" in out or "Reusing existing connection" in out
    assert "< HTTP/1.1 200 OK" in out
    assert "transfer-encoding: chunked" in out


def test_curl_post_chunked_request_and_expect_continue():
    body = "x" * 5000

    def client(port):
        url = "http://127.0.0.1:%d/up" % port
        chunked = curl("-H", "Transfer-Encoding: chunked", "--data-binary", body, url)
        expect = curl("-v", "-H", "Expect: 100-continue", "--data-binary", body, url)
        return chunked, expect
    chunked, expect = run_server(echo, client)
    assert chunked == "POST /up HTTP/1.1 5000\n" + body
    assert "HTTP/1.1 100 Continue" in expect
    assert "POST /up HTTP/1.1 5000\n" in expect


def test_curl_head_drops_the_body_and_the_server_goes_on():
    def client(port):
        url = "http://127.0.0.1:%d/h" % port
        return curl("-I", url), curl(url)
    head, get = run_server(echo, client)
    assert head.startswith("HTTP/1.1 200 OK")
    assert "HEAD /h" not in head
    assert get == "GET /h HTTP/1.1 0\n"


def test_stdlib_http_client_keep_alive_and_post():
    def client(port):
        conn = httplib.HTTPConnection("127.0.0.1", port, timeout=10)
        results = []
        for method, body in [("GET", None), ("POST", b"abc" * 1000), ("PUT", b""), ("GET", None)]:
            conn.request(method, "/p", body=body)
            resp = conn.getresponse()
            results.append((resp.status, resp.read()))
        sock = conn.sock
        conn.close()
        return results, sock is not None
    results, same = run_server(echo, client)
    assert results[0] == (200, b"GET /p HTTP/1.1 0\n")
    assert results[1] == (200, b"POST /p HTTP/1.1 3000\n" + b"abc" * 1000)
    assert results[2] == (200, b"PUT /p HTTP/1.1 0\n")
    assert results[3] == (200, b"GET /p HTTP/1.1 0\n")


def test_stdlib_urllib():
    def client(port):
        resp = urlopen(Request("http://127.0.0.1:%d/u" % port, data=b"hi"), timeout=10)
        return resp.getcode(), resp.read()
    assert run_server(echo, client) == (200, b"POST /u HTTP/1.1 2\nhi")


def test_wrk_keep_alive_short_run():
    def client(port):
        return subprocess.check_output(
            ["wrk", "-t1", "-c10", "-d1s", "http://127.0.0.1:%d/" % port]).decode()
    out = run_server(hello, client)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    assert requests > 100
    assert "Socket errors" not in out
    assert "Non-2xx" not in out


def test_pipelined_requests_answer_in_order():
    def client(port):
        sock = connect(port)
        sock.sendall(b"".join(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(3)))
        reader = Reader(sock)
        bodies = [reader.response()[2] for _ in range(3)]
        sock.close()
        return bodies
    assert run_server(echo, client) == [b"GET /%d HTTP/1.1 0\n" % i for i in range(3)]


def test_http10_gets_an_http10_status_line_and_a_body_until_close():
    def client(port):
        return exchange(port, b"GET /old HTTP/1.0\r\n\r\n")
    data = run_server(echo, client)
    assert data.startswith(b"HTTP/1.0 200 OK\r\n")
    assert b"connection: close" in data.lower()
    assert data.endswith(b"\r\n\r\nGET /old HTTP/1.0 0\n")


def test_http10_keep_alive_with_content_length():
    def client(port):
        sock = connect(port)
        reader = Reader(sock)
        out = []
        for _ in range(2):
            sock.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            out.append(reader.response())
        sock.close()
        return out
    for line, headers, body in run_server(hello, client):
        assert line == "HTTP/1.0 200 OK"
        assert headers["connection"] == ["keep-alive"]
        assert body == b"hello\n"


def test_original_semantics_of_status_headers_and_finish():
    seen = []

    @idiokit.stream
    def handler(addr, request, response):
        seen.append((request.headers, request.http_version == "HTTP/1.1",
                     str(request.http_version)))
        for bad in [lambda: response.write_status("200"), lambda: response.write_status(1000)]:
            try:
                bad()
            except (TypeError, ValueError) as error:
                seen.append(type(error).__name__)
        yield response.write_status(201, "Made")
        try:
            yield response.write_status(202)
        except RuntimeError:
            seen.append("RuntimeError")
        yield response.write_headers({"X-Two": ["a", 2]})
        yield response.write(u"\u00e9")      # str bodies are UTF-8
        yield response.finish()

    def client(port):
        sock = connect(port)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\n\r\n")
        result = Reader(sock).response()
        sock.close()
        return result
    line, headers, body = run_server(handler, client)
    assert line == "HTTP/1.1 201 Made"
    assert headers["x-two"] == ["a", "2"]
    assert "date" in headers
    assert body == u"\u00e9".encode("utf-8")
    assert seen[0] == ({"host": ["h"], "x-a": ["1", "2"]}, True, "HTTP/1.1")
    assert seen[1:] == ["TypeError", "ValueError", "RuntimeError"]


def test_a_handler_failure_is_a_500_for_that_request_only(expected_logs):
    @idiokit.stream
    def handler(addr, request, response):
        if request.uri == "/boom":
            raise KeyError("boom")
        if request.uri == "/late":
            yield response.write(b"partial")
            raise KeyError("late")
        yield response.write(b"fine")

    def client(port):
        first = exchange(port, b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
        late = exchange(port, b"GET /late HTTP/1.1\r\nHost: x\r\n\r\n")
        sock = connect(port)
        sock.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        ok = Reader(sock).response()
        sock.close()
        return first, late, ok
    first, late, ok = run_server(handler, client)
    assert first.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert b"connection: close" in first
    assert late.startswith(b"HTTP/1.1 200 OK")
    assert b"partial" in late and not late.endswith(b"0\r\n\r\n")   # cut short
    assert ok[2] == b"fine"
    text = expected_logs.text()
    assert "KeyError: 'boom'" in text and "KeyError: 'late'" in text


def test_response_splitting_is_refused(expected_logs):
    @idiokit.stream
    def handler(addr, request, response):
        if request.uri == "/reason":
            yield response.write_status(200, "OK\r\nSet-Cookie: x=1")
        else:
            yield response.write_headers({"x-bad": "a\r\nSet-Cookie: x=1"})

    def client(port):
        return [exchange(port, b"GET /%s HTTP/1.1\r\nHost: x\r\n\r\n" % path)
                for path in (b"reason", b"value")]
    for data in run_server(handler, client):
        assert data.startswith(b"HTTP/1.1 500 ")
        assert b"Set-Cookie" not in data
    assert expected_logs.text().count("ValueError: CR, LF and NUL are not allowed") == 2


def test_server_subclass_bad_request_and_unix_socket(tmp_path):
    class Api(Server):
        @idiokit.stream
        def request(self, addr, request, response):
            if request.uri == "/bad":
                raise BadRequest("no such thing", 422)
            yield response.write(b"api")

    path = str(tmp_path / "s.sock")

    def client():
        import socket as stdsocket
        out = []
        for uri in (b"/bad", b"/good"):
            sock = stdsocket.socket(stdsocket.AF_UNIX)
            sock.connect(path)
            sock.sendall(b"GET " + uri + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            out.append(Reader(sock).response())
            sock.close()
        return out

    @idiokit.stream
    def main():
        srv = http_server.serve_unix_domain_socket(Api(), path)
        yield idiokit.sleep(0.05)
        import os
        mode = os.stat(path).st_mode & 0o777
        try:
            result = yield idiokit.thread(client)
        finally:
            srv.throw(idiokit.Signal(signal.SIGTERM))
            yield srv
        idiokit.stop(result, mode)
    (bad, good), mode = idiokit.main_loop(main(), catch_signals=())
    assert mode == 0o600
    assert bad[0].startswith("HTTP/1.1 422 Unprocessable ")   # Entity; Content on 3.13
    assert good[2] == b"api"
    assert not (tmp_path / "s.sock").exists()


def test_graceful_stop_finishes_requests_in_flight():
    started = []

    @idiokit.stream
    def slow(addr, request, response):
        started.append(1)
        yield idiokit.sleep(0.5)
        yield response.write(b"done")

    bound = []
    answers = []

    def client(port):
        sock = connect(port)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        answers.append(Reader(sock).response())
        answers.append(sock.recv(10))      # then closed: b""
        sock.close()

    @idiokit.stream
    def main():
        srv = serve_http(slow, "127.0.0.1", 0, on_bound=bound.append)
        while not bound:
            yield idiokit.sleep(0.005)
        done = idiokit.thread(client, bound[0][1])
        while not started:
            yield idiokit.sleep(0.005)
        srv.throw(idiokit.Signal(signal.SIGTERM))
        result = yield srv          # returns (no exception) after the request
        refused = False
        import socket as stdsocket
        probe = stdsocket.socket()
        refused = probe.connect_ex(("127.0.0.1", bound[0][1])) != 0
        probe.close()
        yield done
        idiokit.stop(result, refused)
    result, refused = idiokit.main_loop(main(), catch_signals=())
    assert result is None
    assert refused
    assert answers[0][2] == b"done"
    assert answers[0][1]["connection"] == ["close"]
    assert answers[1] == b""


def test_request_body_disconnect_raises_connection_lost_in_the_handler():
    caught = []

    @idiokit.stream
    def reader(addr, request, response):
        try:
            while (yield request.read(100)):
                pass
        except http_server.ConnectionLost:
            caught.append("lost")
            raise

    def client(port):
        sock = connect(port)
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        time.sleep(0.2)
        sock.close()
        time.sleep(0.2)
    run_server(reader, client)
    assert caught == ["lost"]


def test_write_stream_sends_what_is_piped_into_it():
    @idiokit.stream
    def produce():
        for word in (b"one ", u"two ", b"three"):
            yield idiokit.send(word)

    @idiokit.stream
    def handler(addr, request, response):
        yield produce() | response.write_stream()

    def client(port):
        return exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = run_server(handler, client)
    assert data.startswith(b"HTTP/1.1 200 OK")
    assert data.endswith(b"4\r\none \r\n4\r\ntwo \r\n5\r\nthree\r\n0\r\n\r\n")


def test_graceful_stop_does_not_wait_for_silent_connections():
    bound = []

    @idiokit.stream
    def main():
        srv = serve_http(echo, "127.0.0.1", 0, on_bound=bound.append)
        while not bound:
            yield idiokit.sleep(0.005)
        silent = connect(bound[0][1])                    # connected, sends nothing
        partial = connect(bound[0][1])
        partial.sendall(b"GET / HTTP/1.1\r\n")           # half a request head
        yield idiokit.sleep(0.1)
        start = time.time()
        srv.throw(idiokit.Signal(signal.SIGTERM))
        yield srv
        elapsed = time.time() - start
        silent.close()
        partial.close()
        idiokit.stop(elapsed)
    assert idiokit.main_loop(main(), catch_signals=()) < 2.0


# --- the response head: src/http_head.c's common case against the Python path ---------

HEAD_CASES = [{}, {"content-length": 5}, {"x-a": "1", "X-B": ["2", "3"]},
              {"content-type": "text/plain", "x-n": 7}, {"x-empty": ""}]
HEAD_REQUESTS = [
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n",
    b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
]


def _normalized(raw):
    """raw with each date line the same, and (on 2.7, whose dicts have no
    order) each head's lines sorted."""
    raw = re.sub(b"date: [^\r]*\r\n", b"date: D\r\n", raw)
    if sys.version_info[0] < 3:
        heads = raw.split(b"\r\n\r\n")
        raw = b"\r\n\r\n".join(b"\r\n".join(sorted(h.split(b"\r\n"))) for h in heads)
    return raw


@pytest.mark.parametrize("headers", HEAD_CASES, ids=[str(sorted(h)) for h in HEAD_CASES])
def test_the_c_response_head_is_byte_for_byte_the_python_one(headers, monkeypatch):
    from idiokit.http import _response

    @idiokit.stream
    def handler(addr, request, response):
        yield response.write_headers(dict(headers))
        yield response.write(b"hello")

    def answers():
        return [run_server(handler, lambda port: exchange(port, data)) for data in HEAD_REQUESTS]

    taken = []
    c_head = _response.http_response_head

    def counted(*args):
        result = c_head(*args)
        taken.append(result is not None)
        return result
    monkeypatch.setattr(_response, "http_response_head", counted)
    fast = answers()
    assert taken and all(taken)                 # every one of these is the C path's
    monkeypatch.setattr(_response, "http_response_head", lambda *args: None)
    slow = answers()
    assert [_normalized(a) for a in fast] == [_normalized(a) for a in slow]
    assert all(a.startswith(b"HTTP/1.") for a in fast)


# --- a chunked response's first write is held until the next write or the end ----------

def _count_sends(monkeypatch):
    """The data of every send the server's connections start, in order."""
    from idiokit.http import _connection
    sent = []
    init = _connection.Connection.__init__

    def spying_init(self, *args):
        init(self, *args)
        sendall = self.sendall

        def spy(data, *rest):
            sent.append(bytes(data))
            return sendall(data, *rest)
        self.sendall = spy
    monkeypatch.setattr(_connection.Connection, "__init__", spying_init)
    return sent


def test_a_handler_writing_once_answers_chunked_in_one_send(monkeypatch):
    @idiokit.stream
    def handler(addr, request, response):
        yield response.write("one\n")

    sent = _count_sends(monkeypatch)

    def client(port):
        sock = connect(port)
        reader = Reader(sock)
        sock.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        answers = [reader.response(), reader.response()]
        sock.close()
        return answers
    for line, headers, body in run_server(handler, client):
        assert line == "HTTP/1.1 200 OK"
        assert headers["transfer-encoding"] == ["chunked"] and body == b"one\n"
    assert len(sent) == 2                       # one send per response
    assert all(data.endswith(b"\r\n\r\n4\r\none\n\r\n0\r\n\r\n") for data in sent)


def test_a_held_first_chunk_goes_out_while_the_handler_waits():
    """The handler writes, then waits for the request body, which the
    client sends only once it has read that first chunk: a chunk held
    until the handler's end would deadlock here."""
    @idiokit.stream
    def handler(addr, request, response):
        yield response.write(b"first")
        rest = yield request.read(100)
        yield response.write(b"then " + rest)

    def client(port):
        sock = connect(port, timeout=10.0)
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        seen = b""
        while b"first" not in seen:
            seen += sock.recv(65536)     # socket.timeout (10 s) fails the test
        sock.sendall(b"4\r\nbody\r\n0\r\n\r\n")
        reader = Reader(sock)
        reader.buf = seen
        answer = reader.response()
        sock.close()
        return answer
    line, headers, body = run_server(handler, client)
    assert line == "HTTP/1.1 200 OK" and body == b"firstthen body"


def test_a_handler_writing_twice_sends_the_held_chunk_with_the_second(monkeypatch):
    @idiokit.stream
    def handler(addr, request, response):
        yield response.write(b"a")
        yield response.write(b"")           # nothing: still held
        yield response.write(b"bc")
        yield response.finish()

    sent = _count_sends(monkeypatch)
    line, headers, body = run_server(handler, _get_once)
    assert body == b"abc"
    assert len(sent) == 2
    assert sent[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert sent[0].endswith(b"\r\n\r\n1\r\na\r\n2\r\nbc\r\n") and sent[1] == b"0\r\n\r\n"


def _get_once(port):
    sock = connect(port)
    try:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return Reader(sock).response()
    finally:
        sock.close()
