# tests/tls/test_ssl_failures.py: every TLS failure the issue lists gives a
# clear SSLError / SSLCertificateError / SocketTimeout promptly, closes the
# connection (the autouse guard of conftest.py checks fds and live objects
# after each test), and a server keeps serving the peers that behave:
# untrusted, wrong-host and expired certificates, protocol mismatch, garbage,
# a silent peer in the handshake, a close mid-handshake, a reset mid-transfer.
from __future__ import absolute_import

import ssl as stdssl
import struct
import sys
import time
import warnings

import pytest

import idiokit
from idiokit import socket, ssl

from support.util import run
from support.peers import listener, tcp_pair
from support.tlscerts import certs

PROMPT = 5.0     # seconds: generous for a loaded machine; failures take milliseconds


@pytest.fixture(scope="module")
def c():
    return certs()


def client_context(c):
    context = stdssl.SSLContext(getattr(stdssl, "PROTOCOL_TLS_CLIENT", stdssl.PROTOCOL_SSLv23))
    context.verify_mode = stdssl.CERT_REQUIRED
    context.check_hostname = True
    context.load_verify_locations(c.ca)
    return context


def server_context(c, cert=None, key=None):
    context = stdssl.SSLContext(getattr(stdssl, "PROTOCOL_TLS_SERVER", stdssl.PROTOCOL_SSLv23))
    context.load_cert_chain(cert or c.cert, key or c.key)
    return context


def tls13_only(context):
    if hasattr(context, "minimum_version"):
        context.minimum_version = stdssl.TLSVersion.TLSv1_3
    else:
        context.options |= stdssl.OP_NO_TLSv1 | stdssl.OP_NO_TLSv1_1 | stdssl.OP_NO_TLSv1_2
    return context


def at_most(context, version):
    """No TLS version above `version` ("TLSv1_2" or "TLSv1_1")."""
    if hasattr(context, "maximum_version"):
        with warnings.catch_warnings():         # (TLS 1.1 is deprecated: that is the point)
            warnings.simplefilter("ignore", DeprecationWarning)
            context.maximum_version = getattr(stdssl.TLSVersion, version)
    else:
        context.options |= stdssl.OP_NO_TLSv1_3
        if version == "TLSv1_1":
            context.options |= stdssl.OP_NO_TLSv1_2
    return context


def rst(sock):
    """Make closing the idiokit socket `sock` send a RST."""
    return sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@idiokit.stream
def expect_failure(stream, classes):
    """Run stream; it must raise one of classes (within PROMPT seconds).
    Gives the exception."""
    start = time.time()
    try:
        yield stream
    except classes as error:
        assert time.time() - start < PROMPT
        idiokit.stop(error)
    raise AssertionError("no failure")


@idiokit.stream
def settle(stream):
    """Wait for stream, whatever it ends with."""
    try:
        yield stream
    except Exception:
        pass


# ---- our client against bad servers ---------------------------------------------------------

@idiokit.stream
def client_against(c, server_kwargs, client_kwargs, classes):
    accepted, client = yield tcp_pair()
    serving = ssl.wrap_socket(accepted, server_side=True, timeout=PROMPT, **server_kwargs)
    error = yield expect_failure(ssl.wrap_socket(client, timeout=PROMPT, **client_kwargs),
                                 classes)
    yield settle(serving)
    assert client.closed
    idiokit.stop(error)


def test_untrusted_certificate(c):
    error = run(client_against(
        c, {"certfile": c.selfsigned_cert, "keyfile": c.selfsigned_key},
        {"ca_certs": c.ca, "server_hostname": "localhost"}, ssl.SSLCertificateError))
    assert "certificate verify failed" in str(error)
    assert isinstance(error, stdssl.SSLError)


def test_untrusted_by_the_system_store_by_default(c):
    """No ca_certs: the system's store, which does not know the test CA."""
    error = run(client_against(c, {"certfile": c.cert, "keyfile": c.key},
                               {"server_hostname": "localhost"}, ssl.SSLCertificateError))
    assert "certificate verify failed" in str(error)


def test_wrong_host_name(c):
    error = run(client_against(c, {"certfile": c.other_cert, "keyfile": c.other_key},
                               {"ca_certs": c.ca, "server_hostname": "localhost"},
                               ssl.SSLCertificateError))
    assert "localhost" in str(error) or "mismatch" in str(error).lower()


def test_wrong_host_name_with_a_context(c):
    run(client_against(c, {"context": server_context(c, c.other_cert, c.other_key)},
                       {"context": client_context(c), "server_hostname": "localhost"},
                       ssl.SSLCertificateError))


def test_expired_certificate(c):
    error = run(client_against(c, {"certfile": c.expired_cert, "keyfile": c.expired_key},
                               {"ca_certs": c.ca, "server_hostname": "localhost"},
                               ssl.SSLCertificateError))
    if sys.version_info >= (3, 7):       # 2.7's message gives no reason
        assert "expired" in str(error)


