# tests/net/test_socket_call_want.py: IoSocket.call's want_read/want_write
# keywords (the TLS layer's wait protocol): an op whose func raises an
# instance of want_read waits for readability and retries, whatever
# direction it was started in; want_write likewise for writability; the
# timeout covers the whole; other exceptions pass through; bad arguments are
# a TypeError.
from __future__ import absolute_import

import errno
import socket as stdsocket

import pytest

import idiokit
from idiokit import socket

from support.util import run
from support.peers import fill_send_buffer


class WantRead(Exception):
    pass


class WantWrite(Exception):
    pass


def would_block(error):
    return getattr(error, "errno", None) in (errno.EAGAIN, errno.EWOULDBLOCK)


def recv_or_want_read(raw, calls):
    def func():
        calls.append(1)
        try:
            return raw.recv(100)
        except stdsocket.error as error:
            if would_block(error):
                raise WantRead()
            raise
    return func


def test_a_write_op_that_wants_to_read_waits_for_readability():
    @idiokit.stream
    def main():
        a, b = socket.socketpair()
        calls = []
        op = a.call(1, recv_or_want_read(a._sock, calls), (), 5, want_read=WantRead)
        yield idiokit.sleep(0.05)
        tries = len(calls)          # one try, then waiting: no busy retrying
        yield b.sendall(b"ping")
        got = yield op
        yield a.close()
        yield b.close()
        idiokit.stop(tries, got)
    tries, got = run(main())
    assert tries == 1
    assert got == b"ping"


def test_a_read_op_that_wants_to_write_waits_for_writability():
    @idiokit.stream
    def main():
        a, b = socket.socketpair()
        yield fill_send_buffer(a)
        raw = a._sock

        def send_or_want_write():
            try:
                return raw.send(b"y")
            except stdsocket.error as error:
                if would_block(error):
                    raise WantWrite()
                raise
        op = a.call(0, send_or_want_write, (), 5, want_write=(WantWrite, KeyError))
        yield idiokit.sleep(0.05)
        drained = 0
        while drained < 1:
            drained += len((yield b.recv(1 << 20)))
        sent = yield op
        yield a.close()
        yield b.close()
        idiokit.stop(sent)
    assert run(main()) == 1


def test_timeout_covers_the_waits_and_other_errors_pass_through():
    @idiokit.stream
    def main():
        a, b = socket.socketpair()
        with pytest.raises(socket.SocketTimeout):
            yield a.call(1, recv_or_want_read(a._sock, []), (), 0.1, want_read=WantRead)

        def boom():
            raise ValueError("boom")
        with pytest.raises(ValueError):
            yield a.call(0, boom, (), 1, want_read=WantRead, want_write=WantWrite)
        with pytest.raises(TypeError):
            a.call(0, boom, (), 1, want_read=42)
        with pytest.raises(TypeError):
            a.call(0, boom, (), 1, want_nothing=WantRead)
        yield a.close()
        yield b.close()
    run(main())


def test_close_wakes_an_op_waiting_for_the_other_direction():
    @idiokit.stream
    def main():
        a, b = socket.socketpair()
        op = a.call(1, recv_or_want_read(a._sock, []), (), 5, want_read=WantRead)
        yield idiokit.sleep(0.01)
        yield a.close()
        with pytest.raises(socket.SocketError) as info:
            yield op
        yield b.close()
        idiokit.stop(info.value.args[0])
    assert run(main()) == errno.EBADF
