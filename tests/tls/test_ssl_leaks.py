# tests/tls/test_ssl_leaks.py: TLS churn leaves nothing behind (checklist L3,
# TLS part): many small round trips over one TLS connection (each read waits:
# would-block, wait, retry), many short-lived TLS connections, and many
# failing handshakes; memory, references, the core's live counters and fds
# (the autouse guard) stay flat after a warm-up.  Counts scale with
# IDIOKIT_TEST_SCALE.
from __future__ import absolute_import

import pytest

import idiokit
from idiokit import ssl

from support.util import run, scale
from support.peers import tcp_pair
from support.tlscerts import certs
from support.usage import Usage


@pytest.fixture(scope="module")
def c():
    return certs()


@idiokit.stream
def tls_pair(c):
    accepted, client = yield tcp_pair()
    serving = ssl.wrap_socket(accepted, server_side=True, certfile=c.cert, keyfile=c.key,
                              timeout=10)
    tls_client = yield ssl.wrap_socket(client, ca_certs=c.ca, server_hostname="localhost",
                                       timeout=10)
    tls_server = yield serving
    idiokit.stop(tls_server, tls_client)


@idiokit.stream
def ping_pong(tls_server, tls_client, count):
    for i in range(count):
        payload = b"x" * (1 + i % 100)
        yield tls_client.sendall(payload)
        got = yield tls_server.recv(200, timeout=10)
        assert got == payload
        yield tls_server.sendall(got)
        back = yield tls_client.recv(200, timeout=10)
        assert back == payload


def test_round_trips_over_one_connection_stay_flat(c):
    @idiokit.stream
    def main(warm, count):
        tls_server, tls_client = yield tls_pair(c)
        yield ping_pong(tls_server, tls_client, warm)
        before = Usage()
        yield ping_pong(tls_server, tls_client, count)
        after = Usage()
        yield tls_client.close()
        yield tls_server.close()
        idiokit.stop(before, after)
    before, after = run(main(scale(1000, 10), scale(10000, 100)))
    after.assert_flat_since(before)


@idiokit.stream
def short_lived(c, count):
    for _ in range(count):
        tls_server, tls_client = yield tls_pair(c)
        yield tls_client.sendall(b"hi")
        assert (yield tls_server.recv(10, timeout=10)) == b"hi"
        yield tls_client.close()
        assert (yield tls_server.recv(10, timeout=10)) == b""
        yield tls_server.close()


def test_short_lived_connections_stay_flat(c):
    run(short_lived(c, scale(50, 5)))
    before = Usage()
    run(short_lived(c, scale(500, 20)))
    Usage().assert_flat_since(before)


@idiokit.stream
def failing_handshakes(c, count):
    for _ in range(count):
        accepted, client = yield tcp_pair()
        serving = ssl.wrap_socket(accepted, server_side=True, certfile=c.cert, keyfile=c.key,
                                  timeout=10)
        yield client.sendall(b"not a TLS client hello, just garbage\r\n" * 10)
        try:
            yield serving
        except ssl.SSLError:
            pass
        else:
            raise AssertionError("the handshake should have failed")
        yield client.close()


def test_failing_handshakes_stay_flat(c):
    run(failing_handshakes(c, scale(50, 5)))
    before = Usage()
    run(failing_handshakes(c, scale(500, 20)))
    Usage().assert_flat_since(before)
