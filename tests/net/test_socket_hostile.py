# tests/net/test_socket_hostile.py: the socket findings of issue 22's hostile
# probing, each kept as a regression test: negative sizes, recv_into past
# its buffer, bind on a closed socket, and a failed sendall that must let go
# of its payload at once.
from __future__ import absolute_import

import errno
import gc
import weakref

import pytest

import idiokit
from idiokit import socket

from support.util import run
from support.peers import idiokit_and_raw_pair, reset_on_close


def test_negative_sizes_are_value_errors_at_the_call():
    sock, raw = idiokit_and_raw_pair()
    udp = socket.Socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for call in (lambda: sock.recv(-1), lambda: sock.recv(-1, 0, 0),
                     lambda: sock.recv_into(bytearray(4), -1), lambda: udp.recvfrom(-1)):
            with pytest.raises(ValueError) as info:
                call()
            assert "negative buffersize" in str(info.value)
        raw.sendall(b"kept")     # nothing was consumed by the refused calls
        assert run(sock.recv(4, timeout=10)) == b"kept"
    finally:
        run(sock.close())
        run(udp.close())
        raw.close()


def test_recv_into_more_than_the_buffer_holds_is_a_value_error():
    sock, raw = idiokit_and_raw_pair()
    try:
        buf = bytearray(4)
        with pytest.raises(ValueError):
            sock.recv_into(buf, 5)
        with pytest.raises(ValueError):
            sock.recv_into(memoryview(buf)[:2], 3)
        raw.sendall(b"abcdef")
        assert run(sock.recv_into(buf, 4, timeout=10)) == 4 and buf == bytearray(b"abcd")
    finally:
        run(sock.close())
        raw.close()


@pytest.mark.parametrize("name, args", [
    ("bind", (("127.0.0.1", 0),)),
    ("bind", (("no-such-host.invalid", 0),)),    # no lookup on a closed socket
    ("bind", ("not an address",)),
    ("listen", (5,)),
    ("getsockname", ()),
    ("setsockopt", (socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)),
])
def test_setup_calls_on_a_closed_socket_give_ebadf(name, args):
    sock = socket.Socket()
    run(sock.close())
    with pytest.raises(socket.SocketError) as info:
        run(getattr(sock, name)(*args))
    assert info.value.args == (errno.EBADF, "socket is closed")


class Payload(bytearray):
    """Data to send that can be watched (bytes take no weak references)."""


def test_a_sendall_failed_by_a_reset_lets_go_of_its_payload_at_once():
    # With the cyclic GC off, a finished operation must hold nothing of its
    # data: 20 sends of 10 MB failed by the peer's reset free each payload at
    # once, though the failed operation itself stays alive in a cycle (the
    # frame holds it, its exception's traceback holds the frame).
    gc.disable()
    watches = []

    def payload():
        data = Payload(10 * 1024 * 1024)
        watches.append(weakref.ref(data))
        return data

    try:
        for _ in range(20):
            sock, raw = idiokit_and_raw_pair()

            @idiokit.stream
            def main():
                sending = sock.sendall(payload(), timeout=10)
                yield idiokit.sleep(0)
                reset_on_close(raw)
                raw.close()
                try:
                    yield sending
                except socket.SocketError as error:
                    idiokit.stop(error.args[0])
            assert run(main()) in (errno.ECONNRESET, errno.EPIPE)
            assert watches[-1]() is None, "the failed sendall still holds its payload"
            run(sock.close())
    finally:
        gc.enable()


# IoSocket's operation methods share one argument parser (sockcalls.c's
# kinds[]): each takes its arguments positionally or by keyword, names
# itself in its errors, and consumes nothing when it refuses a call.
@pytest.mark.parametrize("name, args, kwargs, error", [
    ("recv", (), {}, "recv() missing required argument 'bufsize'"),
    ("recv", (4, 0, None, 1), {}, "recv() takes at most 3 arguments (4 given)"),
    ("recv", (4,), {"bufsize": 4}, "recv() got multiple values for argument 'bufsize'"),
    ("recv_into", (bytearray(4),), {"size": 4}, "recv_into() got an unexpected keyword"),
    ("sendall", (), {"flags": 0}, "sendall() missing required argument 'data'"),
    ("accept", (), {"timeout": 1}, "accept() missing required argument 'wrap'"),
    ("connect", (len, [("127.0.0.1", 1)]), {}, "connect() argument 'args' must be a tuple"),
    ("call", (0, len, []), {}, "call() argument 'args' must be a tuple"),
])
def test_op_methods_refuse_bad_arguments_by_name(name, args, kwargs, error):
    sock, raw = idiokit_and_raw_pair()
    try:
        with pytest.raises(TypeError) as info:
            getattr(socket._core.IoSocket, name)(sock, *args, **kwargs)
        assert error in str(info.value)
        assert sock.waiting == 0
        raw.sendall(b"kept")
        assert run(sock.recv(4, timeout=10)) == b"kept"
    finally:
        run(sock.close())
        raw.close()


def test_call_takes_its_arguments_by_keyword():
    sock, raw = idiokit_and_raw_pair()
    try:
        raw.sendall(b"by name")
        got = run(sock.call(write=0, func=sock._sock.recv, args=(7,), timeout=10))
        assert got == b"by name"
    finally:
        run(sock.close())
        raw.close()
