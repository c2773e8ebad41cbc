# tests/http/test_http_client.py: idiokit.http.client against idiokit's own
# server and against the standard library's http.server (HTTP/1.0 and 1.1):
# bodies framed by Content-Length, chunked and close, chunked uploads,
# keep-alive reuse, HEAD, 3xx returned as they are, http over a Unix socket,
# every address of a host tried, and timeouts.
from __future__ import absolute_import

import signal
import socket as stdsocket
import threading

import pytest

import idiokit
from idiokit import socket
from idiokit.http import client as http_client
from idiokit.http.client import Client, HTTPUnixAdapter
from idiokit.http.server import serve_unix_domain_socket
from support.httpserver import read_body, with_server

try:
    from http.server import HTTPServer, BaseHTTPRequestHandler
    from socketserver import ThreadingMixIn
except ImportError:  # Python 2
    from BaseHTTPServer import HTTPServer, BaseHTTPRequestHandler
    from SocketServer import ThreadingMixIn


@idiokit.stream
def fetch(client, method, url, **keys):
    request = yield client.request(method, url, **keys)
    response = yield request.finish()
    body = yield read_body(response, 5)
    idiokit.stop(response, body)


def with_idiokit_server(handler, body, **options):
    """Run body(client, base_url, connections) against serve_http(handler)."""
    @idiokit.stream
    def run(port, connections):
        client = Client(timeout=10.0)
        try:
            result = yield body(client, "http://127.0.0.1:%d" % port, connections)
        finally:
            client.close()
        idiokit.stop(result)
    return with_server(handler, run, **options)


@idiokit.stream
def echo(addr, request, response):
    body = b""
    while True:
        data = yield request.read(4096)
        if not data:
            break
        body += data
    headers = {"x-method": request.method, "x-host": request.headers.get("host", [""])[0],
               "x-ua": request.headers.get("user-agent", [""])[0]}
    if request.uri.startswith("/length"):
        headers["content-length"] = len(body)
    yield response.write_headers(headers)
    yield response.write(body)


def test_client_against_idiokit_server_with_keep_alive():
    @idiokit.stream
    def body(client, base, connections):
        out = []
        out.append((yield fetch(client, "GET", base + "/a")))
        out.append((yield fetch(client, "POST", base + "/length", data=b"x" * 100000)))
        out.append((yield fetch(client, "PUT", base + "/chunked", data=u"\u00e9")))
        out.append((yield fetch(client, "HEAD", base + "/h")))
        request = yield client.request("POST", base + "/up", headers={"Transfer-Encoding": "chunked"})
        for piece in (b"ab", b"", b"cd"):
            yield request.write(piece)
        response = yield request.finish()
        out.append((response, (yield read_body(response))))
        idiokit.stop(out, list(connections))
    out, connections = with_idiokit_server(echo, body)
    (get, get_body), (post, post_body), (put, put_body), (head, head_body), (up, up_body) = out
    assert get.status_code == 200 and get.status_reason == "OK"
    assert str(get.http_version) == "HTTP/1.1"
    assert get.headers["transfer-encoding"] == ["chunked"] and get_body == b""
    assert get.headers["x-host"][0].startswith("127.0.0.1:")
    assert get.headers["x-ua"][0].startswith("idiokit/")
    assert post.headers["content-length"] == ["100000"] and post_body == b"x" * 100000
    assert put_body == u"\u00e9".encode("utf-8")
    assert head.headers["x-method"] == ["HEAD"] and head_body == b""
    assert up_body == b"abcd"
    assert len(connections) == 1        # every request reused one connection


class ThreadingServer(ThreadingMixIn, HTTPServer):
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("path=%s" % self.path).encode("ascii")
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        if self.path != "/close":
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("protocol", ["HTTP/1.0", "HTTP/1.1"])
def test_client_against_stdlib_http_server(protocol):
    class handler(_Handler):
        protocol_version = protocol
    httpd = ThreadingServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever)
    thread.start()
    base = "http://127.0.0.1:%d" % httpd.server_address[1]

    @idiokit.stream
    def main():
        client = Client(timeout=10.0)
        out = []
        for path in ("/x?y=1", "/close", "/redirect"):
            response, body = yield fetch(client, "GET", base + path)
            out.append((response.status_code, str(response.http_version), body,
                        response.headers.get("location")))
        client.close()
        idiokit.stop(out)
    try:
        out = idiokit.main_loop(main(), catch_signals=())
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
    assert out[0] == (200, protocol, b"path=/x?y=1", None)
    assert out[1][:3] == (200, protocol, b"path=/close")     # ends at the close
    assert out[2] == (302, protocol, b"", ["/elsewhere"])    # not followed


def test_client_over_a_unix_socket(tmp_path):
    path = str(tmp_path / "api.sock")

    @idiokit.stream
    def main():
        server = serve_unix_domain_socket(echo, path)
        yield idiokit.sleep(0.05)
        client = Client(timeout=10.0)
        client.mount("http+unix://", HTTPUnixAdapter())
        try:
            url = "http+unix://%s/length" % path.replace("/", "%2F")
            response, body = yield fetch(client, "POST", url, data=b"over unix")
        finally:
            client.close()
            server.throw(idiokit.Signal(signal.SIGTERM))
            yield server
        idiokit.stop(response.status_code, body)
    assert idiokit.main_loop(main(), catch_signals=()) == (200, b"over unix")


