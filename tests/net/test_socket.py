# tests/net/test_socket.py: idiokit.socket over real sockets on 127.0.0.1:
# every method, timeouts, TCP/UDP/Unix, IPv4/IPv6, close while waiting,
# cancellation without loss (checklist F1, F2, C1, C2), half-close, resets,
# slow and partial peers (N1, N2, N3).
from __future__ import absolute_import

import ctypes
import errno
import os
import socket as stdsocket
import sys
import tempfile
import threading
import time

import pytest

import idiokit
from idiokit import socket
from idiokit.timer import timeout, Timeout

from support.util import run, returning
from support.peers import (listener, tcp_pair, idiokit_and_raw_pair,
                           reset_on_close, recv_exactly, full_listener, fill_send_buffer)


def closing(*socks):
    @idiokit.stream
    def _close():
        for sock in socks:
            yield sock.close()
    return _close()


# ---- the module's surface --------------------------------------------------------

def test_exception_classes_and_constants():
    assert issubclass(socket.SocketError, IOError)
    for cls in (socket.SocketTimeout, socket.SocketGAIError, socket.SocketHError):
        assert issubclass(cls, socket.SocketError)
    for name in ("AF_INET", "AF_INET6", "AF_UNIX", "SOCK_DGRAM", "SOL_SOCKET",
                 "SO_REUSEADDR", "SOMAXCONN", "SHUT_RDWR"):
        assert getattr(socket, name) == getattr(stdsocket, name)
    assert not [n for n in dir(socket) if n.startswith("SSL_")]


def test_properties_fileno_and_default_timeout():
    sock = socket.Socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        assert (sock.family, sock.type, sock.proto) == (socket.AF_INET, socket.SOCK_DGRAM, 0)
        assert sock.fileno() >= 0
        assert sock.gettimeout() is None
        sock.settimeout(2.5)
        assert sock.gettimeout() == 2.5
        sock.settimeout(-1)          # negative: 0, as everywhere (docs/socket.rst)
        assert sock.gettimeout() == 0.0
        with pytest.raises(ValueError):
            sock.settimeout(float("nan"))
    finally:
        run(sock.close())


# ---- TCP -------------------------------------------------------------------------------

def echo_roundtrip(family, host):
    @idiokit.stream
    def main():
        a, b = yield tcp_pair(family, host)
        try:
            assert (yield b.getpeername())[:2] == (yield a.getsockname())[:2]
            payload = os.urandom(300000)
            sending = b.sendall(payload)
            got = yield recv_exactly(a, len(payload))
            yield sending
            assert got == payload
            count = yield a.send(b"pong")
            assert count == 4
            buf = bytearray(10)
            n = yield b.recv_into(buf)
            assert bytes(buf[:n]) == b"pong"
            assert (yield a.recv(0)) == b""
        finally:
            yield closing(a, b)
    run(main())


def test_tcp_ipv4_echo_recv_send_sendall_recv_into():
    echo_roundtrip(socket.AF_INET, "127.0.0.1")


def have_ipv6():
    try:
        probe = stdsocket.socket(stdsocket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except (OSError, stdsocket.error):
        return False
    return True


def test_tcp_ipv6_echo():
    if not have_ipv6():
        pytest.skip("no IPv6 loopback on this machine")
    echo_roundtrip(socket.AF_INET6, "::1")


def test_recv_timeouts_per_call_and_default():
    @idiokit.stream
    def main():
        a, b = yield tcp_pair()
        try:
            start = time.time()
            with pytest.raises(socket.SocketTimeout):
                yield a.recv(10, timeout=0.05)
            assert time.time() - start < 10
            a.settimeout(0.05)
            with pytest.raises(socket.SocketTimeout):
                yield a.recv(10)
            with pytest.raises(socket.SocketTimeout):
                yield a.recv(10, timeout=0)      # poll once
            yield b.sendall(b"x")
            assert (yield a.recv(10, timeout=5)) == b"x"
        finally:
            yield closing(a, b)
    run(main())


def test_accept_timeout_and_accepted_socket_has_no_timeout():
    @idiokit.stream
    def main():
        lsock = yield listener()
        lsock.settimeout(3.0)
        try:
            with pytest.raises(socket.SocketTimeout):
                yield lsock.accept(timeout=0.05)
            client = socket.Socket()
            yield client.connect((yield lsock.getsockname()))
            conn, addr = yield lsock.accept()
            assert addr == (yield client.getsockname())
            assert conn.gettimeout() is None
            assert (conn.family, conn.type) == (socket.AF_INET, socket.SOCK_STREAM)
            yield closing(conn, client)
        finally:
            yield lsock.close()
    run(main())


def test_connect_refused_raises_socket_error():
    probe = stdsocket.socket()
    probe.bind(("127.0.0.1", 0))
    address = probe.getsockname()
    probe.close()
    sock = socket.Socket()
    try:
        with pytest.raises(socket.SocketError) as info:
            run(sock.connect(address, timeout=5))
        assert info.value.args[0] == errno.ECONNREFUSED
    finally:
        run(sock.close())


def test_connect_to_a_bad_host_raises_gai_error():
    sock = socket.Socket()
    try:
        with pytest.raises(socket.SocketGAIError):
            run(sock.connect(("no-such-host.invalid", 80), timeout=5))
    finally:
        run(sock.close())


def test_send_rejects_text():
    @idiokit.stream
    def main():
        a, b = yield tcp_pair()
        try:
            with pytest.raises(TypeError):
                yield a.sendall(u"text")
            with pytest.raises(TypeError):
                yield a.send(u"text")
        finally:
            yield closing(a, b)
    run(main())


def test_recv_arguments_by_position_and_keyword():
    @idiokit.stream
    def main():
        a, b = yield tcp_pair()
        try:
            yield a.sendall(data=b"hello", flags=0, timeout=5)
            assert (yield b.recv(bufsize=2, timeout=None)) == b"he"
            assert (yield b.recv(3, 0, 5.0)) == b"llo"
            buf = bytearray(8)
            yield a.send(b"abcd", 0)
            assert (yield b.recv_into(buf, nbytes=2, timeout=5)) == 2
            assert bytes(buf[:2]) == b"ab"
            for call, text in [(lambda: b.recv(), "missing required argument 'bufsize'"),
                               (lambda: b.recv(1, bogus=1), "unexpected keyword argument 'bogus'"),
                               (lambda: b.recv(1, 0, None, 4), "at most 3 arguments"),
                               (lambda: b.recv(1, bufsize=2), "multiple values for argument"),
                               (lambda: a.sendall(), "argument"),   # 2.7: a Python wrapper
                               (lambda: b.recv_into(), "missing required argument 'buffer'"),
                               (lambda: b.recv(1, timeout="x"), "None or a number")]:
                with pytest.raises((TypeError, ValueError)) as info:
                    call()
                assert text in str(info.value)
            with pytest.raises(TypeError):
                b.recv("many")
        finally:
            yield closing(a, b)
    run(main())


def test_data_arriving_after_a_short_read_is_received():
    # After a short read, a recv started before the loop polls again may wait
    # for readiness instead of trying (socket.c learns which per socket): it
    # must still see what arrived in between, whichever way it goes, and
    # timeout=0 always tries at once.
    sock, raw = idiokit_and_raw_pair()
    try:
        @idiokit.stream
        def later(data):
            yield idiokit.sleep(0.01)
            raw.sendall(data)

        @idiokit.stream
        def main():
            raw.sendall(b"abc")
            assert (yield sock.recv(100, timeout=10)) == b"abc"     # short read
            raw.sendall(b"def")
            assert (yield sock.recv(100, timeout=10)) == b"def"     # tried: data
            for i in range(20):
                sender = later(b"%d" % i)
                assert (yield sock.recv(100, timeout=10)) == b"%d" % i   # EAGAIN, waited
                yield sender
                raw.sendall(b"x%d" % i)         # arrives before the next recv
                assert (yield sock.recv(100, timeout=10)) == b"x%d" % i
            raw.sendall(b"ghi")
            assert (yield sock.recv(100)) == b"ghi"
            raw.sendall(b"jkl")
            time.sleep(0.05)
            assert (yield sock.recv(100, timeout=0)) == b"jkl"      # tried at once
            buf = bytearray(100)
            raw.sendall(b"mn")
            assert (yield sock.recv_into(buf, timeout=10)) == 2
            raw.sendall(b"op")
            assert (yield sock.recv_into(buf, timeout=10)) == 2
            assert bytes(buf[:2]) == b"op"
            with pytest.raises(socket.SocketTimeout):
                yield sock.recv(100, timeout=0.05)                  # nothing left
        run(main())
    finally:
        run(sock.close())
        raw.close()


def test_non_waiting_methods_work_and_raise_socket_errors():
    """bind, listen, getsockname, getpeername, getsockopt, setsockopt and
    shutdown are streams; their stdlib errors come out as SocketError with
    the errno."""
    @idiokit.stream
    def main():
        a = socket.Socket()
        b = socket.Socket()
        try:
            bind = a.bind(("127.0.0.1", 0))
            assert isinstance(bind, idiokit.Stream)
            assert (yield bind) is None
            yield a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            assert (yield a.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)) >= 65536
            assert (yield a.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)) == socket.SOCK_STREAM
            address = yield a.getsockname()
            with pytest.raises(socket.SocketError) as info:
                yield b.bind(address)
            assert info.value.args[0] == errno.EADDRINUSE
            with pytest.raises(socket.SocketError) as info:
                yield b.getpeername()
            assert info.value.args[0] == errno.ENOTCONN
            with pytest.raises(socket.SocketError) as info:
                yield b.shutdown(socket.SHUT_RDWR)
            assert info.value.args[0] == errno.ENOTCONN
            with pytest.raises(socket.SocketError) as info:
                yield b.getsockopt(socket.SOL_SOCKET, -12345)
            assert info.value.args[0] == errno.ENOPROTOOPT
            yield a.listen(1)
            yield b.connect(address, timeout=5)
            assert (yield b.getpeername()) == address
        finally:
            yield closing(a, b)
    run(main())


