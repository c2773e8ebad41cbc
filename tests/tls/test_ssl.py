# tests/tls/test_ssl.py: idiokit.ssl over real TLS on 127.0.0.1 with certificates
# made by `openssl` (support/tlscerts.py): round trips over TCP, Unix sockets
# and socketpair, 16 MiB both ways at once, many concurrent connections,
# recv_into/send/getpeercert/unwrap/close_notify, timeouts, the SSLContext
# form, verification by default, and the original's helpers.
from __future__ import absolute_import

import hashlib
import os
import socket as stdsocket
import ssl as stdssl
import sys
import tempfile
import shutil

import pytest

import idiokit
from idiokit import socket, ssl

from support.util import run
from support.peers import listener, tcp_pair
from support.tlscerts import certs


@pytest.fixture(scope="module")
def c():
    return certs()


def server_tls(conn, c, **kwargs):
    kwargs.setdefault("certfile", c.cert)
    kwargs.setdefault("keyfile", c.key)
    return ssl.wrap_socket(conn, server_side=True, timeout=10, **kwargs)


def client_tls(conn, c, **kwargs):
    if "context" not in kwargs:
        kwargs.setdefault("ca_certs", c.ca)
    kwargs.setdefault("server_hostname", "localhost")
    return ssl.wrap_socket(conn, timeout=10, **kwargs)


@idiokit.stream
def tls_pair(c, pair=None, server_kwargs={}, client_kwargs={}):
    """(server side, client side): two SSLSockets over `pair` (default: TCP)."""
    if pair is None:
        pair = yield tcp_pair()
    accepted, client = pair
    serving = server_tls(accepted, c, **server_kwargs)
    try:
        tls_client = yield client_tls(client, c, **client_kwargs)
    except BaseException:
        try:
            yield serving      # fails too, the client having closed
        except socket.SocketError:
            pass
        raise
    tls_server = yield serving
    idiokit.stop(tls_server, tls_client)


@idiokit.stream
def recv_exactly(sock, count):
    chunks, got = [], 0
    while got < count:
        data = yield sock.recv(min(65536, count - got))
        if not data:
            break
        chunks.append(data)
        got += len(data)
    idiokit.stop(b"".join(chunks))


@idiokit.stream
def recv_all(sock):
    chunks = []
    while True:
        data = yield sock.recv(65536)
        if not data:
            idiokit.stop(b"".join(chunks))
        chunks.append(data)


@idiokit.stream
def echo_once(tls):
    """Echo until the peer ends, then close."""
    while True:
        data = yield tls.recv(65536)
        if not data:
            break
        yield tls.sendall(data)
    yield tls.close()


@idiokit.stream
def close_all(*socks):
    for sock in socks:
        yield sock.close()


# ---- round trips -----------------------------------------------------------------------

@idiokit.stream
def round_trip(tls_server, tls_client, payload=b"ping " * 1000):
    echo = echo_once(tls_server)
    yield tls_client.sendall(payload)
    back = yield recv_exactly(tls_client, len(payload))
    yield tls_client.close()
    yield echo
    idiokit.stop(back)


def test_round_trip_over_tcp_with_verification_and_peer_cert(c):
    @idiokit.stream
    def main():
        tls_server, tls_client = yield tls_pair(c)
        cert = yield tls_client.getpeercert()
        assert dict(x[0] for x in cert["subject"])["commonName"] == "localhost"
        der = yield tls_client.getpeercert(True)
        with open(c.cert) as pem:
            assert stdssl.DER_cert_to_PEM_cert(der).strip() == pem.read().strip()
        assert tls_client.version() in ("TLSv1.2", "TLSv1.3")
        back = yield round_trip(tls_server, tls_client)
        idiokit.stop(back)
    assert run(main()) == b"ping " * 1000


