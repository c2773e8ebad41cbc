# tests/core/test_timeouts.py: every timeout of the core reads its argument the
# same way (src/timeout.c): None waits forever, a negative number is 0, NaN
# is a ValueError and a non-number the same TypeError, for socket timeouts
# (settimeout, the timeout= of each operation), select, sleep, timer.timeout
# and idiokit.asyncoro's waits.
from __future__ import absolute_import

import time

import pytest

import idiokit
from idiokit import asyncoro, select, socket, timer

from support.util import run
from support.peers import pair  # noqa: F401 (a fixture)


def takers(sock):
    """name -> a call that takes one timeout argument."""
    return {
        "settimeout": sock.settimeout,
        "recv": lambda t: sock.recv(1, timeout=t),
        "recv_into": lambda t: sock.recv_into(bytearray(1), timeout=t),
        "send": lambda t: sock.send(b"x", timeout=t),
        "sendall": lambda t: sock.sendall(b"x", timeout=t),
        "recvfrom": lambda t: sock.recvfrom(1, timeout=t),
        "sendto": lambda t: sock.sendto(b"x", ("127.0.0.1", 9), timeout=t),
        "accept": lambda t: sock.accept(timeout=t),
        "connect": lambda t: sock.connect(("127.0.0.1", 9), timeout=t),
        "select": lambda t: select.select([], [], [], t),
        "sleep": idiokit.sleep,
        "timer.timeout": lambda t: timer.timeout(t, idiokit.Event()),
        "timer.timeout bare": timer.timeout,
        "asyncoro Event.wait": lambda t: asyncoro.Event().wait(t),
    }


@pytest.mark.parametrize("bad, error", [
    ("x", TypeError), (b"1", TypeError), ([1], TypeError), (object(), TypeError),
    (float("nan"), ValueError),
])
def test_a_bad_timeout_is_the_same_error_everywhere(pair, bad, error):
    sock, _ = pair
    messages = set()
    for name, take in sorted(takers(sock).items()):
        with pytest.raises(error) as info:
            take(bad)
        messages.add(str(info.value))
    assert len(messages) == 1, messages
    assert sock.waiting == 0 and sock.gettimeout() is None


def test_a_negative_timeout_is_zero(pair):
    sock, raw = pair
    sock.settimeout(-5)
    assert sock.gettimeout() == 0.0
    with pytest.raises(socket.SocketTimeout):      # nothing waits: try once
        run(sock.recv(1))
    raw.sendall(b"x")
    deadline = time.time() + 10
    while True:                                    # data there: the one try gets it
        try:
            assert run(sock.recv(1, timeout=-1)) == b"x"
            break
        except socket.SocketTimeout:
            assert time.time() < deadline
    assert run(select.select([], [], [], -1)) == ((), (), ())   # the original's tuples
    assert run(idiokit.sleep(-1)) is None
    with pytest.raises(timer.Timeout):
        run(timer.timeout(-1))


def test_none_waits_forever_and_int_and_float_are_seconds(pair):
    sock, raw = pair
    sock.settimeout(None)
    assert sock.gettimeout() is None
    sock.settimeout(2)
    assert sock.gettimeout() == 2.0
    sock.settimeout(float("inf"))                  # forever, as None
    assert sock.gettimeout() is None

    class Stop(Exception):
        pass
    for forever in (idiokit.sleep(None), timer.timeout(None), sock.recv(1, timeout=None)):
        with pytest.raises(Stop):                  # still waiting when stopped
            run(timer.timeout(0.05, forever, Stop()))
    ev = idiokit.Event()
    assert timer.timeout(None, ev) is ev
    ev.succeed(1)
    assert run(ev) == 1
