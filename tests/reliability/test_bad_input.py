# tests/reliability/test_bad_input.py: bad input to the core API gets a clear Python
# exception, never a crash, a hang or a leak, and the loop keeps working
# afterwards: non-streams piped, yielded or run; throwing non-exceptions;
# sending to finished streams; decorating non-generator functions.
from __future__ import absolute_import, print_function

import os
import signal
import select as stdlib_select

import pytest

import idiokit
from idiokit import timer, select

from support import run_py
from support.util import run, returning


class Boom(Exception):
    pass


class Distinct(object):
    def __repr__(self):
        return "<Distinct bad object>"


def loop_still_works():
    assert run(returning("alive")) == "alive"


# --- piping non-streams ---------------------------------------------------------

@pytest.mark.parametrize("bad", [5, None, "text", Distinct(), lambda: None])
def test_piping_a_non_stream_raises_type_error(bad):
    s = returning()
    with pytest.raises(TypeError):
        s | bad
    with pytest.raises(TypeError):
        bad | s
    with pytest.raises(TypeError):
        idiokit.pipe(s, bad)
    with pytest.raises(TypeError):
        idiokit.pipe(bad, s)
    with pytest.raises(TypeError):
        idiokit.pipe(bad)
    run(s)
    loop_still_works()


def test_piping_a_plain_generator_raises_type_error():
    def plain():
        yield idiokit.sleep(0)

    gen = plain()
    with pytest.raises(TypeError):
        returning() | gen
    gen.close()
    loop_still_works()


def test_proxy_of_a_non_stream_raises_type_error():
    with pytest.raises(TypeError):
        idiokit.Proxy(5)


# --- yielding non-streams -----------------------------------------------------------

def _plain_generator():
    yield 1


@pytest.mark.parametrize("make_bad", [
    lambda: 5,
    lambda: None,
    lambda: Distinct(),
    lambda: [idiokit.sleep(0)],
    lambda: idiokit.sleep,
], ids=["int", "None", "object", "list-of-streams", "function"])
def test_yielding_a_non_stream_fails_only_that_stream(make_bad):
    log = []
    bad = make_bad()

    @idiokit.stream
    def offender():
        try:
            yield bad
        finally:
            log.append("finally ran")

    @idiokit.stream
    def bystander():
        for _ in range(5):
            yield idiokit.sleep(0)
        idiokit.stop("bystander ok")

    @idiokit.stream
    def main():
        other = bystander()
        try:
            yield offender()
        except TypeError as error:
            message = str(error)
        result = yield other
        idiokit.stop(message, result)

    message, result = run(main())
    assert repr(bad) in message
    assert result == "bystander ok"
    assert log == ["finally ran"]
    loop_still_works()


def test_yielding_a_plain_generator_fails_with_type_error():
    gen = _plain_generator()

    @idiokit.stream
    def offender():
        yield gen

    with pytest.raises(TypeError) as excinfo:
        run(offender())
    assert repr(gen) in str(excinfo.value)
    gen.close()
    loop_still_works()


SELF_YIELD_SCRIPT = r"""
from __future__ import print_function
import idiokit
from idiokit import timer

holder = []

@idiokit.stream
def selfish():
    yield idiokit.sleep(0)
    yield holder[0]

s = selfish()
holder.append(s)
try:
    idiokit.main_loop(timer.timeout(1.0, s), catch_signals=())
except Exception as error:
    print("failed with", type(error).__name__)
del holder[:]
print("loop works:", idiokit.main_loop(idiokit.sleep(0), catch_signals=()))
"""


def test_yielding_the_stream_itself_fails_instead_of_hanging_or_crashing():
    # In a child process: the original idiokit hangs here for ever (the
    # timeout's throw circles through the stream's own input).
    rc, out, err = run_py(SELF_YIELD_SCRIPT, timeout=20)
    assert rc == 0, err
    lines = out.splitlines()
    assert len(lines) == 2, out
    assert lines[0].startswith("failed with ")
    assert lines[1] == "loop works: None"


# --- throwing non-exceptions --------------------------------------------------------

@pytest.mark.parametrize("bad", [5, "text", None, Distinct(), int])
def test_throwing_a_non_exception_raises_type_error_at_the_call(bad):
    @idiokit.stream
    def target():
        yield idiokit.sleep(0.02)
        idiokit.stop("target unharmed")

    s = target()
    with pytest.raises(TypeError):
        s.throw(bad)
    assert run(s) == "target unharmed"
    loop_still_works()


