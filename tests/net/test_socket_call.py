# tests/net/test_socket_call.py: IoSocket.call(write, func, args, timeout=None,
# want_read=None, want_write=None), the retry loop the TLS layer stands on.
# func is a small fake here: it raises a custom exception until the socket
# has what it needs, the way an SSL object raises SSLWantReadError.
from __future__ import absolute_import

import errno
import socket as stdsocket

import pytest

import idiokit
from idiokit import socket

from support.util import run
from support.peers import pair  # noqa: F401 (a fixture)


class WantRead(Exception):
    pass


class WantWrite(Exception):
    pass


class Fake(object):
    """read(): the bytes waiting in sock, or WantRead while there are none;
    write(data): WantWrite `blocked` times first; counts the tries."""

    def __init__(self, sock, blocked=0):
        self.sock, self.blocked, self.tries = sock, blocked, 0

    def read(self):
        self.tries += 1
        try:
            return self.sock._sock.recv(100)
        except (BlockingIOError if str is not bytes else stdsocket.error) as error:
            if getattr(error, "errno", None) not in (errno.EAGAIN, errno.EWOULDBLOCK):
                raise
            raise WantRead()

    def write(self, data):
        self.tries += 1
        if self.blocked > 0:
            self.blocked -= 1
            raise WantWrite()
        return self.sock._sock.send(data)


def test_want_read_waits_for_readability_then_retries(pair):
    sock, raw = pair
    fake = Fake(sock)

    @idiokit.stream
    def peer_sends_later():
        yield idiokit.sleep(0.05)
        raw.sendall(b"hello")

    @idiokit.stream
    def main():
        peer_sends_later()
        data = yield sock.call(1, fake.read, (), 10, want_read=WantRead)
        idiokit.stop(data)
    assert run(main()) == b"hello"
    assert fake.tries == 2            # once at the call, once when readable
    assert sock.waiting == 0 and idiokit._core._debug_stats()["watchers"] == 0


def test_want_write_waits_for_writability_and_tuples_work(pair):
    sock, raw = pair
    fake = Fake(sock, blocked=2)
    sent = run(sock.call(0, fake.write, (b"abc",), 10, want_read=(KeyError, WantRead),
                         want_write=(WantWrite,)))
    assert sent == 3 and fake.tries == 3
    assert raw.recv(10) == b"abc"


def test_want_read_times_out_and_other_errors_fail_the_stream(pair):
    sock, _ = pair
    with pytest.raises(socket.SocketTimeout):
        run(sock.call(0, Fake(sock).read, (), 0.05, want_read=WantRead))

    def broken():
        raise KeyError("boom")
    with pytest.raises(KeyError):
        run(sock.call(0, broken, (), 1, want_read=WantRead))
    with pytest.raises(WantRead):     # not named: an error like any other
        run(sock.call(0, Fake(sock).read, (), 1))


def test_a_would_block_errno_waits_for_the_own_direction(pair):
    sock, raw = pair
    tries = []

    def read():
        tries.append(1)
        return sock._sock.recv(100)    # the stdlib's own would-block error

    @idiokit.stream
    def main():
        reading = sock.call(0, read, (), 10, want_write=WantWrite)
        raw.sendall(b"data")
        idiokit.stop((yield reading))
    assert run(main()) == b"data"


def test_bad_want_arguments_are_type_errors(pair):
    sock, _ = pair
    for bad in ("x", 1, (WantRead, "x"), WantRead()):
        with pytest.raises(TypeError):
            sock.call(0, len, ((),), want_read=bad)
        with pytest.raises(TypeError):
            sock.call(0, len, ((),), want_write=bad)
    assert sock.waiting == 0
