# tests/tls/test_ssl_asyncoro.py: TLS for idiokit.asyncoro.AsyncSocket with
# asyncoro's arguments (certfile/keyfile/ssl_version: the server's chain;
# a client's certfile is the CA it verifies against) and pycos's
# ssl_context, run the way asyncoro programs run (a child process with the
# scheduler thread); failures reach the coroutine as ssl.SSLError and
# the server goes on accepting; no fd is left open.
from __future__ import absolute_import

import pytest

from support.procs import expect_words
from support.tlscerts import certs

PRELUDE = """from __future__ import print_function
import os, socket, ssl, sys
import idiokit
from idiokit import asyncoro
from idiokit.asyncoro import Coro
CA, CERT, KEY, SELFSIGNED, OTHER, OTHER_KEY = sys.argv[1:7]

def fds():
    count = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink("/proc/self/fd/" + name).startswith("socket:")
        except OSError:
            pass
    return count

def _warm(coro=None):           # the scheduler's own fds exist before counting
    yield coro.sleep(0)
Coro(_warm).value(10)
"""


@pytest.fixture(scope="module")
def c():
    return certs()


def check(c, body, expect, timeout=30):
    expect_words(PRELUDE + body, expect, timeout=timeout,
                 args=[c.ca, c.cert, c.key, c.selfsigned_cert, c.other_cert, c.other_key])


def test_asyncoro_style_tls_server_and_client(c):
    check(c, """
def serve(lsock, coro=None):
    conn, addr = yield lsock.accept()      # the handshake is done here
    data = yield conn.recvall(10)
    yield conn.sendall(bytes(data).upper())
    msg = yield conn.recv_msg()
    yield conn.send_msg(msg[::-1])
    conn.settimeout(0.05)
    try:
        yield conn.recv(10)
    except socket.timeout:
        print("timeout")
    conn.close()

def client(address, coro=None):
    sock = asyncoro.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM),
                                certfile=CA)     # asyncoro: the client's CA bundle
    yield sock.connect(address)
    yield sock.sendall(b"helloworld")
    got = yield sock.recvall(10)
    yield sock.send_msg(b"abc")
    msg = yield sock.recv_msg()
    print(bytes(got).decode(), msg.decode(), sock.version() in ("TLSv1.2", "TLSv1.3"))
    yield coro.sleep(0.2)
    sock.close()

before = fds()
lsock = asyncoro.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM),
                             keyfile=KEY, certfile=CERT)
lsock.bind(("127.0.0.1", 0))
lsock.listen(5)
s = Coro(serve, lsock)
Coro(client, lsock.getsockname()).value(20)
s.value(20)
lsock.close()
print("fds", fds() - before)
""", "HELLOWORLD cba True timeout fds 0")


def test_pycos_style_ssl_context_with_host_name_check(c):
    check(c, """
def server_ctx(cert, key):
    context = ssl.SSLContext(getattr(ssl, "PROTOCOL_TLS_SERVER", ssl.PROTOCOL_SSLv23))
    context.load_cert_chain(cert, key)
    return context
client_ctx = ssl.create_default_context(cafile=CA)

def serve(lsock, coro=None):
    try:
        conn, addr = yield lsock.accept()
    except ssl.SSLError as error:
        print("server-saw-failure")
        return
    try:                        # (Python 2.7: the client checks the name after its handshake)
        data = yield conn.recv(100)
        if data:
            yield conn.sendall(data[::-1])
        else:
            print("server-saw-failure")
    except socket.error:
        print("server-saw-failure")
    conn.close()

def client(port, coro=None):
    sock = asyncoro.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM),
                                ssl_context=client_ctx)
    try:
        yield sock.connect(("localhost", port))
    except ssl.SSLError as error:
        print("client-refused", isinstance(error, ssl.CertificateError))
        return
    yield sock.sendall(b"stressed")
    print((yield sock.recv(100)).decode())
    sock.close()

before = fds()
for cert, key in ((CERT, KEY), (OTHER, OTHER_KEY)):    # the second: another host's name
    lsock = asyncoro.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM),
                                 ssl_context=server_ctx(cert, key))
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(5)
    s = Coro(serve, lsock)
    Coro(client, lsock.getsockname()[1]).value(20)
    s.value(20)
    lsock.close()
print("fds", fds() - before)
""", "desserts client-refused True server-saw-failure fds 0")


def test_untrusted_server_is_refused_and_the_server_goes_on(c):
    check(c, """
def serve(lsock, coro=None):
    for _ in range(2):
        try:
            conn, addr = yield lsock.accept()
        except ssl.SSLError as error:
            print("server-refused")
            continue
        yield conn.sendall(b"ok")
        conn.close()

def client(address, ca, coro=None):
    sock = asyncoro.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM),
                                certfile=ca)
    try:
        yield sock.connect(address)
    except ssl.SSLError as error:
        print("client-refused", "certificate verify failed" in str(error))
        return
    print((yield sock.recvall(2)).decode())
    sock.close()

before = fds()
lsock = asyncoro.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM),
                             keyfile=KEY, certfile=CERT)
lsock.bind(("127.0.0.1", 0))
lsock.listen(5)
s = Coro(serve, lsock)
Coro(client, lsock.getsockname(), SELFSIGNED).value(20)
Coro(client, lsock.getsockname(), CA).value(20)
s.value(20)
lsock.close()
print("fds", fds() - before)
""", "client-refused True server-refused ok fds 0")