def test_round_trip_over_unix_socket(c):
    directory = tempfile.mkdtemp()
    path = os.path.join(directory, "tls.sock")

    @idiokit.stream
    def main():
        lsock = socket.Socket(socket.AF_UNIX)
        yield lsock.bind(path)
        yield lsock.listen(1)
        client = socket.Socket(socket.AF_UNIX)
        accepting = lsock.accept(timeout=10)
        yield client.connect(path, timeout=10)
        accepted, _ = yield accepting
        yield lsock.close()
        tls_server, tls_client = yield tls_pair(c, (accepted, client))
        back = yield round_trip(tls_server, tls_client, b"unix" * 5000)
        idiokit.stop(back)
    try:
        assert run(main()) == b"unix" * 5000
    finally:
        shutil.rmtree(directory)


def test_round_trip_over_socketpair(c):
    @idiokit.stream
    def main():
        left, right = socket.socketpair()
        tls_server, tls_client = yield tls_pair(c, (left, right),
                                                client_kwargs={"server_hostname": None})
        back = yield round_trip(tls_server, tls_client, b"pair")
        idiokit.stop(back)
    assert run(main()) == b"pair"


def test_16_mib_both_directions_at_once(c):
    size = 16 * 1024 * 1024
    a_data, b_data = os.urandom(size), os.urandom(size)

    @idiokit.stream
    def side(tls, data):
        sending = tls.sendall(data, timeout=60)
        got = yield recv_exactly(tls, size)
        yield sending
        idiokit.stop(hashlib.sha256(got).hexdigest())

    @idiokit.stream
    def main():
        tls_server, tls_client = yield tls_pair(c)
        one, two = side(tls_server, a_data), side(tls_client, b_data)
        got_by_server = yield one
        got_by_client = yield two
        yield close_all(tls_server, tls_client)
        idiokit.stop(got_by_server, got_by_client)
    got_by_server, got_by_client = run(main())
    assert got_by_server == hashlib.sha256(b_data).hexdigest()
    assert got_by_client == hashlib.sha256(a_data).hexdigest()


def test_many_concurrent_connections(c):
    count = 60

    @idiokit.stream
    def serve(lsock, n):
        handlers = []
        for _ in range(n):
            conn, _ = yield lsock.accept(timeout=20)
            handlers.append(serve_one(conn))
        for handler in handlers:
            yield handler

    @idiokit.stream
    def serve_one(conn):
        tls = yield server_tls(conn, c)
        yield echo_once(tls)

    @idiokit.stream
    def client(address, i):
        sock = socket.Socket()
        yield sock.connect(address, timeout=20)
        tls = yield client_tls(sock, c)
        payload = ("client %d " % i).encode("ascii") * (100 + i)
        yield tls.sendall(payload)
        back = yield recv_exactly(tls, len(payload))
        yield tls.close()
        idiokit.stop(back == payload)

    @idiokit.stream
    def main():
        lsock = yield listener()
        address = yield lsock.getsockname()
        server = serve(lsock, count)
        clients = [client(address, i) for i in range(count)]
        results = []
        for one in clients:
            results.append((yield one))
        yield server
        yield lsock.close()
        idiokit.stop(results)
    assert run(main()) == [True] * count


def test_recv_into_send_and_pending(c):
    @idiokit.stream
    def main():
        tls_server, tls_client = yield tls_pair(c)
        sent = yield tls_client.send(b"x" * 100000)
        assert sent == 16 * 1024             # at most one record's worth
        buf = bytearray(sent + 10)
        got = 0
        while got < sent:
            got += yield tls_server.recv_into(memoryview(buf)[got:], 0)
        assert bytes(buf[:sent]) == b"x" * sent
        yield tls_server.sendall(b"abcdef")
        first = yield tls_client.recv(2)     # the rest stays in OpenSSL's buffer
        assert first == b"ab"
        assert tls_client.pending() == 4
        rest = yield tls_client.recv(100, timeout=5)    # read without the fd being readable
        assert rest == b"cdef"
        assert (yield tls_client.recv(0)) == b""
        with pytest.raises(ValueError):
            tls_client.recv(10, 1)
        yield close_all(tls_server, tls_client)
    run(main())