@idiokit.stream
def _drain():
    while True:            # end of input ends it with the upstream's result
        yield idiokit.next()


def test_an_operation_result_reads_the_same_everywhere():
    # A socket op keeps its one value without the (value,) args tuple that
    # other streams store; every reader of the result still sees those args.
    @idiokit.stream
    def main():
        a, b = yield tcp_pair()
        try:
            yield b.sendall(b"x")
            op = a.recv(10)
            assert (yield op) == b"x"
            assert (yield op) == b"x"                       # the stored result again
            assert op.result().unsafe_get() == (False, (b"x",))
            assert op._outcome() == (1, (b"x",))
            assert (yield op.fork()) == b"x"
            with pytest.raises(idiokit.BrokenPipe) as info:
                yield op.send("too late")
            assert info.value.args == (b"x",)

            yield b.sendall(b"y")
            assert (yield idiokit.sleep(0) | a.recv(10)) == b"y"     # a pipe's right side
            yield b.sendall(b"z")
            assert (yield a.recv(10) | _drain()) == b"z"             # end of input's args
            assert (yield b.sendall(b"w")) is None
            sent = b.sendall(b"v")
            yield sent
            assert sent.result().unsafe_get() == (False, ())
            yield recv_exactly(a, 2)
        finally:
            yield closing(a, b)
    run(main())


def test_reads_that_wait_deliver_through_every_kind_of_waiter():
    # A read that a task waits on directly is done in that task's turn; one
    # waited on through a pipe or a fork is done when the poll reports
    # readiness.  Either way the data arrives whole, and a second reader
    # queued behind the first gets the next data.
    @idiokit.stream
    def later(sock, data):
        yield idiokit.sleep(0.02)
        yield sock.sendall(data)

    @idiokit.stream
    def main():
        a, b = yield tcp_pair()
        try:
            later(b, b"direct")
            assert (yield a.recv(100)) == b"direct"
            later(b, b"piped")
            assert (yield a.recv(100) | _drain()) == b"piped"
            later(b, b"forked")
            assert (yield a.recv(100).fork()) == b"forked"
            first, second = a.recv(3), a.recv(100)
            later(b, b"onetwo")
            assert (yield first) == b"one"
            assert (yield second) == b"two"
        finally:
            yield closing(a, b)
    run(main())


# ---- every waiting method: per-call timeout, default timeout, poll, override ----------

def abstract_unix_name(tag):
    """An address in Linux's abstract Unix namespace (no file to clean up)."""
    return "\0idiokit-test-%d-%s" % (os.getpid(), tag)


@idiokit.stream
def blocked_accept():
    lsock = yield listener()
    address = yield lsock.getsockname()

    @idiokit.stream
    def unblock(make):
        client = stdsocket.create_connection(address, timeout=10)
        conn, addr = yield make(timeout=10)
        assert addr == client.getsockname()
        yield conn.close()
        client.close()
    idiokit.stop(lsock, lambda **kw: lsock.accept(**kw), unblock, [lsock], [])


