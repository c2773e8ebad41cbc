# tests/core/test_scope.py: cancel scopes in the generator spelling (every Python):
# move_on_after / fail_after / idiokit.timeout / CancelScope / shield, nested
# with trio's rule (the outermost cancelled scope catches), level-triggered
# cancellation, cancel() from another stream, sub-streams inside a scope; no
# data lost by a cancelled wait (a socket read on 127.0.0.1 consumes nothing,
# a sendall reports what it sent, a pipe message is not dropped); threads
# (the wait is abandoned, the thread's result dropped); asyncoro coroutines.
from __future__ import absolute_import

import random
import socket as stdsocket
import threading
import time

import pytest

import idiokit
from idiokit import Cancelled, Timeout, move_on_after, fail_after, CancelScope

from support.util import run
from support.peers import idiokit_and_raw_pair, fill_send_buffer, listener
from support.procs import run_py


# ---- the basics ---------------------------------------------------------------------

def test_move_on_after_moves_on_and_says_so():
    @idiokit.stream
    def main():
        start = time.time()
        with move_on_after(0.05) as scope:
            yield idiokit.sleep(5)
            assert False, "not reached"
        assert scope.cancelled_caught and scope.cancel_called
        assert time.time() - start < 2
        with move_on_after(5) as quiet:
            yield idiokit.sleep(0.01)
        assert not quiet.cancelled_caught and not quiet.cancel_called
        idiokit.stop("after")

    assert run(main()) == "after"


def test_fail_after_and_timeout_raise_timeout_only_past_the_deadline():
    @idiokit.stream
    def main():
        with pytest.raises(Timeout):
            with fail_after(0.02):
                yield idiokit.sleep(5)
        with pytest.raises(Timeout):
            with idiokit.timeout(0.02):
                yield idiokit.sleep(5)
        with fail_after(5):
            yield idiokit.sleep(0.01)
        with idiokit.timeout(5):
            yield idiokit.sleep(0.01)

    run(main())


def test_a_zero_deadline_and_a_scope_cancelled_before_entry_cancel_the_first_wait():
    log = []

    @idiokit.stream
    def main():
        with move_on_after(0) as zero:
            log.append("entered")
            yield idiokit.sleep(5)
            log.append("not reached")
        early = CancelScope()
        early.cancel()
        with early:
            yield idiokit.sleep(5)
            log.append("not reached")
        log.append((zero.cancelled_caught, early.cancelled_caught))

    run(main())
    assert log == ["entered", (True, True)]


def test_idiokit_timeout_with_a_stream_is_timer_timeout():
    @idiokit.stream
    def slow():
        yield idiokit.sleep(5)

    with pytest.raises(Timeout):
        run(idiokit.timeout(0.02, slow()))
    from idiokit.timer import timeout
    with pytest.raises(Timeout):
        run(timeout(0.02, slow()))


def test_bad_seconds_and_misuse_are_clear_errors():
    for bad in (-1, float("nan"), "1", None.__class__, True):
        with pytest.raises((TypeError, ValueError)):
            move_on_after(bad)
    with pytest.raises(RuntimeError, match="inside a running stream"):
        with move_on_after(1):
            pass

    @idiokit.stream
    def main():
        scope = move_on_after(1)
        with scope:
            yield idiokit.sleep(0)
        with pytest.raises(RuntimeError):
            with scope:
                pass
        outer, inner = move_on_after(1), move_on_after(1)
        outer.__enter__()
        inner.__enter__()
        with pytest.raises(RuntimeError, match="reverse order"):
            outer.__exit__(None, None, None)
        inner.__exit__(None, None, None)
        outer.__exit__(None, None, None)

    run(main())


# ---- nesting (trio's rule) -----------------------------------------------------------

def test_nested_outer_deadline_first_is_caught_by_the_outer_scope():
    log = []

    @idiokit.stream
    def main():
        with move_on_after(0.03) as outer:
            with move_on_after(5) as inner:
                yield idiokit.sleep(5)
            log.append("after inner: not reached")
        log.append((outer.cancelled_caught, inner.cancelled_caught))

    run(main())
    assert log == [(True, False)]


def test_nested_inner_deadline_first_then_the_outer_goes_on():
    log = []

    @idiokit.stream
    def main():
        with move_on_after(5) as outer:
            with move_on_after(0.02) as inner:
                yield idiokit.sleep(5)
            log.append("after inner")
            yield idiokit.sleep(0.01)
            log.append("outer still waits")
        log.append((outer.cancelled_caught, inner.cancelled_caught))

    run(main())
    assert log == ["after inner", "outer still waits", (False, True)]


def test_both_cancelled_the_outermost_catches():
    log = []

    @idiokit.stream
    def main():
        with CancelScope() as outer:
            with CancelScope() as inner:
                inner.cancel()
                outer.cancel()
                yield idiokit.sleep(5)
            log.append("not reached")
        log.append((outer.cancelled_caught, inner.cancelled_caught))

    run(main())
    assert log == [(True, False)]


