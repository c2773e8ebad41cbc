# tests/net/test_socket_turn_reads.py: when a read happens, under the one I/O model
# (src/sock.h): a read tries when it is made; one that would block waits,
# and readiness wakes the task waiting on it, which reads in its own turn.
# What a user can see of that, and that every kind of waiter, a read that
# finds nothing in its turn, timeouts, close and cancellation still work,
# on a socket whose reads are large (16 KiB, past recv's stack buffer).
from __future__ import absolute_import

import array
import errno
import fcntl
import gc
import socket as stdsocket
import termios
import time

import pytest

import idiokit
from idiokit import socket

from support.util import run
from support.peers import idiokit_and_raw_pair, pair  # noqa: F401 (a fixture)

LARGE = 16384


@idiokit.stream
def _drain():
    while True:            # end of input ends it with the upstream's result
        yield idiokit.next()


@pytest.fixture
def large_reader(pair):
    """(idiokit socket, stdlib peer); the idiokit side's last read was 16 KiB."""
    sock, raw = pair
    raw.sendall(b"L" * LARGE)
    got = b""
    while len(got) < LARGE:
        got += run(sock.recv(65536, timeout=10))
    assert got == b"L" * LARGE
    raw.sendall(b"L" * LARGE)              # once more, as one read
    assert run(sock.recv(65536, timeout=10)) == b"L" * LARGE
    return pair


def waiting_bytes(sock):
    """How many bytes wait in sock's receive queue (FIONREAD), unread."""
    count = array.array("i", [0])
    fcntl.ioctl(sock.fileno(), termios.FIONREAD, count, True)
    return count[0]


def send_and_wait_arrival(raw, sock, data):
    """raw sends data; returns once it waits in sock's queue."""
    before = waiting_bytes(sock)
    raw.sendall(data)
    deadline = time.time() + 10
    while waiting_bytes(sock) < before + len(data):
        assert time.time() < deadline, "the data did not arrive"
        time.sleep(0.001)


def recv_while_the_peer_sends_more(sock, raw):
    """What one recv returns when "first," waits at the call and a task that
    runs before the reader's turn sends "second"."""
    send_and_wait_arrival(raw, sock, b"first,")

    @idiokit.stream
    def peer_sends_more():
        send_and_wait_arrival(raw, sock, b"second")
        yield idiokit.sleep(0)

    @idiokit.stream
    def main():
        reading = sock.recv(65536, timeout=10)
        peer_sends_more()
        idiokit.stop((yield reading))
    return run(main())


def test_a_large_read_takes_what_waits_when_it_is_made(large_reader):
    # The read is made at the call: data sent after it, before the reader's
    # turn, waits for the next read (an earlier core deferred large reads).
    sock, raw = large_reader
    assert recv_while_the_peer_sends_more(sock, raw) == b"first,"
    assert run(sock.recv(65536, timeout=10)) == b"second"


def test_a_small_socket_reads_when_called():
    sock, raw = idiokit_and_raw_pair()
    try:
        raw.sendall(b"x" * 100)
        assert run(sock.recv(65536, timeout=10)) == b"x" * 100
        assert recv_while_the_peer_sends_more(sock, raw) == b"first,"
        assert run(sock.recv(65536, timeout=10)) == b"second"
    finally:
        run(sock.close())
        raw.close()


def test_a_large_read_reaches_every_kind_of_waiter(large_reader):
    # A read left for a turn that no task takes (a pipe, a fork, the loop's
    # main stream, a read yielded only later) is done when the loop polls.
    sock, raw = large_reader
    raw.sendall(b"direct")
    assert run(sock.recv(65536, timeout=5)) == b"direct"
    raw.sendall(b"piped")
    assert run(sock.recv(65536, timeout=5) | _drain()) == b"piped"
    raw.sendall(b"forked")
    assert run(sock.recv(65536, timeout=5).fork()) == b"forked"
    raw.sendall(b"into")
    buf = bytearray(65536)
    assert run(sock.recv_into(buf, timeout=5)) == 4 and buf[:4] == b"into"

    @idiokit.stream
    def yielded_later():
        raw.sendall(b"later")
        reading = sock.recv(65536, timeout=5)
        yield idiokit.sleep(0.05)
        idiokit.stop((yield reading))
    assert run(yielded_later()) == b"later"


def test_a_large_read_that_finds_nothing_in_its_turn_waits_for_data(large_reader):
    sock, raw = large_reader

    @idiokit.stream
    def peer_sends_later():
        yield idiokit.sleep(0.05)
        raw.sendall(b"late")

    @idiokit.stream
    def main():
        peer_sends_later()
        idiokit.stop((yield sock.recv(65536, timeout=10)))
    assert run(main()) == b"late"
    assert idiokit._core._debug_stats()["watchers"] == 0


def test_a_large_read_times_out_then_the_data_waits_for_the_next(large_reader):
    sock, raw = large_reader
    with pytest.raises(socket.SocketTimeout):
        run(sock.recv(65536, timeout=0.05))
    raw.sendall(b"kept")
    assert run(sock.recv(65536, timeout=10)) == b"kept"


def test_a_waiting_read_cancelled_consumes_nothing(large_reader):
    # A throw that reaches the reader while its read waits cancels the read:
    # data that comes later is for the next recv.
    sock, raw = large_reader

    class Stop(Exception):
        pass

    @idiokit.stream
    def reader():
        try:
            data = yield sock.recv(65536, timeout=10)
        except Stop:
            raw.sendall(b"stays")
            idiokit.stop("stopped", (yield sock.recv(65536, timeout=10)))
        idiokit.stop("read", data)

    @idiokit.stream
    def main():
        r = reader()
        yield idiokit.sleep(0)       # r's first step: its read waits
        assert sock.waiting == 1
        r.throw(Stop())
        idiokit.stop((yield r))
    assert run(main()) == ("stopped", b"stays")


def test_closing_wakes_a_waiting_read(large_reader):
    # close() takes one loop turn (idiokit/socket.py): it fails the read that
    # waits meanwhile with EBADF, and data sent later is not read.
    sock, raw = large_reader

    @idiokit.stream
    def main():
        reading = sock.recv(65536, timeout=10)
        closing = sock.close()
        raw.sendall(b"unread")
        try:
            yield reading
        except socket.SocketError as error:
            yield closing
            idiokit.stop(error.args[0])
    assert run(main()) == errno.EBADF


def test_a_large_read_ends_cleanly_at_end_of_input(large_reader):
    sock, raw = large_reader
    raw.shutdown(stdsocket.SHUT_WR)
    assert run(sock.recv(65536, timeout=10)) == b""


def test_a_large_read_never_waited_on_is_let_go_with_its_socket(large_reader):
    # A read that is made and never yielded waits in the socket's queue like
    # any waiting operation.  Once run() has returned nothing else holds it:
    # closing the socket frees it, with no poll in between.
    sock, raw = large_reader
    gc.collect()                       # what earlier tests left for the collector
    streams = idiokit._core._debug_stats()["streams"]

    @idiokit.stream
    def main():
        sock.recv(65536)
        yield idiokit.sleep(0)
    run(main())
    assert sock.waiting == 1
    assert idiokit._core._debug_stats()["streams"] == streams + 1
    run(sock.close())
    assert idiokit._core._debug_stats()["streams"] == streams