def test_per_call_methods_arguments_and_results(c):
    """recv/recv_into/send/sendall are C methods (_core.TlsSocket): the
    arguments are checked at the call, and the results are those of the
    socket layer (sendall gives None, recv_into a count)."""
    @idiokit.stream
    def main():
        tls_server, tls_client = yield tls_pair(c)
        assert (yield tls_client.sendall(bytearray(b"ab"))) is None
        assert (yield tls_client.sendall(memoryview(b"xcdx")[1:3])) is None
        assert (yield tls_client.send(data=b"ef", timeout=5)) == 2
        assert (yield recv_exactly(tls_server, 6)) == b"abcdef"
        yield tls_client.sendall(b"0123456789")
        buf = bytearray(8)
        assert (yield tls_server.recv_into(buf, 3)) == 3        # nbytes bounds the read
        assert bytes(buf[:3]) == b"012"
        assert (yield tls_server.recv_into(buffer=buf, timeout=5)) == 7
        assert bytes(buf[:7]) == b"3456789"
        assert (yield tls_server.recv_into(bytearray())) == 0
        for call in (lambda: tls_client.send(u"text"), lambda: tls_client.sendall(u"text"),
                     lambda: tls_client.sendall(12), lambda: tls_server.recv_into(b"ro"),
                     lambda: tls_server.recv(), lambda: tls_server.recv(10, bogus=1),
                     lambda: tls_server.recv(10, timeout="soon")):
            with pytest.raises(TypeError):
                call()
        for call in (lambda: tls_client.send(b"x", 1), lambda: tls_client.sendall(b"x", 1),
                     lambda: tls_server.recv_into(buf, 0, 1), lambda: tls_server.recv(-1),
                     lambda: tls_server.recv_into(buf, -1)):
            with pytest.raises(ValueError):
                call()
        yield close_all(tls_server, tls_client)
        with pytest.raises(socket.SocketError):
            yield tls_server.recv(10)       # closed: EBADF, not a call into the ssl object
    run(main())


def test_subclasses_keep_the_c_methods_and_their_overrides(c):
    class Plain(ssl.SSLSocket):
        pass

    class Override(ssl.SSLSocket):
        def recv(self, bufsize):
            return "override"

    own_descriptors = sys.version_info[0] >= 3     # (2.7 has no __init_subclass__)
    for cls in (ssl.SSLSocket, Plain):
        for name in ("recv", "recv_into", "send", "sendall"):
            method = getattr(cls, name)
            assert "plaintext" in method.__doc__ or "16 KiB" in method.__doc__ or \
                "all of data" in method.__doc__          # the TLS one, not the plain socket's
            if own_descriptors:
                assert cls.__dict__[name].__objclass__ is cls
    assert Override.__dict__["recv"](None, 1) == "override"
    assert "16 KiB" in Override.send.__doc__
    if own_descriptors:
        assert Override.__dict__["send"].__objclass__ is Override


def test_buffered_plaintext_reaches_a_second_waiting_reader(c):
    """Two readers wait; one record arrives; the first takes part of it and
    the second gets the rest from OpenSSL's buffer, not from the fd."""
    @idiokit.stream
    def main():
        tls_server, tls_client = yield tls_pair(c)
        first = tls_client.recv(3, timeout=5)
        second = tls_client.recv(100, timeout=5)
        yield idiokit.sleep(0.05)
        yield tls_server.sendall(b"onetwothree")
        a = yield first
        b = yield second
        yield close_all(tls_server, tls_client)
        idiokit.stop(a, b)
    assert run(main()) == (b"one", b"twothree")