@idiokit.stream
def blocked_connect():
    blocked, fillers = full_listener()
    sock = socket.Socket()
    address = blocked.getsockname()
    yield idiokit.sleep(0)
    # Nothing unblocks it: the listener's queue stays full (connect_ex then says EALREADY).
    idiokit.stop(sock, lambda **kw: sock.connect(address, **kw), None, [sock],
                 [blocked] + fillers)


@idiokit.stream
def blocked_recv(into):
    a, b = yield tcp_pair()
    buf = bytearray(16)

    def make(**kw):
        return a.recv_into(buf, **kw) if into else a.recv(16, **kw)

    @idiokit.stream
    def unblock(make):
        yield b.sendall(b"data")
        got = yield make(timeout=10)
        assert (bytes(buf[:got]) if into else got) == b"data"
    idiokit.stop(a, make, unblock, [a, b], [])


@idiokit.stream
def udp_pair(family=socket.AF_INET, host="127.0.0.1"):
    """Two UDP sockets bound to host; the caller closes them."""
    a = socket.Socket(family, socket.SOCK_DGRAM)
    b = socket.Socket(family, socket.SOCK_DGRAM)
    try:
        yield a.bind((host, 0))
        yield b.bind((host, 0))
    except BaseException:
        yield closing(a, b)
        raise
    idiokit.stop(a, b)


@idiokit.stream
def blocked_recvfrom():
    a, b = yield udp_pair()
    address = yield a.getsockname()

    @idiokit.stream
    def unblock(make):
        yield b.sendto(b"data", address)
        data, addr = yield make(timeout=10)
        assert data == b"data"
        assert addr == (yield b.getsockname())
    idiokit.stop(a, lambda **kw: a.recvfrom(16, **kw), unblock, [a, b], [])


@idiokit.stream
def blocked_send(all):
    # A Unix stream pair: its send buffer stays full until the peer reads
    # (no late acks open it again, as they can on TCP).
    a, b = socket.socketpair()
    filled = yield fill_send_buffer(a)
    data = b"s" * 1000

    def make(**kw):
        return a.sendall(data, **kw) if all else a.send(data, **kw)

    @idiokit.stream
    def unblock(make):
        yield recv_exactly(b, filled)
        result = yield make(timeout=10)
        assert result == (None if all else len(data))
        assert (yield recv_exactly(b, len(data))) == data
    idiokit.stop(a, make, unblock, [a, b], [])


@idiokit.stream
def blocked_sendto():
    # Unix datagrams: the sender blocks while the receiver's queue is full.
    name = abstract_unix_name("sendto")
    r = socket.Socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    w = socket.Socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    yield r.bind(name)
    yield w.connect(name)
    queued = 0
    while True:
        try:
            yield w.sendto(b"q", name, timeout=0)
            queued += 1
        except socket.SocketTimeout:
            break

    @idiokit.stream
    def unblock(make):
        assert (yield r.recvfrom(16, timeout=10))[0] == b"q"
        assert (yield make(timeout=10)) == 4
        for _ in range(queued - 1):
            assert (yield r.recvfrom(16, timeout=10))[0] == b"q"
        assert (yield r.recvfrom(16, timeout=10))[0] == b"last"
    idiokit.stop(w, lambda **kw: w.sendto(b"last", name, **kw), unblock, [r, w], [])


BLOCKED = {
    "accept": blocked_accept,
    "connect": blocked_connect,
    "recv": lambda: blocked_recv(False),
    "recv_into": lambda: blocked_recv(True),
    "recvfrom": blocked_recvfrom,
    "send": lambda: blocked_send(False),
    "sendall": lambda: blocked_send(True),
    "sendto": blocked_sendto,
}


@pytest.mark.parametrize("method", sorted(BLOCKED))
def test_every_waiting_method_times_out_per_call_by_default_and_when_polled(method):
    """Each waiting method, blocked: a per-call timeout, the socket's default
    (settimeout) and timeout=0 (try once) raise SocketTimeout; an explicit
    per-call timeout (None or longer) overrides the default; a timed-out call
    leaves nothing queued, and the same call then succeeds once unblocked."""
    @idiokit.stream
    def main():
        sock, make, unblock, socks, raws = yield BLOCKED[method]()
        try:
            with pytest.raises(socket.SocketTimeout):
                yield make(timeout=0.05)
            with pytest.raises(socket.SocketTimeout):
                yield make(timeout=0)
            sock.settimeout(0.05)
            with pytest.raises(socket.SocketTimeout):
                yield make()
            for override in (None, 30):
                # The default would raise SocketTimeout after 0.05 s; the
                # call's own timeout wins, so only the outer Timeout ends it.
                with pytest.raises(Timeout):
                    yield timeout(0.3, make(timeout=override))
            assert sock.waiting == 0
            sock.settimeout(None)
            if unblock is not None:
                yield unblock(make)
            assert sock.waiting == 0
        finally:
            yield closing(*socks)
            for raw in raws:
                raw.close()
    run(main())


def test_sendall_timeout_covers_the_whole_call_not_each_wait():
    """A reader drains steadily, so every wait of the sendall is short; the
    timeout still ends the call once it has run that long in total, and the
    reader gets exactly the bytes op.sent reports."""
    sock, raw = idiokit_and_raw_pair()
    received = []
    try:
        raw.setsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_RCVBUF, 16384)

        def reader():
            while True:
                data = raw.recv(16384)
                if not data:
                    return
                received.append(data)
                time.sleep(0.005)
        thread = threading.Thread(target=reader)
        thread.start()
        payload = os.urandom(64 * 1024 * 1024)     # ~20 s at the reader's pace
        op = sock.sendall(payload, timeout=0.3)
        start = time.time()
        with pytest.raises(socket.SocketTimeout):
            run(op)
        assert time.time() - start < 10
        assert 0 < op.sent < len(payload)
        run(sock.shutdown(socket.SHUT_WR))
        thread.join(30)
        assert b"".join(received) == payload[:op.sent]
    finally:
        run(sock.close())
        raw.close()


def test_large_reads_are_exact_whatever_their_size_and_end_cleanly():
    # Reads larger than recv's stack buffer go on into a bytes object of the
    # size asked for (sockcalls.c): sizes above, at and below the amount
    # waiting, a bufsize smaller than it, then end of input.
    sock, raw = idiokit_and_raw_pair()
    try:
        payload = os.urandom(3 * 1024 * 1024)

        def writer():
            raw.sendall(payload)
            raw.shutdown(stdsocket.SHUT_WR)
        thread = threading.Thread(target=writer)
        thread.start()

        @idiokit.stream
        def main():
            chunks, sizes = [], [262144, 100000, 40000, 70000, 262144 * 2]
            while True:
                bufsize = sizes[len(chunks) % len(sizes)]
                data = yield sock.recv(bufsize, timeout=30)
                if not data:
                    break
                assert len(data) <= bufsize
                chunks.append(data)
            idiokit.stop(chunks)
        chunks = run(main())
        thread.join()
        assert b"".join(chunks) == payload
        assert max(len(c) for c in chunks) > 32 * 1024
        assert run(sock.recv(65536, timeout=1)) == b""         # end of input stays
    finally:
        run(sock.close())
        raw.close()


