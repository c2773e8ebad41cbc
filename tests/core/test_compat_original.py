# tests/core/test_compat_original.py: small results and signatures that must match
# the original idiokit 2.8.2 exactly (issue 20): dns.ResponseError's text,
# args and constructor; ThreadPool's first positional argument; idiokit.next
# as a class; idiokit.select.select's tuples on timeout.
from __future__ import absolute_import

import socket

import pytest

import idiokit
from idiokit import dns, threadpool, timer
from idiokit.select import select

from support.util import run


def test_response_error_text_args_and_constructor():
    error = dns.ResponseError(3)
    assert str(error) == "name error"
    assert error.args == ("name error",)
    assert (error.rcode, error.string) == (3, "name error")
    assert isinstance(error, dns.DNSError)


def test_response_error_with_a_string_and_an_unnamed_rcode():
    error = dns.ResponseError(2, "custom text")
    assert (error.rcode, error.string, error.args) == (2, "custom text", ("custom text",))
    assert str(dns.ResponseError(11)) == "rcode 11"
    assert str(dns.ResponseError(0)) == "no error"


def test_threadpool_idle_time_is_the_first_positional_argument():
    pool = threadpool.ThreadPool(0.25)
    assert pool.idle_time == 0.25
    assert pool.max_threads == 32
    assert threadpool.ThreadPool(2.0, max_threads=3).max_threads == 3
    assert run(pool.run(lambda: 6 * 7)) == 42


def test_next_is_the_class_of_what_it_makes():
    assert isinstance(idiokit.next, type)
    assert isinstance(idiokit.next(), idiokit.next)
    # 2.8.2's Event is a Next, and so are the Events sleep, thread and timeout make
    assert isinstance(idiokit.Event(), idiokit.next)
    assert isinstance(idiokit.sleep(0), idiokit.next)
    event = threadpool.thread(int)
    assert isinstance(event, idiokit.next) and run(event) == 0
    bare = timer.timeout(0)
    assert isinstance(bare, idiokit.next)
    with pytest.raises(timer.Timeout):
        run(bare)
    assert not isinstance(idiokit.send(1), idiokit.next)

    @idiokit.stream
    def echo_one():
        item = yield idiokit.next()
        idiokit.stop(item)

    @idiokit.stream
    def main():
        result = yield idiokit.pipe(_send("x"), echo_one())
        idiokit.stop(result)
    assert run(main()) == "x"


@idiokit.stream
def _send(item):
    yield idiokit.send(item)


def test_select_gives_tuples_on_timeout_and_lists_when_ready():
    a, b = socket.socketpair()
    try:
        assert run(select([a], [], [a], 0.01)) == ((), (), ())
        b.sendall(b"x")
        assert run(select([a], [], [], 1.0)) == ([a], [], [])
    finally:
        a.close()
        b.close()