def test_close_sends_close_notify_and_ragged_eof_is_end_of_data(c):
    """A stdlib peer that treats a missing close_notify as an error sees
    ours; a stdlib peer that closes without one gives us a clean b""."""
    def stdlib_client(port, close_ragged):
        context = stdssl.create_default_context(cafile=c.ca)
        context.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF
        raw = stdsocket.create_connection(("127.0.0.1", port), timeout=10)
        tls = context.wrap_socket(raw, server_hostname="localhost",
                                  suppress_ragged_eofs=False)
        try:
            tls.sendall(b"hi")
            assert tls.recv(2) == b"ok"     # (the session tickets read too: a FIN, no RST)
            if close_ragged:
                return None
            return tls.recv(100)       # b"" only after a close_notify
        finally:
            tls.close()                # the stdlib sends no close_notify

    @idiokit.stream
    def one(close_ragged):
        lsock = yield listener()
        port = (yield lsock.getsockname())[1]
        peer = idiokit.thread(stdlib_client, port, close_ragged)
        conn, _ = yield lsock.accept(timeout=10)
        yield lsock.close()
        tls = yield server_tls(conn, c)
        assert (yield recv_exactly(tls, 2)) == b"hi"
        yield tls.sendall(b"ok")
        if close_ragged:
            yield peer
            assert (yield tls.recv(100, timeout=10)) == b""
            yield tls.close()
        else:
            yield tls.close()
            assert (yield peer) == b""
    run(one(False))
    run(one(True))


def test_ragged_eof_with_a_user_context_without_the_option(c):
    @idiokit.stream
    def main():
        context = stdssl.SSLContext(stdssl.PROTOCOL_TLS_CLIENT if hasattr(
            stdssl, "PROTOCOL_TLS_CLIENT") else stdssl.PROTOCOL_SSLv23)
        context.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF
        context.load_verify_locations(c.ca)
        context.verify_mode = stdssl.CERT_REQUIRED
        tls_server, tls_client = yield tls_pair(c, client_kwargs={"context": context})
        yield tls_server.sendall(b"bye")
        tls_server._tls_close_notify = lambda: None      # close without close_notify
        yield tls_server.close()
        got = yield recv_all(tls_client)
        yield tls_client.close()
        idiokit.stop(got)
    assert run(main()) == b"bye"


def test_unwrap_gives_back_the_plain_socket(c):
    @idiokit.stream
    def main():
        tls_server, tls_client = yield tls_pair(c)
        yield tls_client.sendall(b"secret")
        assert (yield recv_exactly(tls_server, 6)) == b"secret"
        unwrapping = tls_server.unwrap(timeout=10)
        plain_client = yield tls_client.unwrap(timeout=10)
        plain_server = yield unwrapping
        assert isinstance(plain_client, socket.Socket)
        assert tls_client.closed and tls_server.closed
        yield plain_client.sendall(b"in clear")
        got = yield plain_server.recv(100, timeout=10)
        yield close_all(plain_client, plain_server)
        idiokit.stop(got)
    assert run(main()) == b"in clear"


def test_timeouts_per_call_and_per_socket(c):
    @idiokit.stream
    def main():
        tls_server, tls_client = yield tls_pair(c)
        with pytest.raises(socket.SocketTimeout):
            yield tls_client.recv(10, timeout=0.1)
        tls_client.settimeout(0.1)
        assert tls_client.gettimeout() == 0.1
        with pytest.raises(socket.SocketTimeout):
            yield tls_client.recv(10)
        with pytest.raises(socket.SocketTimeout):
            yield tls_client.recv(10, timeout=0)
        yield tls_server.sendall(b"late")
        assert (yield tls_client.recv(10, timeout=5)) == b"late"   # still usable
        yield close_all(tls_server, tls_client)
    run(main())


def test_context_form_with_hostname_check(c):
    @idiokit.stream
    def main():
        context = stdssl.create_default_context(cafile=c.ca)
        tls_server, tls_client = yield tls_pair(c, client_kwargs={"context": context})
        back = yield round_trip(tls_server, tls_client, b"ctx")
        idiokit.stop(back)
    assert run(main()) == b"ctx"


def test_client_requires_server_hostname_with_a_checking_context(c):
    @idiokit.stream
    def main():
        accepted, client = yield tcp_pair()
        context = stdssl.create_default_context(cafile=c.ca)
        try:
            with pytest.raises(ValueError):
                yield ssl.wrap_socket(client, context=context)
        finally:
            yield close_all(accepted, client)
    run(main())