def test_inner_fail_after_inside_an_outer_move_on():
    @idiokit.stream
    def main():
        with move_on_after(5) as outer:
            with pytest.raises(Timeout):
                with fail_after(0.02):
                    yield idiokit.sleep(5)
        assert not outer.cancelled_caught

    run(main())


# ---- level-triggered cancellation and shields --------------------------------------

def test_every_wait_in_a_cancelled_scope_raises_until_it_is_left():
    log = []

    @idiokit.stream
    def main():
        with move_on_after(0.02) as scope:
            for _ in range(3):
                try:
                    yield idiokit.sleep(5)
                except Cancelled:
                    log.append("cancelled")
            try:
                yield idiokit.sleep(0)
            except Cancelled:
                log.append("even a finished wait")
        yield idiokit.sleep(0.01)
        log.append(("left", scope.cancelled_caught))

    run(main())
    assert log == ["cancelled"] * 3 + ["even a finished wait", ("left", False)]


def test_a_shield_lets_clean_up_wait_and_its_own_deadline_still_applies():
    log = []

    @idiokit.stream
    def main():
        with move_on_after(0.02) as scope:
            try:
                yield idiokit.sleep(5)
            finally:
                with idiokit.shield():
                    yield idiokit.sleep(0.03)
                    log.append("clean-up waited")
                with CancelScope(0.02, shield=True) as bounded:
                    yield idiokit.sleep(5)
                log.append(("bounded", bounded.cancelled_caught))
        log.append(("caught", scope.cancelled_caught))

    run(main())
    assert log == ["clean-up waited", ("bounded", True), ("caught", True)]


def test_cancel_from_another_stream_and_no_stray_cancel_after_the_scope():
    log = []
    holder = []

    @idiokit.stream
    def worker():
        with CancelScope() as scope:
            holder.append(scope)
            yield idiokit.sleep(5)
        log.append(("worker moved on", scope.cancelled_caught))
        with CancelScope() as scope2:
            scope2.cancel()     # cancelled, then left without a wait
        yield idiokit.sleep(0.02)
        log.append("no stray Cancelled")

    @idiokit.stream
    def main():
        stream = worker()
        yield idiokit.sleep(0.01)
        holder[0].cancel()
        holder[0].cancel()
        yield stream

    run(main())
    assert log == [("worker moved on", True), "no stray Cancelled"]


def test_a_scope_covers_the_waits_of_sub_streams_it_yields():
    log = []

    @idiokit.stream
    def helper():
        try:
            yield idiokit.sleep(5)
        except Cancelled:
            log.append("helper cancelled")
            raise

    @idiokit.stream
    def helper_with_its_own_scope():
        with move_on_after(5):
            yield idiokit.sleep(5)
        log.append("not reached: the outer scope's Cancelled is not the helper's")

    @idiokit.stream
    def main():
        with move_on_after(0.02) as scope:
            yield helper()
        log.append(scope.cancelled_caught)
        with move_on_after(0.02) as scope:
            yield helper_with_its_own_scope()
        log.append(scope.cancelled_caught)

    run(main())
    assert log == ["helper cancelled", True, True]


# ---- no data lost: sockets on 127.0.0.1 ---------------------------------------------

def test_a_cancelled_recv_consumes_nothing():
    sock, raw = idiokit_and_raw_pair()

    @idiokit.stream
    def main():
        received = []
        rnd = random.Random(23)
        for i in range(40):
            payload = ("chunk %d;" % i).encode("ascii")
            with CancelScope() as scope:
                order = rnd.randrange(3)
                if order == 0:
                    raw.sendall(payload)           # data first, then cancel
                    scope.cancel()
                elif order == 1:
                    scope.cancel()                 # cancel first, then data
                    raw.sendall(payload)
                else:
                    raw.sendall(payload)
                    yield idiokit.sleep(0.001)     # readiness seen, then cancel
                    scope.cancel()
                data = yield sock.recv(65536)
                received.append(data)              # got it before the cancel
            with move_on_after(0.005):
                while True:
                    data = yield sock.recv(65536)
                    received.append(data)
        return_value = b"".join(received)
        idiokit.stop(return_value)

    try:
        got = run(main())
        expected = b"".join(("chunk %d;" % i).encode("ascii") for i in range(40))
        assert got == expected
    finally:
        raw.close()
        run(sock.close())


def test_a_cancelled_sendall_reports_what_it_sent():
    sock, raw = idiokit_and_raw_pair()
    sock_small = 1 << 16
    raw.setsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_RCVBUF, sock_small)

    @idiokit.stream
    def main():
        filled = yield fill_send_buffer(sock)
        payload = bytes(bytearray(i % 251 for i in range(4 << 20)))
        op = sock.sendall(payload)
        with move_on_after(0.05) as scope:
            yield op
        assert scope.cancelled_caught
        idiokit.stop(filled, payload, op.sent)

    try:
        filled, payload, sent = run(main())
        assert 0 <= sent < len(payload)
        raw.settimeout(10)
        expected = filled + sent
        got = bytearray()
        while len(got) < expected:
            chunk = raw.recv(1 << 20)
            assert chunk, "the peer closed early"
            got.extend(chunk)
        assert len(got) == expected
        assert bytes(got[filled:]) == payload[:sent]
        raw.setblocking(False)
        with pytest.raises(stdsocket.error):    # nothing more: EAGAIN
            raw.recv(1)
    finally:
        raw.close()
        run(sock.close())


