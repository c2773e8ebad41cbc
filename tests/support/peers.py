# tests/support/peers.py: socket fixtures for the idiokit.socket tests:
# listening sockets and connected pairs on 127.0.0.1, made with idiokit or
# with the stdlib (for peers that misbehave on purpose).
from __future__ import absolute_import

import socket as stdsocket
import struct

import pytest

import idiokit
from idiokit import socket

from support.util import run


@idiokit.stream
def listener(family=socket.AF_INET, host="127.0.0.1"):
    sock = socket.Socket(family, socket.SOCK_STREAM)
    yield sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    yield sock.bind((host, 0))
    yield sock.listen(128)
    idiokit.stop(sock)


@idiokit.stream
def tcp_pair(family=socket.AF_INET, host="127.0.0.1"):
    """(accepted, client): two connected idiokit sockets."""
    lsock = yield listener(family, host)
    address = yield lsock.getsockname()
    client = socket.Socket(family, socket.SOCK_STREAM)
    accepting = lsock.accept(timeout=10)
    yield client.connect(address, timeout=10)
    accepted, _ = yield accepting
    yield lsock.close()
    idiokit.stop(accepted, client)


def idiokit_and_raw_pair():
    """(idiokit socket, blocking stdlib socket) connected over TCP."""
    lsock = stdsocket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    sock = socket.Socket()
    run(sock.connect(lsock.getsockname(), timeout=10))
    raw, _ = lsock.accept()
    lsock.close()
    return sock, raw


@pytest.fixture
def pair():
    """Fixture: idiokit_and_raw_pair(), both closed afterwards (import it into
    a test module to use it)."""
    sock, raw = idiokit_and_raw_pair()
    try:
        yield sock, raw
    finally:
        run(sock.close())
        raw.close()


def reset_on_close(raw):
    """Make closing the stdlib socket `raw` send a RST."""
    raw.setsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_LINGER, struct.pack("ii", 1, 0))


def full_listener():
    """A stdlib listener whose accept queue is full, so a new connect stays in flight (the
    kernel drops its SYNs) until it is cancelled. Returns (listener, fillers)."""
    lsock = stdsocket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(0)
    fillers = []
    for _ in range(4):
        filler = stdsocket.socket()
        filler.setblocking(False)
        filler.connect_ex(lsock.getsockname())
        fillers.append(filler)
    return lsock, fillers


@idiokit.stream
def fill_send_buffer(sock):
    """Send with timeout=0 until the kernel takes no more: sock's send
    direction is then blocked until its peer reads. Returns the count sent."""
    total = 0
    chunk = b"f" * 65536
    while True:
        try:
            total += yield sock.send(chunk, timeout=0)
        except socket.SocketTimeout:
            idiokit.stop(total)


@idiokit.stream
def recv_exactly(sock, count, chunk=65536):
    parts = []
    left = count
    while left > 0:
        data = yield sock.recv(min(chunk, left), timeout=30)
        if not data:
            break
        parts.append(data)
        left -= len(data)
    idiokit.stop(b"".join(parts))