def test_bad_arguments(c):
    plain = stdsocket.socket()
    try:
        with pytest.raises(TypeError):
            ssl.wrap_socket(plain)
    finally:
        plain.close()
    sock = socket.Socket()
    try:
        with pytest.raises(ValueError):
            ssl.wrap_socket(sock, context=stdssl.create_default_context(), certfile=c.cert)
        with pytest.raises(ValueError):
            ssl.wrap_socket(sock, timeout=float("nan"))
        with pytest.raises(IOError):
            run(ssl.wrap_socket(sock, certfile="/nonexistent/cert.pem", server_side=True))
    finally:
        run(sock.close())


# ---- the original's helpers --------------------------------------------------------------

def test_exception_classes():
    assert issubclass(ssl.SSLError, socket.SocketError)
    assert issubclass(ssl.SSLError, stdssl.SSLError)
    assert issubclass(ssl.SSLCertificateError, ssl.SSLError)
    assert ssl.PROTOCOL_SSLv23 == stdssl.PROTOCOL_SSLv23
    assert ssl._SSLSocket is ssl.SSLSocket


def test_identities():
    assert ssl.identities({"subject": ((("commonName", "a"),),),
                           "subjectAltName": (("DNS", "x"),)}) == ["x"]
    assert ssl.identities({"subject": ((("commonName", "a"), ("commonName", "a.b")),)}) == ["a.b"]
    assert sorted(ssl.identities({"subjectAltName": (("DNS", "x"), ("DNS", "x.y"))})) == \
        ["x", "x.y"]
    assert ssl.identities({}) == []


@pytest.mark.parametrize("pattern, hostname, ok", [
    ("a.example.com", "a.example.com", True),
    ("A.Example.COM", "a.example.com", True),
    ("*.example.com", "www.example.com", True),
    ("*.example.com", "example.com", False),
    ("*.example.com", "a.b.example.com", False),
    ("w*.example.com", "www.example.com", True),
    ("w*.example.com", "xww.example.com", False),
    ("*w.example.com", "aw.example.com", True),
    ("w.example.com", "www2.example.com", False),     # the original's prefix bug
    ("w.example.com", "w.example.com.evil", False),
    ("www.*.com", "www.example.com", False),          # wildcards only in the leftmost label
    ("a.*", "a.b", False),
    ("*.com", "example.com", False),                  # needs two labels after it
    ("**.example.com", "a.example.com", False),
    ("*.example.com", "xn--bcher-kva.example.com", True),
    ("xn--*.example.com", "xn--bcher-kva.example.com", False),
])
def test_match_hostname_wildcards(pattern, hostname, ok):
    cert = {"subjectAltName": (("DNS", pattern),)}
    if ok:
        ssl.match_hostname(cert, hostname)
    else:
        with pytest.raises(ssl.SSLCertificateError):
            ssl.match_hostname(cert, hostname)


def test_match_hostname_messages_and_addresses():
    cert = {"subject": ((("commonName", "a"),),), "subjectAltName": (("DNS", "b"), ("DNS", "c"))}
    ssl.match_hostname(cert, "b")
    with pytest.raises(ssl.SSLCertificateError) as info:
        ssl.match_hostname(cert, "a")
    assert str(info.value) == "hostname 'a' doesn't match 'b' or 'c'"
    with pytest.raises(ssl.SSLCertificateError) as info:
        ssl.match_hostname({}, "x")
    assert "any hostname patterns" in str(info.value)
    ipcert = {"subjectAltName": (("DNS", "localhost"), ("IP Address", "127.0.0.1"))}
    ssl.match_hostname(ipcert, "127.0.0.1")
    with pytest.raises(ssl.SSLCertificateError):
        ssl.match_hostname(ipcert, "127.0.0.2")
    with pytest.raises(ssl.SSLCertificateError):    # a name never matches an address
        ssl.match_hostname({"subjectAltName": (("DNS", "127.0.0.1"),)}, "127.0.0.1")


def test_ca_certs(c):
    with ssl.ca_certs(c.ca) as path:
        assert path == c.ca
    with ssl.ca_certs() as path:
        assert os.path.isfile(path)
        context = stdssl.SSLContext(getattr(stdssl, "PROTOCOL_TLS_CLIENT",
                                            stdssl.PROTOCOL_SSLv23))
        context.load_verify_locations(path)
        assert context.cert_store_stats()["x509_ca"] > 0