def test_every_address_of_a_host_is_tried(monkeypatch):
    dead = stdsocket.socket()
    dead.bind(("127.0.0.1", 0))       # bound, not listening: refused
    dead_port = dead.getsockname()[1]

    @idiokit.stream
    def body(client, base, connections):
        port = int(base.rsplit(":", 1)[1])
        tried = []

        @idiokit.stream
        def lookup(host, resolver=None):
            yield idiokit.sleep(0)
            tried.append(host)
            idiokit.stop([(socket.AF_INET, "127.0.0.2"), (socket.AF_INET, "127.0.0.1")])
        monkeypatch.setattr(http_client, "host_lookup", lookup)
        listener = stdsocket.socket()
        response, data = yield fetch(client, "POST", "http://twohomes.test:%d/length" % port,
                                     data=b"found")
        listener.close()
        idiokit.stop(tried, response.headers["x-host"], data)
    try:
        tried, host, data = with_idiokit_server(echo, body)
    finally:
        dead.close()
    assert tried == ["twohomes.test"]
    assert data == b"found"
    assert host[0].startswith("twohomes.test:")


def test_connect_refused_on_every_address_raises():
    sock = stdsocket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]

    @idiokit.stream
    def main():
        client = Client(timeout=5.0)
        try:
            yield client.request("GET", "http://127.0.0.1:%d/" % port)
        except socket.SocketError as error:
            idiokit.stop(error)
    try:
        error = idiokit.main_loop(main(), catch_signals=())
    finally:
        sock.close()
    assert isinstance(error, socket.SocketError)


def test_a_silent_server_times_out():
    listener = stdsocket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]

    @idiokit.stream
    def main():
        client = Client(timeout=0.3)
        request = yield client.request("GET", "http://127.0.0.1:%d/" % port)
        try:
            yield request.finish()
        except socket.SocketTimeout:
            idiokit.stop("timeout")
        finally:
            request._conn.sock.close()
            yield idiokit.sleep(0)
    try:
        assert idiokit.main_loop(main(), catch_signals=()) == "timeout"
    finally:
        listener.close()


def test_a_stale_pooled_connection_is_replaced():
    @idiokit.stream
    def body(client, base, connections):
        first = yield fetch(client, "GET", base + "/1")
        yield idiokit.sleep(0.5)    # the server closes idle connections after 0.1 s
        second = yield fetch(client, "GET", base + "/2")
        idiokit.stop(first[0].status_code, second[0].status_code, len(connections))
    assert with_idiokit_server(echo, body, idle_timeout=0.1) == (200, 200, 2)


def test_mount_longest_prefix_wins_and_unknown_scheme_fails():
    client = Client()
    special = HTTPUnixAdapter()
    client.mount("http://special.", special)
    assert client._adapter_for_url("HTTP://special.example/") is special
    assert client._adapter_for_url("http://other/") is not special
    with pytest.raises(ValueError):
        client._adapter_for_url("gopher://x/")


def test_a_server_closing_mid_body_raises_connection_lost():
    listener = stdsocket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]

    def serve_once():
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")
        conn.close()
    thread = threading.Thread(target=serve_once)
    thread.start()

    @idiokit.stream
    def main():
        client = Client(timeout=10.0)
        request = yield client.request("GET", "http://127.0.0.1:%d/" % port)
        response = yield request.finish()
        first = yield response.read(100)
        try:
            yield response.read(100)
        except http_client.ConnectionLost:
            idiokit.stop(first, "lost")
        finally:
            client.close()
    try:
        assert idiokit.main_loop(main(), catch_signals=()) == (b"only this", "lost")
    finally:
        thread.join()
        listener.close()


def test_closing_a_response_half_read_closes_its_connection_and_not_the_pool():
    big = b"y" * (16 << 20)     # more than the socket buffers hold
    outcome = []

    @idiokit.stream
    def handler(addr, request, response):
        yield response.write_headers({"content-length": len(big)})
        try:
            yield response.write(big)
        except Exception as error:
            outcome.append(type(error).__name__)
            raise
        outcome.append("written")

    @idiokit.stream
    def body(client, base, connections):
        request = yield client.request("GET", base + "/big")
        first = yield request.finish()
        part = yield first.read(10)
        first.close()
        after = yield first.read(10)
        first.close()                                   # twice is harmless
        for _ in range(200):                            # the server sees the close
            if outcome:
                break
            yield idiokit.sleep(0.01)
        idiokit.stop(part, after, list(outcome), list(connections))

    part, after, seen, connections = with_idiokit_server(handler, body)
    assert part == b"y" * 10 and after == b""
    # The server's write failed when the client closed (it would block for
    # as long as the half-read response lived), and the client opened
    # nothing else.
    assert seen and seen[0] != "written", seen
    assert len(connections) == 1


def test_closing_a_response_read_to_its_end_keeps_the_connection_pooled():
    @idiokit.stream
    def body(client, base, connections):
        response, data = yield fetch(client, "GET", base + "/a")
        response.close()
        yield fetch(client, "GET", base + "/b")
        idiokit.stop(data, list(connections))

    data, connections = with_idiokit_server(echo, body)
    assert data == b""
    assert len(connections) == 1