def test_protocol_mismatch(c):
    server = tls13_only(server_context(c))
    client = at_most(client_context(c), "TLSv1_2")
    error = run(client_against(c, {"context": server},
                               {"context": client, "server_hostname": "localhost"},
                               ssl.SSLError))
    assert not isinstance(error, ssl.SSLCertificateError)


def test_server_requires_a_client_certificate(c):
    @idiokit.stream
    def without_cert():
        accepted, client = yield tcp_pair()
        serving = ssl.wrap_socket(accepted, server_side=True, certfile=c.cert, keyfile=c.key,
                                  require_cert=True, ca_certs=c.ca, timeout=PROMPT)
        try:     # TLS 1.3: the client's handshake ends first; its next read fails
            tls_client = yield ssl.wrap_socket(client, ca_certs=c.ca,
                                               server_hostname="localhost", timeout=PROMPT)
        except ssl.SSLError:
            pass
        else:
            yield expect_failure(tls_client.recv(10, timeout=PROMPT), ssl.SSLError)
            yield tls_client.close()
        error = yield expect_failure(serving, ssl.SSLError)
        assert "certificate" in str(error)
    run(without_cert())

    @idiokit.stream
    def with_cert():
        accepted, client = yield tcp_pair()
        serving = ssl.wrap_socket(accepted, server_side=True, certfile=c.cert, keyfile=c.key,
                                  require_cert=True, ca_certs=c.ca, timeout=PROMPT)
        tls_client = yield ssl.wrap_socket(client, certfile=c.client_cert,
                                           keyfile=c.client_key, ca_certs=c.ca,
                                           server_hostname="localhost", timeout=PROMPT)
        tls_server = yield serving
        cert = yield tls_server.getpeercert()
        yield tls_client.close()
        yield tls_server.close()
        idiokit.stop(dict(x[0] for x in cert["subject"])["commonName"])
    assert run(with_cert()) == "idiokit client"


@idiokit.stream
def bad_server(behaviour):
    """A plain listener that misbehaves with the first connection."""
    lsock = yield listener()
    address = yield lsock.getsockname()
    idiokit.stop(lsock, address, _misbehave(lsock, behaviour))


@idiokit.stream
def _misbehave(lsock, behaviour):
    conn, _ = yield lsock.accept(timeout=PROMPT)
    yield lsock.close()
    try:
        yield behaviour(conn)
    finally:
        yield conn.close()


@idiokit.stream
def send_garbage(conn):
    yield conn.recv(1024, timeout=PROMPT)
    yield conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" + b"\x00garbage" * 100)


@idiokit.stream
def stay_silent(conn):
    yield conn.recv(1024, timeout=PROMPT)
    yield idiokit.sleep(PROMPT)


@idiokit.stream
def close_mid_handshake(conn):
    yield conn.recv(1024, timeout=PROMPT)


@pytest.mark.parametrize("behaviour, classes", [
    (send_garbage, ssl.SSLError),
    (close_mid_handshake, (ssl.SSLError, socket.SocketError)),
])
def test_client_against_a_broken_server(c, behaviour, classes):
    @idiokit.stream
    def main():
        lsock, address, peer = yield bad_server(behaviour)
        sock = socket.Socket()
        yield sock.connect(address, timeout=PROMPT)
        yield expect_failure(ssl.wrap_socket(sock, ca_certs=c.ca, server_hostname="localhost",
                                             timeout=PROMPT), classes)
        yield settle(peer)
        assert sock.closed
    run(main())


def test_silent_server_times_out(c):
    @idiokit.stream
    def main():
        lsock, address, peer = yield bad_server(stay_silent)
        sock = socket.Socket()
        yield sock.connect(address, timeout=PROMPT)
        start = time.time()
        with pytest.raises(socket.SocketTimeout):
            yield ssl.wrap_socket(sock, ca_certs=c.ca, server_hostname="localhost",
                                  timeout=0.3)
        assert 0.25 < time.time() - start < PROMPT
        yield peer
    run(main())


def test_a_handshake_without_any_timeout_gets_the_default_one(c, monkeypatch):
    monkeypatch.setattr(ssl, "HANDSHAKE_TIMEOUT", 0.3)

    @idiokit.stream
    def main():
        accepted, client = yield tcp_pair()          # the client says nothing
        assert accepted.gettimeout() is None
        start = time.time()
        with pytest.raises(socket.SocketTimeout):
            yield ssl.wrap_socket(accepted, server_side=True, certfile=c.cert, keyfile=c.key)
        assert 0.25 < time.time() - start < PROMPT
        assert accepted.closed
        yield client.close()
    run(main())