def recv_lock_step(sock, raw, message, bufsize=4096):
    """raw sends message; sock receives it whole, whatever the reads' split.
    Returns the chunks the reads gave."""
    raw.sendall(message)

    @idiokit.stream
    def gather():
        chunks = []
        while sum(len(c) for c in chunks) < len(message):
            data = yield sock.recv(bufsize, timeout=10)
            assert data and len(data) <= bufsize
            chunks.append(data)
        idiokit.stop(chunks)
    chunks = run(gather())
    assert b"".join(chunks) == message
    for chunk in chunks:      # each a proper bytes object, NUL-terminated for C callers
        if b"\0" not in chunk:
            assert ctypes.c_char_p(chunk).value == chunk
    return chunks


def test_reads_of_a_steady_size_then_other_sizes_lose_and_reorder_nothing():
    # Reads of one size in a row, then messages of that size, one byte more,
    # much more, less, and end of input: nothing is lost or reordered (an
    # earlier core guessed the next size from the last ones).
    sock, raw = idiokit_and_raw_pair()
    try:
        def settle(size):
            for i in range(3):
                assert recv_lock_step(sock, raw, pattern(size, i)) == [pattern(size, i)]

        settle(1000)
        assert recv_lock_step(sock, raw, pattern(1000, 7)) == [pattern(1000, 7)]
        assert recv_lock_step(sock, raw, pattern(1001, 8)) == [pattern(1001, 8)]
        settle(1000)
        recv_lock_step(sock, raw, pattern(3000, 9))
        settle(1000)
        assert recv_lock_step(sock, raw, pattern(10, 3)) == [pattern(10, 3)]
        settle(1000)
        recv_lock_step(sock, raw, pattern(200000, 4), bufsize=65536)
        settle(1000)
        assert recv_lock_step(sock, raw, pattern(1000, 5), bufsize=1000) == [pattern(1000, 5)]
        assert recv_lock_step(sock, raw, pattern(999, 6), bufsize=999) == [pattern(999, 6)]
        settle(1000)
        raw.shutdown(stdsocket.SHUT_WR)
        assert run(sock.recv(4096, timeout=5)) == b""
        assert run(sock.recv(4096, timeout=5)) == b""
    finally:
        run(sock.close())
        raw.close()


def test_large_reads_of_a_steady_size_then_other_sizes_lose_and_reorder_nothing():
    # The same with 64 KiB messages, larger than recv's stack buffer.  The kernel may split messages this large anywhere, so only the bytes
    # and their order are checked, over every kind of next message.
    sock, raw = idiokit_and_raw_pair()
    try:
        size = 65536
        for seed, length in enumerate([size] * 4 + [size + 1, size] * 3
                                      + [3 * size, size, size, size, 10, size, size, size,
                                         200000, size, size, size]):
            recv_lock_step(sock, raw, pattern(length, seed), bufsize=262144)
        raw.shutdown(stdsocket.SHUT_WR)
        assert run(sock.recv(262144, timeout=5)) == b""
    finally:
        run(sock.close())
        raw.close()


def test_peek_after_steady_reads_leaves_the_data_for_the_next_recv():
    sock, raw = idiokit_and_raw_pair()
    try:
        for i in range(3):
            recv_lock_step(sock, raw, pattern(500, i))
        raw.sendall(pattern(700, 1))

        @idiokit.stream
        def main():
            peeked = yield sock.recv(4096, stdsocket.MSG_PEEK, timeout=10)
            while len(peeked) < 700:
                peeked = yield sock.recv(4096, stdsocket.MSG_PEEK, timeout=10)
            got = b""
            while len(got) < 700:
                got += yield sock.recv(4096, timeout=10)
            idiokit.stop(peeked, got)
        assert run(main()) == (pattern(700, 1), pattern(700, 1))
    finally:
        run(sock.close())
        raw.close()