@pytest.mark.parametrize("bad", [5, "text", Distinct()])
def test_failing_an_event_with_a_non_exception_raises_type_error(bad):
    event = idiokit.Event()
    with pytest.raises(TypeError):
        event.fail(bad)
    event.succeed("still usable")
    assert run(event) == "still usable"


# --- sending to finished streams --------------------------------------------------

def test_sending_to_a_finished_stream_raises_broken_pipe_with_its_result():
    @idiokit.stream
    def main():
        s = returning("a", "b")
        yield s
        try:
            yield s.send("late")
        except idiokit.BrokenPipe as error:
            idiokit.stop(type(error), error.args)

    assert run(main()) == (idiokit.BrokenPipe, ("a", "b"))


def test_sending_to_a_finished_event_raises_broken_pipe():
    @idiokit.stream
    def main():
        event = idiokit.Event()
        event.succeed(1)
        yield event
        try:
            yield event.send("late")
        except idiokit.BrokenPipe as error:
            idiokit.stop(error.args)

    assert run(main()) == (1,)


# --- @idiokit.stream on non-generators ------------------------------------------------

def _plain_function():
    return 1


class _Callable(object):
    def __call__(self):
        return 1


@pytest.mark.parametrize("bad", [_plain_function, lambda: None, _Callable(), 5, None, len],
                         ids=["function", "lambda", "callable", "int", "None", "builtin"])
def test_stream_decorator_rejects_non_generator_functions(bad):
    with pytest.raises(TypeError) as excinfo:
        idiokit.stream(bad)
    assert "is not a generator function" in str(excinfo.value)


# --- main_loop on non-streams ---------------------------------------------------------

@pytest.mark.parametrize("bad", [5, None, Distinct(), _plain_generator])
def test_main_loop_on_a_non_stream_raises_type_error(bad):
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(TypeError):
        idiokit.main_loop(bad)
    assert signal.getsignal(signal.SIGINT) is before
    loop_still_works()


def test_main_loop_with_a_bad_signal_list_restores_handlers():
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises((TypeError, ValueError)):
        idiokit.main_loop(returning(), catch_signals=(signal.SIGINT, "nonsense"))
    assert signal.getsignal(signal.SIGINT) is before
    loop_still_works()


# --- other helpers given bad arguments --------------------------------------------------

@pytest.mark.parametrize("args, kwargs", [((1,), {}), ((), {"x": 1})])
def test_next_with_arguments_raises_type_error(args, kwargs):
    with pytest.raises(TypeError):
        idiokit.next(*args, **kwargs)


def test_send_with_keywords_raises_type_error():
    with pytest.raises(TypeError):
        idiokit.send(1, x=2)


def test_thread_with_a_non_callable_fails_the_stream():
    with pytest.raises(TypeError):
        run(idiokit.thread(5))
    loop_still_works()


def test_map_with_a_non_callable_fails_the_pipe():
    @idiokit.stream
    def one():
        yield idiokit.send(1)

    with pytest.raises(TypeError):
        run(one() | idiokit.map(5))
    loop_still_works()


def test_map_returning_a_non_iterable_fails_the_pipe():
    @idiokit.stream
    def one():
        yield idiokit.send(1)

    with pytest.raises(TypeError):
        run(one() | idiokit.map(lambda x: 5))
    loop_still_works()


def test_sleep_with_a_negative_delay_returns_at_once():
    assert run(idiokit.sleep(-1.0)) is None


def test_sleep_with_a_non_number_raises_type_error():
    with pytest.raises(TypeError):
        run(idiokit.sleep("soon"))
    loop_still_works()


def test_timeout_on_a_non_stream_raises_type_error():
    with pytest.raises(TypeError):
        timer.timeout(1.0, 5)
    loop_still_works()


def test_select_on_a_closed_fd_fails_with_an_error():
    rfd, wfd = os.pipe()
    os.close(rfd)
    os.close(wfd)
    with pytest.raises((EnvironmentError, ValueError, stdlib_select.error)):
        run(select.select((rfd,), (), (), 1.0))
    loop_still_works()


def test_select_on_a_negative_fd_fails_with_value_error():
    with pytest.raises(ValueError):
        run(select.select((-1,), (), (), 1.0))
    loop_still_works()


def test_select_on_an_object_without_fileno_fails_with_type_error():
    with pytest.raises(TypeError):
        run(select.select((Distinct(),), (), (), 1.0))
    loop_still_works()