def test_reset_mid_transfer_seen_by_the_reader(c):
    @idiokit.stream
    def main():
        accepted, client = yield tcp_pair()
        serving = ssl.wrap_socket(accepted, server_side=True, certfile=c.cert, keyfile=c.key,
                                  timeout=PROMPT)
        tls_client = yield ssl.wrap_socket(client, ca_certs=c.ca, server_hostname="localhost",
                                           timeout=PROMPT)
        tls_server = yield serving
        yield tls_server.sendall(b"partial" * 1000)
        yield rst(tls_server)
        tls_server._tls_close_notify = lambda: None
        yield tls_server.close()
        got = 0
        with pytest.raises(socket.SocketError) as info:      # SSLError or ECONNRESET
            while True:
                data = yield tls_client.recv(65536, timeout=PROMPT)
                assert data, "a reset must not read as a clean end of data"
                got += len(data)
        yield tls_client.close()
        idiokit.stop(info.value)
    run(main())


# ---- one server, bad peers and good ones in turn ----------------------------------------------

@idiokit.stream
def tls_echo_server(lsock, c, count, outcomes):
    """Accept `count` connections, each served on its own (handshake under
    1 s); record each one's outcome: "ok" or the exception's class name."""
    handlers = []
    for _ in range(count):
        conn, _ = yield lsock.accept(timeout=20)
        handlers.append(_serve_one(conn, c, outcomes))
    for handler in handlers:
        yield handler


@idiokit.stream
def _serve_one(conn, c, outcomes):
    try:
        tls = yield ssl.wrap_socket(conn, server_side=True, certfile=c.cert, keyfile=c.key,
                                    timeout=1.0)
    except socket.SocketError as error:
        outcomes.append(type(error).__name__)
        return
    try:
        while True:
            data = yield tls.recv(65536, timeout=5)
            if not data:
                break
            yield tls.sendall(data)
        outcomes.append("ok")
    except socket.SocketError as error:
        outcomes.append(type(error).__name__)
    finally:
        yield tls.close()


@idiokit.stream
def good_client(address, c):
    sock = socket.Socket()
    yield sock.connect(address, timeout=PROMPT)
    tls = yield ssl.wrap_socket(sock, ca_certs=c.ca, server_hostname="localhost", timeout=PROMPT)
    yield tls.sendall(b"hello")
    got = yield tls.recv(100, timeout=PROMPT)
    yield tls.close()
    idiokit.stop(got)


@idiokit.stream
def plain_peer(address, behaviour):
    sock = socket.Socket()
    try:
        yield sock.connect(address, timeout=PROMPT)
        yield behaviour(sock)
    finally:
        yield sock.close()


@idiokit.stream
def garbage_peer(sock):
    yield sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
    try:
        yield sock.recv(1024, timeout=PROMPT)
    except socket.SocketError:
        pass


@idiokit.stream
def silent_peer(sock):
    yield idiokit.sleep(1.5)


@idiokit.stream
def half_hello_peer(sock):
    # the first bytes of a TLS record carrying a ClientHello, then close
    yield sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")


@idiokit.stream
def reset_mid_transfer_peer(address, c):
    sock = socket.Socket()
    yield sock.connect(address, timeout=PROMPT)
    tls = yield ssl.wrap_socket(sock, ca_certs=c.ca, server_hostname="localhost",
                                timeout=PROMPT)
    yield tls.sendall(b"x" * 100000)
    yield rst(tls)
    tls._tls_close_notify = lambda: None
    yield tls.close()


@idiokit.stream
def untrusting_peer(address, c):
    sock = socket.Socket()
    yield sock.connect(address, timeout=PROMPT)
    try:
        yield ssl.wrap_socket(sock, server_hostname="localhost", timeout=PROMPT)
    except ssl.SSLCertificateError:
        pass


@idiokit.stream
def old_protocol_peer(address, c):
    sock = socket.Socket()
    yield sock.connect(address, timeout=PROMPT)
    context = at_most(client_context(c), "TLSv1_1")
    try:
        yield ssl.wrap_socket(sock, context=context, server_hostname="localhost",
                              timeout=PROMPT)
    except ssl.SSLError:
        pass


def test_server_keeps_serving_through_every_failure(c):
    @idiokit.stream
    def main():
        lsock = yield listener()
        address = yield lsock.getsockname()
        outcomes = []
        bad = [
            lambda: plain_peer(address, garbage_peer),
            lambda: plain_peer(address, silent_peer),
            lambda: plain_peer(address, half_hello_peer),
            lambda: reset_mid_transfer_peer(address, c),
            lambda: untrusting_peer(address, c),
            lambda: old_protocol_peer(address, c),
        ]
        server = tls_echo_server(lsock, c, 2 * len(bad) + 1, outcomes)
        replies = []
        for make_bad in bad:
            peer = make_bad()
            replies.append((yield good_client(address, c)))    # served meanwhile
            yield peer
        replies.append((yield good_client(address, c)))
        yield server
        yield lsock.close()
        idiokit.stop(replies, outcomes)
    replies, outcomes = run(main())
    assert replies == [b"hello"] * 7
    assert outcomes.count("ok") == 7
    failures = sorted(o for o in outcomes if o != "ok")
    assert len(failures) == 6
    assert set(failures) <= set(["SSLError", "SSLCertificateError", "SocketTimeout",
                                 "SocketError"]), failures
    assert "SocketTimeout" in failures          # the silent peer, after 1 s
