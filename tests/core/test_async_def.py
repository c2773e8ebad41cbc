# tests/core/test_async_def.py: Python 3 only (ignored on Python 2 by conftest.py):
# `async def` functions decorated with @idiokit.stream run on the same
# scheduler with the semantics of generator streams: await idiokit.sleep,
# await a stream, await idiokit.next() / idiokit.send(x), EndOfInput at the
# end of input, mixing with generator streams in pipes, and a bad await
# failing only that stream with a TypeError naming the object.
import threading

import pytest

import idiokit
from idiokit import timer

from support.util import run, produce, collect_into


class Boom(Exception):
    pass


class Foreign:
    """An awaitable that is not an idiokit stream."""

    def __await__(self):
        yield self

    def __repr__(self):
        return "<Foreign awaitable>"


# --- the basics -----------------------------------------------------------------

def test_async_stream_is_a_stream_and_returns_its_value():
    @idiokit.stream
    async def answer():
        await idiokit.sleep(0)
        return 42

    s = answer()
    assert isinstance(s, idiokit.Stream)
    assert run(s) == 42


def test_async_stream_is_hot():
    log = []

    @idiokit.stream
    async def worker():
        log.append("started")
        await idiokit.sleep(0.01)
        log.append("finished")

    worker()
    run(idiokit.sleep(0.1))
    assert log == ["started", "finished"]


def test_await_sleep_returns_none():
    @idiokit.stream
    async def sleeper():
        first = await idiokit.sleep(0.01)
        second = await idiokit.sleep(0)
        return first, second

    assert run(sleeper()) == (None, None)


@pytest.mark.parametrize("args, expected", [
    ((), None),
    ((1,), 1),
    ((1, 2), (1, 2)),
])
def test_await_stream_gives_its_peeled_result(args, expected):
    @idiokit.stream
    def child():
        yield idiokit.sleep(0)
        idiokit.stop(*args)

    @idiokit.stream
    async def parent():
        return ("got", await child())

    assert run(parent()) == ("got", expected)


def test_await_async_child_stream():
    @idiokit.stream
    async def child(x):
        await idiokit.sleep(0)
        return x * 2

    @idiokit.stream
    async def parent():
        a = await child(1)
        b = await child(a)
        return a, b

    assert run(parent()) == (2, 4)


def test_generator_stream_yields_an_async_stream():
    @idiokit.stream
    async def child():
        await idiokit.sleep(0)
        return "from async"

    @idiokit.stream
    def parent():
        value = yield child()
        idiokit.stop(value)

    assert run(parent()) == "from async"


def test_await_event_set_from_another_thread():
    @idiokit.stream
    async def waiter():
        event = idiokit.Event()
        threading.Timer(0.02, event.succeed, ("threaded",)).start()
        return await event

    assert run(waiter()) == "threaded"


def test_await_thread():
    @idiokit.stream
    async def main():
        return await idiokit.thread(lambda: threading.current_thread().ident)

    assert run(main()) != threading.current_thread().ident


def test_await_a_pipe():
    got = []

    @idiokit.stream
    async def main():
        return await (produce([1, 2], result=("p",)) | collect_into(got))

    assert run(main()) == "p"
    assert got == [1, 2]


# --- exceptions ---------------------------------------------------------------------

def test_exception_in_async_stream_reaches_the_waiter_with_traceback():
    @idiokit.stream
    async def async_raiser():
        await idiokit.sleep(0)
        raise Boom("async")

    @idiokit.stream
    def parent():
        try:
            yield async_raiser()
        except Boom as error:
            names = []
            tb = error.__traceback__
            while tb is not None:
                names.append(tb.tb_frame.f_code.co_name)
                tb = tb.tb_next
            idiokit.stop(error.args, "async_raiser" in names)

    assert run(parent()) == (("async",), True)


def test_awaiting_a_failing_stream_raises_at_the_await():
    @idiokit.stream
    def failing():
        yield idiokit.sleep(0)
        raise Boom("child")

    @idiokit.stream
    async def parent():
        try:
            await failing()
        except Boom as error:
            return error.args

    assert run(parent()) == ("child",)


def test_throw_into_async_stream_at_await_sleep():
    @idiokit.stream
    async def sleeper():
        try:
            await idiokit.sleep(30.0)
        except Boom as error:
            await idiokit.sleep(0)
            return ("recovered", error.args)

    @idiokit.stream
    async def main():
        s = sleeper()
        await idiokit.sleep(0.01)
        s.throw(Boom("in"))
        return await s

    assert run(main()) == ("recovered", ("in",))


def test_throw_into_async_stream_spinning_on_await_sleep0():
    # sleep(0) is done when awaited; a waiting signal is raised there anyway
    @idiokit.stream
    async def spinner():
        spins = 0
        try:
            while spins < 300000:
                await idiokit.sleep(0)
                spins += 1
        except Boom as error:
            return ("interrupted", error.args)
        return "never interrupted"

    @idiokit.stream
    async def main():
        s = spinner()
        await idiokit.sleep(0.01)
        s.throw(Boom("spin"))
        return await s

    assert run(main()) == ("interrupted", ("spin",))


def test_timeout_on_async_stream():
    @idiokit.stream
    async def slow():
        await idiokit.sleep(30.0)

    with pytest.raises(timer.Timeout):
        run(timer.timeout(0.02, slow()))