def test_a_cancelled_accept_loses_no_connection():
    raw_clients = []

    @idiokit.stream
    def main():
        server = yield listener()
        address = yield server.getsockname()
        accepted = []
        try:
            for i in range(10):
                with CancelScope() as scope:
                    client = stdsocket.create_connection(address, timeout=10)
                    raw_clients.append(client)
                    if i % 2:
                        yield idiokit.sleep(0.002)    # readiness seen first
                    scope.cancel()
                    conn, _ = yield server.accept()
                    accepted.append(conn)
                with move_on_after(0.005):
                    while True:
                        conn, _ = yield server.accept()
                        accepted.append(conn)
            with fail_after(10):      # the rest, however late the kernel queues them
                while len(accepted) < 10:
                    conn, _ = yield server.accept()
                    accepted.append(conn)
            with move_on_after(0.05):
                conn, _ = yield server.accept()
                accepted.append(conn)    # one too many: a bug
            idiokit.stop(len(accepted))
        finally:
            for conn in accepted:
                yield conn.close()
            yield server.close()

    try:
        assert run(main()) == 10
    finally:
        for client in raw_clients:
            client.close()


# ---- no data lost: pipes ----------------------------------------------------------------

def test_a_cancelled_next_drops_no_pipe_message():
    count = 200

    @idiokit.stream
    def producer():
        rnd = random.Random(5)
        for i in range(count):
            if rnd.random() < 0.3:
                yield idiokit.sleep(0.001)
            yield idiokit.send(i)

    @idiokit.stream
    def consumer():
        got = []
        rnd = random.Random(7)
        while len(got) < count:
            with CancelScope() as scope:
                if rnd.random() < 0.5:
                    scope.cancel()
                with move_on_after(0.0005 * rnd.randrange(3)):
                    item = yield idiokit.next()
                    got.append(item)
        idiokit.stop(got)

    assert run(producer() | consumer()) == list(range(count))


def test_a_group_of_pipes_under_a_deadline():
    got = []

    @idiokit.stream
    def ticker():
        i = 0
        while True:
            yield idiokit.send(i)
            i += 1
            yield idiokit.sleep(0.005)

    @idiokit.stream
    def collect():
        while True:
            item = yield idiokit.next()
            got.append(item)

    @idiokit.stream
    def main():
        with move_on_after(0.1) as scope:
            with idiokit.TaskGroup() as group:
                group.start(ticker() | collect())
                yield group.wait()
        assert scope.cancelled_caught

    run(main())
    assert got == list(range(len(got))) and len(got) >= 1


# ---- threads and asyncoro -------------------------------------------------------------------

def test_a_thread_wait_is_abandoned_and_its_result_dropped():
    release = threading.Event()
    finished = []

    def blocking():
        release.wait(10)
        finished.append(True)
        return "dropped"

    @idiokit.stream
    def main():
        start = time.time()
        with move_on_after(0.03) as scope:
            yield idiokit.thread(blocking)
        assert scope.cancelled_caught and time.time() - start < 2
        release.set()
        for _ in range(200):
            if finished:
                break
            yield idiokit.sleep(0.01)
        yield idiokit.sleep(0.02)     # the thread's result arrives, and is dropped

    run(main())
    assert finished == [True]


ASYNCORO_SCRIPT = """from __future__ import print_function
import idiokit
from idiokit import asyncoro, Cancelled, move_on_after

@idiokit.stream
def child(log):
    try:
        yield idiokit.sleep(5)
    except Cancelled:
        log.append("child-cancelled")
        raise

def coroutine(coro=None):
    log = []
    with move_on_after(0.03) as scope:
        yield coro.sleep(5)
    log.append(("moved-on", scope.cancelled_caught))
    with move_on_after(0.03) as scope:
        with idiokit.TaskGroup() as group:
            group.start(child(log))
            yield group.wait()
    log.append(("group-cancelled", scope.cancelled_caught))
    raise StopIteration(log)

print(asyncoro.Coro(coroutine).value(10))
"""


def test_scopes_and_groups_inside_an_asyncoro_coroutine():
    # asyncoro's scheduler thread runs the loop: in a process of its own.
    rc, out, err = run_py(ASYNCORO_SCRIPT, timeout=30)
    assert rc == 0, err[-3000:]
    assert out.strip() == str([("moved-on", True), "child-cancelled", ("group-cancelled", True)])


def test_no_scope_state_is_left_behind():
    from idiokit import scope as scope_module

    @idiokit.stream
    def child():
        yield idiokit.sleep(5)

    @idiokit.stream
    def main():
        for i in range(200):
            with move_on_after(0 if i % 2 else 5):
                with CancelScope(shield=bool(i % 3)) as inner:
                    if i % 5 == 0:
                        inner.cancel()
                    yield idiokit.sleep(0)
            with move_on_after(0.001):
                with idiokit.TaskGroup() as group:
                    group.start(child())
                    yield group.wait()

    run(main())
    assert scope_module._frames == {}
