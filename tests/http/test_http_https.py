# tests/http/test_http_https.py: https with idiokit.ssl: idiokit's server with an
# SSLContext asked by curl and by idiokit's client (verifying the test CA and
# the host name, and keep-alive over TLS); the client refusing a server whose
# certificate it cannot verify; a plain-HTTP or garbage client on the TLS port
# closed without disturbing the server.
from __future__ import absolute_import

import ssl as stdssl
import subprocess


import idiokit
from idiokit import ssl
from idiokit.http.client import Client
from support.httpserver import exchange, read_body, with_server
from support.tlscerts import certs


@idiokit.stream
def hello(addr, request, response):
    body = ("%s %s" % (request.method, request.uri)).encode("ascii")
    yield response.write_headers({"content-length": len(body)})
    yield response.write(body)


def server_context():
    context = stdssl.SSLContext(getattr(stdssl, "PROTOCOL_TLS_SERVER", stdssl.PROTOCOL_SSLv23))
    context.load_cert_chain(certs().cert, certs().key)
    return context


def with_https_server(body):
    """(body(port)'s result, the number of client connections seen)."""
    @idiokit.stream
    def run(port, connections):
        result = yield body(port)
        idiokit.stop(result, len(connections))
    return with_server(hello, run, ssl_context=server_context())


@idiokit.stream
def fetch(client, url):
    request = yield client.request("GET", url)
    response = yield request.finish()
    body = yield read_body(response)
    idiokit.stop(response.status_code, body)


def test_idiokit_client_over_https_with_keep_alive():
    @idiokit.stream
    def body(port):
        client = Client(timeout=10.0, verify=certs().ca)
        try:
            out = []
            for path in ("/a", "/b"):
                out.append((yield fetch(client, "https://localhost:%d%s" % (port, path))))
        finally:
            client.close()
        idiokit.stop(out)
    out, connections = with_https_server(body)
    assert out == [(200, b"GET /a"), (200, b"GET /b")]
    assert connections == 1


def test_curl_over_https():
    @idiokit.stream
    def body(port):
        out = yield idiokit.thread(subprocess.check_output, [
            "curl", "-sS", "--max-time", "10", "--cacert", certs().ca,
            "https://localhost:%d/curl" % port])
        idiokit.stop(out)
    assert with_https_server(body)[0] == b"GET /curl"


def plain_request(port):
    """Plain HTTP to the TLS port: closed (or reset) with no HTTP answer."""
    try:
        return exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    except EnvironmentError:
        return b""


def test_client_refuses_an_unverifiable_server_and_plain_http_is_closed():
    @idiokit.stream
    def body(port):
        client = Client(timeout=10.0)           # the system CAs: the test CA is unknown
        try:
            yield fetch(client, "https://localhost:%d/" % port)
        except ssl.SSLError as error:
            refused = error
        else:
            refused = None
        plain = yield idiokit.thread(plain_request, port)
        insecure = Client(timeout=10.0, verify=False)
        try:
            ok = yield fetch(insecure, "https://127.0.0.1:%d/x" % port)
        finally:
            insecure.close()
        idiokit.stop(refused, plain, ok)
    (refused, plain, ok), _ = with_https_server(body)
    assert isinstance(refused, ssl.SSLError)
    assert not plain.startswith(b"HTTP/1.1 200")
    assert ok == (200, b"GET /x")