def pattern(size, seed):
    """size bytes without NUL, different for each seed."""
    unit = bytearray((seed * 7 + i) % 255 + 1 for i in range(256))
    return bytes((unit * (size // 256 + 1))[:size])


# ---- UDP and Unix sockets -----------------------------------------------------------------

def test_udp_sendto_recvfrom_with_timeout():
    @idiokit.stream
    def main():
        a, b = yield udp_pair()
        try:
            with pytest.raises(socket.SocketTimeout):
                yield a.recvfrom(100, timeout=0.05)
            assert (yield b.sendto(b"datagram", (yield a.getsockname()))) == 8
            data, addr = yield a.recvfrom(100, timeout=5)
            assert data == b"datagram"
            assert addr == (yield b.getsockname())
            yield a.sendto(b"back", 0, addr)
            assert (yield b.recvfrom(100, timeout=5))[0] == b"back"
        finally:
            yield closing(a, b)
    run(main())


def test_datagrams_of_a_steady_size_then_a_longer_one_arrive_whole():
    # A stream socket's read may stop anywhere, a datagram's may not: the
    # size-predicting read must not cut a longer datagram after equal ones.
    @idiokit.stream
    def main():
        a, b = yield udp_pair()
        try:
            yield b.connect((yield a.getsockname()))
            for size in (100, 100, 100, 100, 500, 100, 100, 100, 101, 50):
                yield b.send(pattern(size, size))
                assert (yield a.recv(4096, timeout=5)) == pattern(size, size)
        finally:
            yield closing(a, b)
    run(main())


def test_udp_ipv6_sendto_recvfrom():
    if not have_ipv6():
        pytest.skip("no IPv6 loopback on this machine")

    @idiokit.stream
    def main():
        a, b = yield udp_pair(socket.AF_INET6, "::1")
        try:
            yield b.sendto(b"six", (yield a.getsockname()))
            data, addr = yield a.recvfrom(100, timeout=5)
            assert data == b"six"
            assert addr[:2] == (yield b.getsockname())[:2]
        finally:
            yield closing(a, b)
    run(main())


def test_socketpair_and_unix_listener():
    path = os.path.join(tempfile.mkdtemp(), "sock")

    @idiokit.stream
    def main():
        x, y = socket.socketpair()
        lsock = socket.Socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client = socket.Socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            yield x.sendall(b"pair")
            assert (yield y.recv(10, timeout=5)) == b"pair"
            yield lsock.bind(path)
            yield lsock.listen(5)
            yield client.connect(path, timeout=5)
            conn, _ = yield lsock.accept(timeout=5)
            yield client.sendall(b"unix")
            assert (yield conn.recv(10, timeout=5)) == b"unix"
            yield conn.close()
        finally:
            yield closing(x, y, lsock, client)
    try:
        run(main())
    finally:
        os.unlink(path)
        os.rmdir(os.path.dirname(path))


def test_fromfd_duplicates_and_leaves_the_callers_fd_open():
    raw_a, raw_b = stdsocket.socketpair()
    try:
        sock = socket.fromfd(raw_a.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)
        assert sock.fileno() != raw_a.fileno()
        run(sock.sendall(b"dup"))
        run(sock.close())
        os.fstat(raw_a.fileno())            # still open
        raw_a.sendall(b"!")
        assert raw_b.recv(10) == b"dup!"
    finally:
        raw_a.close()
        raw_b.close()


# ---- bad arguments (F4) -------------------------------------------------------------------

def outcome(call):
    """The exception class a call raises, at once or when its stream is run
    (None if it succeeds)."""
    try:
        result = call()
        if isinstance(result, idiokit.Stream):
            run(result)
    except Exception as error:
        return type(error)
    return None


def check_outcomes(cases):
    wrong = []
    for name, call, expected in cases:
        got = outcome(call)
        if got is None or not issubclass(got, expected):
            wrong.append("%s: expected %s, got %s" % (name, expected, got))
    assert not wrong, "\n".join(wrong)
    assert run(returning("alive")) == "alive"


SOCKERR = socket.SocketError


def test_bad_arguments_to_every_method_raise_clean_errors():
    """F4: wrong types, None, negative, huge and closed fds, huge sizes: a
    TypeError, ValueError, OverflowError (as the stdlib gives for
    out-of-range integers) or SocketError, at the call or from its stream;
    never a crash, a hang or a leak."""
    sock = socket.Socket()
    udp = socket.Socket(socket.AF_INET, socket.SOCK_DGRAM)
    rfd, wfd = os.pipe()
    os.close(rfd)
    os.close(wfd)
    closed_fd = socket._core.IoSocket(None, rfd)
    try:
        check_outcomes([
            ("recv()", lambda: sock.recv(), TypeError),
            ("recv(None)", lambda: sock.recv(None), TypeError),
            ("recv('x')", lambda: sock.recv("x"), TypeError),
            ("recv(2**64)", lambda: sock.recv(2 ** 64), OverflowError),
            ("recv(2**31) unconnected", lambda: sock.recv(2 ** 31, timeout=0), SOCKERR),
            ("recv(1, 'x')", lambda: sock.recv(1, "x"), TypeError),
            ("recv(1, 2**40)", lambda: sock.recv(1, 2 ** 40), OverflowError),
            ("recv(timeout='x')", lambda: sock.recv(1, timeout="x"), TypeError),
            ("recv(timeout=nan)", lambda: sock.recv(1, timeout=float("nan")), ValueError),
            ("recv_into(None)", lambda: sock.recv_into(None), TypeError),
            ("recv_into(buf, -1)", lambda: sock.recv_into(bytearray(4), -1), ValueError),
            ("recv(-1)", lambda: sock.recv(-1), ValueError),
            ("recv_into(buf, 2**31)", lambda: sock.recv_into(bytearray(4), 2 ** 31, timeout=0),
             ValueError),
            ("recv_into(buf, 5)", lambda: sock.recv_into(bytearray(4), 5), ValueError),
            ("send(None)", lambda: sock.send(None), TypeError),
            ("send(5)", lambda: sock.send(5), TypeError),
            ("sendall(None)", lambda: sock.sendall(None), TypeError),
            ("sendall(b'x', 'x')", lambda: sock.sendall(b"x", "x"), TypeError),
            ("send unconnected", lambda: sock.send(b"x", timeout=0), SOCKERR),
            ("sendto(b'x', None)", lambda: udp.sendto(b"x", None), TypeError),
            ("sendto(u'x', addr)", lambda: udp.sendto(u"x", ("127.0.0.1", 9)), TypeError),
            ("sendto(b'x', 'x', addr)", lambda: udp.sendto(b"x", "x", ("127.0.0.1", 9)),
             TypeError),
            ("recvfrom('x')", lambda: udp.recvfrom("x"), TypeError),
            ("recvfrom(None)", lambda: udp.recvfrom(None), TypeError),
            ("recvfrom(-1)", lambda: udp.recvfrom(-1), ValueError),
            ("recvfrom(timeout=nan)", lambda: udp.recvfrom(1, timeout=float("nan")), ValueError),
            ("recvfrom(timeout='x')", lambda: udp.recvfrom(1, timeout="x"), TypeError),
            ("connect(None)", lambda: sock.connect(None), TypeError),
            ("connect(port 'x')", lambda: sock.connect(("127.0.0.1", "x")), TypeError),
            ("connect(port -1)", lambda: sock.connect(("127.0.0.1", -1)), OverflowError),
            ("accept(timeout=nan)", lambda: sock.accept(timeout=float("nan")), ValueError),
            ("accept unlistened", lambda: sock.accept(timeout=0), SOCKERR),
            ("bind(None)", lambda: sock.bind(None), TypeError),
            ("listen('x')", lambda: sock.listen("x"), TypeError),
            ("shutdown(99)", lambda: sock.shutdown(99), SOCKERR),
            ("setsockopt()", lambda: sock.setsockopt(), TypeError),
            ("getsockopt(None, None)", lambda: sock.getsockopt(None, None), TypeError),
            ("settimeout('x')", lambda: sock.settimeout("x"), TypeError),
            ("settimeout(nan)", lambda: sock.settimeout(float("nan")), ValueError),
            ("timeout = 'x'", lambda: setattr(sock, "timeout", "x"), TypeError),
            ("Socket(999)", lambda: socket.Socket(999), SOCKERR),
            ("Socket(AF_INET, 999)", lambda: socket.Socket(socket.AF_INET, 999), SOCKERR),
            ("Socket('x')", lambda: socket.Socket("x"), TypeError),
            ("fromfd(-1)", lambda: socket.fromfd(-1, socket.AF_INET, socket.SOCK_STREAM),
             SOCKERR),
            ("fromfd(closed)", lambda: socket.fromfd(rfd, socket.AF_INET, socket.SOCK_STREAM),
             SOCKERR),
            ("IoSocket()", lambda: socket._core.IoSocket(), TypeError),
            ("IoSocket(None, -1)", lambda: socket._core.IoSocket(None, -1), ValueError),
            ("IoSocket(None, 'x')", lambda: socket._core.IoSocket(None, "x"), TypeError),
            ("IoSocket(None, 2**40)", lambda: socket._core.IoSocket(None, 2 ** 40),
             OverflowError),
            ("IoSocket(closed fd).recv", lambda: closed_fd.recv(1, timeout=1), SOCKERR),
            ("IoSocket(closed fd).send", lambda: closed_fd.send(b"x", timeout=1), SOCKERR),
            ("IoSocket(huge fd).recv", lambda: socket._core.IoSocket(None, 10 ** 6).recv(1),
             SOCKERR),
        ])
        assert sock.gettimeout() is None and sock.waiting == 0
        assert run(sock.recv(0)) == b""
        assert run(sock.recv_into(bytearray(0))) == 0
    finally:
        run(closing(sock, udp))


def test_every_method_of_a_closed_socket_raises_socket_error():
    sock = socket.Socket()
    udp = socket.Socket(socket.AF_INET, socket.SOCK_DGRAM)
    run(closing(sock, udp))
    assert sock.fileno() == -1 and sock.closed
    check_outcomes([(name, call, SOCKERR) for name, call in [
        ("recv", lambda: sock.recv(1)),
        ("recv_into", lambda: sock.recv_into(bytearray(1))),
        ("send", lambda: sock.send(b"x")),
        ("sendall", lambda: sock.sendall(b"x")),
        ("accept", lambda: sock.accept()),
        ("connect", lambda: sock.connect(("127.0.0.1", 9))),
        ("recvfrom", lambda: udp.recvfrom(1)),
        ("sendto", lambda: udp.sendto(b"x", ("127.0.0.1", 9))),
        ("bind", lambda: sock.bind(("127.0.0.1", 0))),
        ("listen", lambda: sock.listen(1)),
        ("getsockname", lambda: sock.getsockname()),
        ("getpeername", lambda: sock.getpeername()),
        ("getsockopt", lambda: sock.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)),
        ("setsockopt", lambda: sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)),
        ("shutdown", lambda: sock.shutdown(socket.SHUT_RDWR)),
    ]])


class Uninitialised(socket.Socket):
    def __init__(self):
        pass                    # never calls socket.Socket.__init__


def test_a_subclass_that_skips_init_is_a_closed_socket_for_the_c_methods():
    sock = Uninitialised()
    assert sock.fileno() == -1
    check_outcomes([(name, call, SOCKERR) for name, call in [
        ("recv", lambda: sock.recv(1)),
        ("recv_into", lambda: sock.recv_into(bytearray(1))),
        ("send", lambda: sock.send(b"x")),
        ("sendall", lambda: sock.sendall(b"x")),
    ]])
    run(sock.close())


def test_recv_into_a_read_only_buffer_raises_type_error():
    sock = socket.Socket()
    try:
        check_outcomes([
            ("recv_into(bytes)", lambda: sock.recv_into(b"abcd"), TypeError),
            ("recv_into(memoryview(bytes))", lambda: sock.recv_into(memoryview(b"abcd")),
             TypeError),
        ])
    finally:
        run(sock.close())


def test_a_subclass_that_skips_init_is_a_closed_socket_for_every_method():
    sock = Uninitialised()
    try:
        check_outcomes([(name, call, SOCKERR) for name, call in [
            ("accept", lambda: sock.accept()),
            ("connect", lambda: sock.connect(("127.0.0.1", 9))),
            ("recvfrom", lambda: sock.recvfrom(1)),
            ("sendto", lambda: sock.sendto(b"x", ("127.0.0.1", 9))),
            ("bind", lambda: sock.bind(("127.0.0.1", 0))),
            ("getsockname", lambda: sock.getsockname()),
            ("family", lambda: sock.family),
        ]])
        assert "closed" in repr(sock)
    finally:
        run(sock.close())


# ---- close and lifecycle (F1, F2, F3) ----------------------------------------------------------

def test_close_wakes_every_waiter_promptly_and_the_fd_number_is_reused_cleanly():
    @idiokit.stream
    def main():
        a, b = yield tcp_pair()
        lsock = yield listener()
        waiting_recv = a.recv(10)
        waiting_accept = lsock.accept()
        blocked_send = a.sendall(b"x" * (64 * 1024 * 1024))   # b never reads
        yield idiokit.sleep(0.05)
        start = time.time()
        yield closing(a, lsock)
        for waiter in (waiting_recv, waiting_accept, blocked_send):
            with pytest.raises(socket.SocketError) as info:
                yield waiter
            assert info.value.args[0] == errno.EBADF
            assert "closed" in info.value.args[1]
        assert time.time() - start < 5
        yield b.close()
        # New sockets (likely with the same fd numbers) get no stale events.
        c, d = yield tcp_pair()
        yield d.sendall(b"fresh")
        assert (yield c.recv(10, timeout=5)) == b"fresh"
        with pytest.raises(socket.SocketTimeout):
            yield c.recv(10, timeout=0.05)
        yield closing(c, d)
    run(main())


def test_close_wakes_a_connect_in_flight():
    """F1 for connect: a connect still in flight (the listener's queue is
    full) gets SocketError(EBADF, "... closed") once another task closes
    the socket."""
    blocked, fillers = full_listener()
    try:
        @idiokit.stream
        def main():
            sock = socket.Socket()
            connecting = sock.connect(blocked.getsockname())
            yield idiokit.sleep(0.02)
            assert sock.waiting == 1
            yield sock.close()
            with pytest.raises(socket.SocketError) as info:
                yield connecting
            assert info.value.args[0] == errno.EBADF
            assert "closed" in info.value.args[1]
        run(main())
    finally:
        blocked.close()
        for filler in fillers:
            filler.close()


def test_socket_dropped_without_close_closes_its_fd():
    """F3: a Socket dropped without close() closes its fd (through the stdlib
    socket it owns, which warns with ResourceWarning on Python 3); so does
    an accepted one."""
    import gc
    import warnings

    @idiokit.stream
    def make_and_drop():
        a, b = yield tcp_pair()
        fds = (a.fileno(), b.fileno())
        idiokit.stop(fds)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fds = run(make_and_drop())
        for _ in range(3):
            gc.collect()
    for fd in fds:
        with pytest.raises(OSError) as info:
            os.fstat(fd)
        assert info.value.errno == errno.EBADF
    if sys.version_info[0] >= 3:
        assert len([w for w in caught if w.category is ResourceWarning]) >= 2  # noqa: F821


def test_use_after_close_and_double_close():
    sock = socket.Socket()
    run(sock.close())
    run(sock.close())
    with pytest.raises(socket.SocketError) as info:
        run(sock.recv(10))
    assert info.value.args[0] == errno.EBADF


def test_cancelled_op_on_a_user_socket_never_closes_its_fd_twice():
    """F2: the user's stdlib socket is wrapped; a recv is cancelled; the
    wrapper closes the user's socket once; a victim reusing the fd number
    keeps working."""
    user = stdsocket.socket()
    lsock = stdsocket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(5)
    user.connect(lsock.getsockname())
    peer, _ = lsock.accept()
    sock = socket.Socket(_sock=user)
    with pytest.raises(Timeout):
        run(timeout(0.05, sock.recv(10)))
    number = user.fileno()
    run(sock.close())
    victim = stdsocket.socket()
    try:
        victim.connect(lsock.getsockname())
        victim_peer, _ = lsock.accept()
        if victim.fileno() == number:
            os.fstat(victim.fileno())
        victim.sendall(b"victim")
        assert victim_peer.recv(10) == b"victim"
        victim_peer.close()
        user.close()                         # the user's own close is harmless
        os.fstat(victim.fileno())
    finally:
        victim.close()
        peer.close()
        lsock.close()


# ---- cancellation loses nothing (C1, C2) ----------------------------------------------------------

def test_cancelled_recv_then_retry_loses_no_byte():
    rounds = 300

    @idiokit.stream
    def main():
        a, b = yield tcp_pair()
        try:
            expected = []
            got = []
            for i in range(rounds):
                try:
                    data = yield timeout(0.001 * (i % 3), a.recv(4096))
                    got.append(data)
                except Timeout:
                    pass
                chunk = (u"%d," % i).encode("ascii")
                expected.append(chunk)
                if i % 2:
                    b.sendall(chunk)          # arrives while nobody waits
                else:
                    yield b.sendall(chunk)
            yield b.close()
            while True:
                data = yield a.recv(4096, timeout=10)
                if not data:
                    break
                got.append(data)
            assert b"".join(got) == b"".join(expected)
        finally:
            yield a.close()
    run(main())


def test_a_waiting_signal_keeps_data_read_at_once_and_meets_a_completed_sendall():
    # A throw that waits for the stream: a recv that completed at once still
    # gives its data (the signal waits for the next yield); a sendall that
    # completed at once has its data out, and the signal is raised there.
    class Stop(Exception):
        pass

    log = []

    @idiokit.stream
    def worker(a):
        log.append((yield a.recv(4096)))
        try:
            yield a.sendall(b"pong")
        except Stop:
            log.append("stopped at sendall")

    @idiokit.stream
    def main():
        a, b = yield tcp_pair()
        try:
            yield b.sendall(b"ping")
            yield idiokit.sleep(0.05)          # "ping" is waiting in a's queue
            w = worker(a)
            w.throw(Stop())                    # waits: w has not taken a step
            yield w
            assert (yield b.recv(4096, timeout=10)) == b"pong"
        finally:
            yield a.close()
            yield b.close()

    run(main())
    assert log == [b"ping", "stopped at sendall"]


def test_two_sendalls_on_one_socket_never_interleave():
    size = 2 * 1024 * 1024          # far more than the socket buffers hold

    @idiokit.stream
    def read_all(sock, total):
        got = []
        count = 0
        while count < total:
            data = yield sock.recv(65536, timeout=10)
            assert data
            got.append(data)
            count += len(data)
        idiokit.stop(b"".join(got))

    @idiokit.stream
    def main():
        a, b = yield tcp_pair()
        try:
            first = a.sendall(b"a" * size)
            second = a.sendall(b"b" * size)   # queues behind the first
            got = yield read_all(b, 2 * size)
            yield first
            yield second
            idiokit.stop(got)
        finally:
            yield a.close()
            yield b.close()

    assert run(main()) == b"a" * size + b"b" * size


def test_a_signal_that_interrupts_close_still_closes_the_socket():
    class Stop(Exception):
        pass

    log = []

    @idiokit.stream
    def closer(sock):
        try:
            yield sock.close()
        except Stop:
            log.append("stopped")
        log.append(sock.fileno())

    @idiokit.stream
    def main():
        a, b = yield tcp_pair()
        try:
            c = closer(a)
            c.throw(Stop())                    # waits for closer's first step
            yield c
        finally:
            yield b.close()

    run(main())
    assert log == ["stopped", -1]


def test_cancelled_accept_loses_no_connection():
    @idiokit.stream
    def main():
        lsock = yield listener()
        client = socket.Socket()
        try:
            with pytest.raises(Timeout):
                yield timeout(0.02, lsock.accept())
            yield client.connect((yield lsock.getsockname()), timeout=5)
            conn, _ = yield lsock.accept(timeout=5)
            yield client.sendall(b"kept")
            assert (yield conn.recv(10, timeout=5)) == b"kept"
            yield conn.close()
        finally:
            yield closing(lsock, client)
    run(main())


def test_accept_cancelled_as_a_client_arrives_loses_no_connection():
    """C2: accept is interrupted just as a client's connection becomes
    acceptable (before the loop polls, in the turn after, or once the accept
    has finished); the connection is then either the interrupted accept's
    result or still waiting for the next accept, and no fd is leaked (the
    leak guard counts them)."""
    @idiokit.stream
    def main():
        lsock = yield listener()
        address = yield lsock.getsockname()
        outcomes = set()
        try:
            for i in range(50):
                accepting = lsock.accept()
                yield idiokit.sleep(0)
                client = stdsocket.create_connection(address, timeout=10)
                if i % 3 == 1:
                    yield idiokit.sleep(0)       # the watcher may fire first
                elif i % 3 == 2:
                    yield idiokit.sleep(0.02)    # the accept has finished
                accepting.throw(Timeout())
                try:
                    conn, _ = yield accepting
                    outcomes.add("returned")
                except Timeout:
                    conn, _ = yield lsock.accept(timeout=10)
                    outcomes.add("kept")
                client.sendall(str(i).encode("ascii"))
                assert (yield conn.recv(10, timeout=10)) == str(i).encode("ascii")
                yield conn.close()
                client.close()
            assert lsock.waiting == 0
            assert outcomes == set(["kept", "returned"])
        finally:
            yield lsock.close()
    run(main())


def test_cancelled_sendall_reports_what_it_sent_and_sends_nothing_twice():
    sock, raw = idiokit_and_raw_pair()
    try:
        payload = os.urandom(32 * 1024 * 1024)
        op = sock.sendall(payload)
        with pytest.raises(Timeout):
            run(timeout(0.1, op))
        sent = op.sent
        assert 0 < sent < len(payload)
        run(sock.shutdown(socket.SHUT_WR))
        received = []
        raw.settimeout(10)
        while True:
            data = raw.recv(1 << 20)
            if not data:
                break
            received.append(data)
        assert b"".join(received) == payload[:sent]
    finally:
        run(sock.close())
        raw.close()


# ---- hostile peers (N1, N2, N3) ----------------------------------------------------------------------

def test_half_close_eof_is_sticky_and_send_still_works():
    sock, raw = idiokit_and_raw_pair()
    try:
        payload = os.urandom(1024 * 1024)

        def peer():
            raw.sendall(payload)
            raw.shutdown(stdsocket.SHUT_WR)
        thread = threading.Thread(target=peer)
        thread.start()
        got = run(recv_exactly(sock, len(payload) + 1))
        thread.join()
        assert got == payload
        for _ in range(3):
            assert run(sock.recv(100, timeout=5)) == b""
        run(sock.sendall(b"still open"))
        run(sock.shutdown(socket.SHUT_WR))
        raw.settimeout(10)
        assert raw.recv(100) == b"still open"
        assert raw.recv(100) == b""
    finally:
        run(sock.close())
        raw.close()


def test_reset_while_blocked_in_recv():
    sock, raw = idiokit_and_raw_pair()
    try:
        reset_on_close(raw)
        threading.Timer(0.05, raw.close).start()
        with pytest.raises(socket.SocketError) as info:
            run(sock.recv(100, timeout=10))
        assert info.value.args[0] == errno.ECONNRESET
    finally:
        run(sock.close())


def test_reset_in_the_middle_of_sendall_disturbs_nothing_else():
    @idiokit.stream
    def other_pair_echo():
        a, b = yield tcp_pair()
        for i in range(20):
            yield a.sendall(b"ping")
            assert (yield recv_exactly(b, 4)) == b"ping"
            yield idiokit.sleep(0.01)
        yield closing(a, b)

    sock, raw = idiokit_and_raw_pair()
    try:
        reset_on_close(raw)

        def peer():
            raw.recv(65536)          # read a little, then reset
            raw.close()
        threading.Timer(0.05, peer).start()

        @idiokit.stream
        def main():
            other = other_pair_echo()
            with pytest.raises(socket.SocketError) as info:
                yield sock.sendall(b"y" * (64 * 1024 * 1024), timeout=20)
            assert info.value.args[0] in (errno.ECONNRESET, errno.EPIPE)
            yield other
        run(main())
    finally:
        run(sock.close())


def test_slow_reader_gets_a_sendall_exactly():
    sock, raw = idiokit_and_raw_pair()
    try:
        payload = os.urandom(4 * 1024 * 1024)
        received = []

        def slow_reader():
            while True:
                data = raw.recv(256 * 1024)
                if not data:
                    return
                received.append(data)
                time.sleep(0.002)
        thread = threading.Thread(target=slow_reader)
        thread.start()
        run(sock.sendall(payload, timeout=60))
        run(sock.shutdown(socket.SHUT_WR))
        thread.join(60)
        assert b"".join(received) == payload
    finally:
        run(sock.close())
        raw.close()


def test_sendall_to_a_slow_reader_buffers_nothing_in_user_space():
    """N3: while a slow reader takes 8 MiB, the process's resident memory
    never grows by more than twice the payload (sendall sends from the
    caller's buffer: no copy, no queue of chunks)."""
    import hashlib
    page = os.sysconf("SC_PAGE_SIZE")

    def rss():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * page

    sock, raw = idiokit_and_raw_pair()
    try:
        payload = os.urandom(8 * 1024 * 1024)
        digest = hashlib.sha1()
        peak = [0]
        count = [0]

        def slow_reader():
            while True:
                data = raw.recv(65536)
                if not data:
                    return
                digest.update(data)
                count[0] += len(data)
                peak[0] = max(peak[0], rss())
                time.sleep(0.001)
        before = rss()
        thread = threading.Thread(target=slow_reader)
        thread.start()
        run(sock.sendall(payload, timeout=60))
        run(sock.shutdown(socket.SHUT_WR))
        thread.join(60)
        assert count[0] == len(payload)
        assert digest.hexdigest() == hashlib.sha1(payload).hexdigest()
        assert peak[0] - before < 2 * len(payload), (before, peak[0])
    finally:
        run(sock.close())
        raw.close()


def test_recv_returns_partial_data_from_a_byte_by_byte_writer():
    sock, raw = idiokit_and_raw_pair()
    try:
        raw.setsockopt(stdsocket.IPPROTO_TCP, stdsocket.TCP_NODELAY, 1)
        payload = os.urandom(20000)

        def writer():
            for i in range(len(payload)):
                raw.send(payload[i:i + 1])
            raw.shutdown(stdsocket.SHUT_WR)
        thread = threading.Thread(target=writer)
        thread.start()
        chunks = []
        while True:
            data = run(sock.recv(len(payload), timeout=30))
            if not data:
                break
            chunks.append(data)
        thread.join()
        assert b"".join(chunks) == payload
        assert len(chunks) > 1          # partial data was returned as it came
    finally:
        run(sock.close())
        raw.close()


def test_many_waiters_on_one_socket_are_served_in_order():
    @idiokit.stream
    def main():
        a, b = yield tcp_pair()
        try:
            waiters = [a.recv(1) for _ in range(5)]
            yield b.sendall(b"abcde")
            got = []
            for waiter in waiters:
                got.append((yield waiter))
            assert b"".join(got) == b"abcde"
        finally:
            yield closing(a, b)
    run(main())


def test_a_subclass_keeps_the_methods_it_overrides():
    # IoSocket.__init_subclass__ gives subclasses their own descriptors of the
    # C per-call methods; one a subclass (or a class between) defines itself
    # stays its own.
    class Mine(socket.Socket):
        def recv(self, bufsize, flags=0, timeout=None):
            return ("mine", bufsize)

    class Below(Mine):
        pass

    sock, raw = idiokit_and_raw_pair()
    mine = Below()
    try:
        assert mine.recv(5) == ("mine", 5)
        raw.sendall(b"real")
        assert run(socket.Socket.recv(sock, 4, timeout=10)) == b"real"
        with pytest.raises(socket.SocketError):        # inherited: the C send
            run(mine.send(b"x", timeout=0))
    finally:
        run(closing(sock, mine))
        raw.close()
