# tests/core/test_core_timer.py: time: scenario 17 of section 5.3 of the behaviour
# reference (timer.timeout in all its forms) and idiokit.sleep (result,
# deadline order, FIFO among equal deadlines, fairness, cancellation).
from __future__ import absolute_import, print_function

import pytest

import idiokit
from idiokit import timer

from support.util import run, returning


class Boom(Exception):
    pass


# --- scenario 17: timer.timeout -----------------------------------------------

def test_timeout_on_a_slow_stream_raises_timeout():
    @idiokit.stream
    def slow():
        yield idiokit.sleep(30.0)

    with pytest.raises(timer.Timeout):
        run(timer.timeout(0.05, slow()))


def test_timeout_on_a_fast_stream_returns_its_result():
    assert run(timer.timeout(10.0, returning("fast", 1))) == ("fast", 1)


def test_timeout_returns_the_same_stream():
    s = returning(1)
    assert timer.timeout(10.0, s) is s
    assert run(s) == 1


def test_bare_timeout_is_an_event_that_raises_timeout():
    event = timer.timeout(0.02)
    assert isinstance(event, idiokit.Event)
    with pytest.raises(timer.Timeout):
        run(event)


def test_bare_timeout_can_be_succeeded_first():
    event = timer.timeout(10.0)
    event.succeed("early")
    assert run(event) == "early"


def test_timeout_with_custom_exception():
    @idiokit.stream
    def slow():
        yield idiokit.sleep(30.0)

    with pytest.raises(Boom) as excinfo:
        run(timer.timeout(0.02, slow(), throw=Boom("custom")))
    assert excinfo.value.args == ("custom",)


def test_stream_that_catches_timeout_carries_on():
    @idiokit.stream
    def patient():
        try:
            yield idiokit.sleep(30.0)
        except timer.Timeout:
            pass
        yield idiokit.sleep(0.01)
        idiokit.stop("carried on")

    assert run(timer.timeout(0.02, patient())) == "carried on"


def test_timeout_on_a_pipe_goes_to_the_leftmost_stream():
    log = []

    @idiokit.stream
    def left():
        try:
            yield idiokit.sleep(30.0)
        except timer.Timeout:
            log.append("left got timeout")
            raise

    @idiokit.stream
    def right():
        try:
            yield idiokit.next()
        except timer.Timeout:
            log.append("right got timeout")
            raise

    with pytest.raises(timer.Timeout):
        run(timer.timeout(0.02, left() | right()))
    assert log == ["left got timeout", "right got timeout"]


def test_timeout_after_the_stream_finished_does_nothing():
    @idiokit.stream
    def main():
        s = timer.timeout(0.02, returning("ok"))
        result = yield s
        yield idiokit.sleep(0.1)
        again = yield s
        idiokit.stop(result, again)

    assert run(main()) == ("ok", "ok")


# --- sleep --------------------------------------------------------------------

def test_sleep_returns_none():
    assert run(idiokit.sleep(0.01)) is None
    assert run(idiokit.sleep(0)) is None


def test_sleeps_finish_in_deadline_order():
    order = []

    @idiokit.stream
    def sleeper(delay):
        yield idiokit.sleep(delay)
        order.append(delay)

    @idiokit.stream
    def main():
        sleepers = [sleeper(d) for d in (0.09, 0.03, 0.06, 0.0, 0.12)]
        for s in sleepers:
            yield s

    run(main())
    assert order == [0.0, 0.03, 0.06, 0.09, 0.12]


def test_equal_sleeps_finish_in_creation_order():
    order = []

    @idiokit.stream
    def sleeper(i):
        yield idiokit.sleep(0.02)
        order.append(i)

    @idiokit.stream
    def main():
        sleepers = [sleeper(i) for i in range(50)]
        for s in sleepers:
            yield s

    run(main())
    assert order == list(range(50))


def test_sleep_zero_lets_other_ready_streams_run():
    order = []

    @idiokit.stream
    def busy(name):
        for _ in range(5):
            order.append(name)
            yield idiokit.sleep(0)

    @idiokit.stream
    def main():
        a = busy("A")
        b = busy("B")
        yield a
        yield b

    run(main())
    assert order == ["A", "B"] * 5


def test_throw_into_sleep_cancels_it():
    @idiokit.stream
    def main():
        s = idiokit.sleep(30.0)
        s.throw(Boom("cancel"))
        try:
            yield s
        except Boom as boom:
            idiokit.stop(boom.args)

    assert run(main()) == ("cancel",)