# --- next, send and EndOfInput ------------------------------------------------------

def test_await_next_and_send():
    got = []

    @idiokit.stream
    async def doubler():
        while True:
            try:
                item = await idiokit.next()
            except idiokit.EndOfInput:
                return "doubler done"
            await idiokit.send(item * 2)

    result = run(produce([1, 2, 3]) | doubler() | collect_into(got))
    assert got == [2, 4, 6]
    assert result == "doubler done"


def test_await_send_returns_none_and_peels_args():
    got = []

    @idiokit.stream
    async def sender():
        results = []
        results.append(await idiokit.send("a", "b"))
        results.append(await idiokit.send())
        results.append(await idiokit.send(("t",)))
        return results

    assert run(sender() | collect_into(got)) == [None, None, None]
    assert got == [("a", "b"), None, ("t",)]


def test_end_of_input_args_are_the_upstream_result():
    caught = []

    @idiokit.stream
    async def reader():
        try:
            await idiokit.next()
        except idiokit.EndOfInput as end:
            caught.append((type(end), end.args))
            return "reader"

    assert run(produce([], result=("up", 1)) | reader()) == "reader"
    assert caught == [(idiokit.EndOfInput, ("up", 1))]


def test_end_of_input_is_not_a_stop_iteration():
    assert issubclass(idiokit.EndOfInput, Exception)
    assert not issubclass(idiokit.EndOfInput, StopIteration)


def test_uncaught_end_of_input_ends_with_the_upstream_result():
    seen = []

    @idiokit.stream
    async def reader():
        while True:
            seen.append(await idiokit.next())

    assert run(produce([1, 2], result=("up", "stream")) | reader()) == ("up", "stream")
    assert seen == [1, 2]


def test_each_upstream_delivers_its_own_end_of_input():
    stops = []
    items = []

    @idiokit.stream
    async def reader():
        while len(stops) < 2:
            try:
                items.append(await idiokit.next())
            except idiokit.EndOfInput as end:
                stops.append(end.args)
        return "both ended"

    @idiokit.stream
    async def main():
        r = reader()
        first = produce(["a"], result=("a",)) | r
        second = produce(["b"], result=("b",)) | r
        await first
        return await second

    assert run(main()) == "both ended"
    assert sorted(stops) == [("a",), ("b",)]
    assert sorted(items) == ["a", "b"]


def test_right_side_ending_gives_async_sender_broken_pipe():
    log = []

    @idiokit.stream
    async def sender():
        try:
            while True:
                await idiokit.send("x")
        except idiokit.BrokenPipe as error:
            log.append(error.args)

    @idiokit.stream
    def reader():
        yield idiokit.next()
        idiokit.stop("reader result")

    assert run(sender() | reader()) == "reader result"
    assert log == [("reader result",)]


# --- mixing async def and generator streams ------------------------------------------

def test_mixed_pipe_of_async_and_generator_streams():
    got = []

    @idiokit.stream
    async def async_square():
        while True:
            item = await idiokit.next()
            await idiokit.send(item * item)

    @idiokit.stream
    def gen_plus_one():
        while True:
            item = yield idiokit.next()
            yield idiokit.send(item + 1)

    @idiokit.stream
    async def async_source():
        for i in range(4):
            await idiokit.send(i)
        return "source"

    result = run(async_source() | gen_plus_one() | async_square() | collect_into(got))
    assert got == [1, 4, 9, 16]
    assert result == "source"


def test_async_sub_stream_reads_parent_input_and_writes_its_output():
    got = []

    @idiokit.stream
    async def times_ten():
        item = await idiokit.next()
        await idiokit.send(item * 10)

    @idiokit.stream
    def parent():
        yield times_ten()
        yield times_ten()

    run(produce([1, 2]) | parent() | collect_into(got))
    assert got == [10, 20]


def test_map_and_fork_with_async_streams():
    got = []

    @idiokit.stream
    async def source():
        for i in range(3):
            await idiokit.send(i)
        return "done"

    @idiokit.stream
    async def main():
        s = source()
        first = await s.next()
        rest = await (s.fork() | idiokit.map(lambda x: [x, x]) | collect_into(got))
        return first, rest

    assert run(main()) == (0, "done")
    assert got == [1, 1, 2, 2]


# --- bad awaits ---------------------------------------------------------------------

def test_awaiting_a_foreign_awaitable_fails_that_stream_with_type_error():
    log = []

    @idiokit.stream
    async def offender():
        try:
            await Foreign()
        finally:
            log.append("finally ran")

    @idiokit.stream
    async def bystander():
        for _ in range(5):
            await idiokit.sleep(0)
        return "bystander ok"

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
    assert "<Foreign awaitable>" in message
    assert result == "bystander ok"
    assert log == ["finally ran"]


def test_awaiting_a_non_awaitable_fails_with_type_error():
    @idiokit.stream
    async def offender():
        await 5

    with pytest.raises(TypeError):
        run(offender())


def test_stream_decorator_accepts_async_but_not_plain_functions():
    async def coroutine_function():
        pass

    def plain():
        pass

    s = idiokit.stream(coroutine_function)()
    assert run(s) is None
    with pytest.raises(TypeError):
        idiokit.stream(plain)
