# tests/core/test_pipe_conformance.py: pipes, as section 5.3 of the behaviour
# reference lists them (scenarios 1, 2, 5-10, 13, 20, 25-28), the propagation
# table and the result rule of its section 2.5, idiokit.pipe() grouping,
# withdrawn sends and end-of-input details of sections 2.3 and 2.4.
# Stream methods, map, consume, Proxy and select are in test_pipe_methods.py.
from __future__ import absolute_import, print_function

import pytest

import idiokit
from idiokit import timer

from support.util import run, produce, collect_into, read_n


class Boom(Exception):
    pass


@idiokit.stream
def forever_sending(log, item="x"):
    """Sends `item` forever; records what interrupts it, then re-raises."""
    try:
        while True:
            yield idiokit.send(item)
    except BaseException as error:
        log.append(("left", error))
        raise


# --- scenarios 1 and 2: end of input ------------------------------------------

def test_consumer_gets_items_then_stop_iteration_with_producer_result():
    got = []

    @idiokit.stream
    def consumer():
        while True:
            try:
                item = yield idiokit.next()
            except StopIteration as stop:
                got.append(("stop", stop.args))
                break
            got.append(item)
        idiokit.stop("consumer result")

    result = run(produce([1, 2, 3], result=("p", 9)) | consumer())
    assert got == [1, 2, 3, ("stop", ("p", 9))]
    assert result == "consumer result"


def test_uncaught_end_of_input_makes_the_pipe_return_the_producer_result():
    @idiokit.stream
    def consumer():
        while True:
            yield idiokit.next()

    assert run(produce([1, 2, 3], result=("p", 9)) | consumer()) == ("p", 9)


def test_next_after_end_of_input_blocks():
    got = []

    @idiokit.stream
    def consumer():
        try:
            yield idiokit.next()
        except StopIteration as stop:
            got.append(stop.args)
        try:
            yield idiokit.next()
        except timer.Timeout:
            got.append("blocked until timeout")

    @idiokit.stream
    def main():
        c = consumer()
        yield produce([], result=("only once",)) | timer.timeout(0.1, c)

    run(main())
    assert got == [("only once",), "blocked until timeout"]


# --- scenario 5: fan-out is multicast -------------------------------------------

def test_one_producer_two_consumers_both_get_every_message():
    first = []
    second = []

    @idiokit.stream
    def main():
        p = produce([1, 2, 3], result=("p",))
        a = p | collect_into(first)
        b = p | collect_into(second)
        result_a = yield a
        result_b = yield b
        idiokit.stop(result_a, result_b)

    assert run(main()) == ("p", "p")
    assert first == [1, 2, 3]
    assert second == [1, 2, 3]


# --- scenarios 6-10 and the propagation table of section 2.5 ---------------------

def test_right_raises_left_gets_the_same_exception_and_pipe_raises_it():
    log = []
    boom = Boom("right")

    @idiokit.stream
    def right():
        yield idiokit.next()
        raise boom

    with pytest.raises(Boom) as excinfo:
        run(forever_sending(log) | right())
    assert excinfo.value is boom
    assert log == [("left", boom)]


def test_right_returns_left_gets_broken_pipe_and_pipe_returns_right_result():
    log = []
    result = run(forever_sending(log) | read_n(1, result=("r", 1)))
    assert result == (["x"], "r", 1)
    assert len(log) == 1
    assert type(log[0][1]) is idiokit.BrokenPipe
    assert log[0][1].args == (["x"], "r", 1)


def test_three_stage_pipe_middle_raises_both_neighbours_see_it():
    log = []
    boom = Boom("middle")

    @idiokit.stream
    def middle():
        yield idiokit.next()
        raise boom

    @idiokit.stream
    def last():
        try:
            while True:
                yield idiokit.next()
        except Boom as error:
            log.append(("right", error))
            raise

    with pytest.raises(Boom) as excinfo:
        run(forever_sending(log) | middle() | last())
    assert excinfo.value is boom
    assert sorted(log, key=lambda entry: entry[0]) == [("left", boom), ("right", boom)]


def test_left_raises_right_sees_it_at_next():
    log = []

    @idiokit.stream
    def left():
        yield idiokit.send(1)
        raise KeyError("left")

    @idiokit.stream
    def right():
        try:
            while True:
                item = yield idiokit.next()
                log.append(item)
        except KeyError as error:
            log.append(("right got", error.args))
            raise

    with pytest.raises(KeyError):
        run(left() | right())
    assert log == [1, ("right got", ("left",))]


def test_left_raises_right_sees_it_at_any_yield():
    log = []

    @idiokit.stream
    def right():
        try:
            yield idiokit.sleep(30.0)
        except Boom as error:
            log.append(("right got", error.args))
            raise

    @idiokit.stream
    def left():
        yield idiokit.sleep(0.01)
        raise Boom("left")

    with pytest.raises(Boom):
        run(left() | right())
    assert log == [("right got", ("left",))]


def test_right_returns_left_gets_broken_pipe_at_any_yield():
    log = []

    @idiokit.stream
    def left():
        try:
            yield idiokit.sleep(30.0)
        except idiokit.BrokenPipe as error:
            log.append(("left got", error.args))

    @idiokit.stream
    def right():
        yield idiokit.sleep(0.01)
        idiokit.stop("r", 2)

    assert run(left() | right()) == ("r", 2)
    assert log == [("left got", ("r", 2))]


def test_right_raises_left_gets_the_same_exception_at_any_yield():
    log = []
    boom = Boom("right")

    @idiokit.stream
    def left():
        try:
            yield idiokit.sleep(30.0)
        except Boom as error:
            log.append(error)

    @idiokit.stream
    def right():
        yield idiokit.sleep(0.01)
        raise boom

    with pytest.raises(Boom) as excinfo:
        run(left() | right())
    assert excinfo.value is boom
    assert log == [boom]


def test_left_catches_broken_pipe_and_the_pipe_waits_for_it():
    log = []

    @idiokit.stream
    def left():
        try:
            while True:
                yield idiokit.send("x")
        except idiokit.BrokenPipe as error:
            log.append(("left broken", error.args))
        yield idiokit.sleep(0.05)
        log.append("left done")
        idiokit.stop("left result")

    @idiokit.stream
    def right():
        yield idiokit.next()
        log.append("right done")
        idiokit.stop("right result")

    result = run(left() | right())
    log.append("pipe done")
    assert result == "right result"
    assert log == ["right done", ("left broken", ("right result",)),
                   "left done", "pipe done"]


def test_left_raises_right_catches_and_pipe_returns_right_result():
    @idiokit.stream
    def left():
        yield idiokit.sleep(0)
        raise Boom("left")

    @idiokit.stream
    def right():
        try:
            yield idiokit.next()
        except Boom:
            idiokit.stop("right recovered")

    assert run(left() | right()) == "right recovered"


def test_pipe_result_is_set_only_when_both_sides_finished():
    @idiokit.stream
    def left():
        try:
            yield idiokit.send(1)
            yield idiokit.sleep(30.0)
        except idiokit.BrokenPipe:
            yield idiokit.sleep(0.05)

    @idiokit.stream
    def right():
        yield idiokit.next()

    @idiokit.stream
    def main():
        left_stream = left()
        right_stream = right()
        p = left_stream | right_stream
        yield right_stream
        pipe_done_with_right = p.result().unsafe_is_set()
        yield p
        idiokit.stop(pipe_done_with_right, left_stream.result().unsafe_is_set())

    assert run(main()) == (False, True)


# --- scenario 13 and row 5 of the table: throw into a pipe -----------------------

def test_throw_into_pipe_reaches_both_stages_and_raises_out_of_the_pipe():
    log = []
    boom = Boom("thrown")

    @idiokit.stream
    def left():
        try:
            yield idiokit.sleep(30.0)
        except Boom as error:
            log.append(("left", error))
            raise

    @idiokit.stream
    def right():
        try:
            yield idiokit.next()
        except Boom as error:
            log.append(("right", error))
            raise

    @idiokit.stream
    def main():
        p = left() | right()
        yield idiokit.sleep(0.01)
        p.throw(boom)
        yield p

    with pytest.raises(Boom) as excinfo:
        run(main())
    assert excinfo.value is boom
    assert log == [("left", boom), ("right", boom)]


def test_throw_into_pipe_caught_by_left_does_not_reach_right():
    log = []

    @idiokit.stream
    def left():
        try:
            yield idiokit.sleep(30.0)
        except Boom:
            log.append("left caught")
        yield idiokit.send("after")

    @idiokit.stream
    def right():
        item = yield idiokit.next()
        log.append(("right got", item))
        try:
            yield idiokit.next()
        except StopIteration:
            log.append("right saw end of input")

    @idiokit.stream
    def main():
        p = left() | right()
        yield idiokit.sleep(0.01)
        p.throw(Boom())
        yield p

    run(main())
    assert log == ["left caught", ("right got", "after"), "right saw end of input"]


# --- scenario 20: send is a rendezvous ------------------------------------------

def test_send_with_no_consumer_completes_zero_times():
    completed = []

    @idiokit.stream
    def producer():
        while True:
            yield idiokit.send(len(completed))
            completed.append(1)

    @idiokit.stream
    def main():
        p = producer()
        yield idiokit.sleep(0.05)
        count = len(completed)
        p.throw(Boom())
        try:
            yield p
        except Boom:
            pass
        idiokit.stop(count)

    assert run(main()) == 0


def test_send_returns_none_once_consumed():
    got = []

    @idiokit.stream
    def producer():
        value = yield idiokit.send("m")
        got.append(("send returned", value))

    @idiokit.stream
    def consumer():
        item = yield idiokit.next()
        got.append(("received", item))

    run(producer() | consumer())
    assert sorted(got) == [("received", "m"), ("send returned", None)]


def test_interrupted_send_is_withdrawn_and_never_delivered():
    got = []

    @idiokit.stream
    def sender():
        try:
            yield idiokit.send("withdrawn")
        except Boom:
            got.append("sender interrupted")
        yield idiokit.send("delivered")

    @idiokit.stream
    def main():
        s = sender()
        yield idiokit.sleep(0.02)
        s.throw(Boom())
        yield idiokit.sleep(0.02)
        yield s | collect_into(got)

    run(main())
    assert got == ["sender interrupted", "delivered"]


def test_one_sender_messages_arrive_in_order():
    count = 500
    got = []
    run(produce(range(count)) | collect_into(got))
    assert got == list(range(count))


# --- scenario 25: sub-streams read the parent's input and write its output ----

def test_sub_stream_reads_parent_input_and_sends_to_parent_output():
    got = []

    @idiokit.stream
    def times_ten():
        item = yield idiokit.next()
        yield idiokit.send(item * 10)

    @idiokit.stream
    def parent():
        yield times_ten()
        yield times_ten()
        yield idiokit.send("parent's own")

    run(produce([1, 2]) | parent() | collect_into(got))
    assert got == [10, 20, "parent's own"]


def test_sub_pipe_inside_a_stream_redirects_input_and_output():
    got = []

    @idiokit.stream
    def double():
        while True:
            item = yield idiokit.next()
            yield idiokit.send(item * 2)

    @idiokit.stream
    def plus_one():
        while True:
            item = yield idiokit.next()
            yield idiokit.send(item + 1)

    @idiokit.stream
    def parent():
        result = yield double() | plus_one()
        idiokit.stop("parent", result)

    result = run(produce([1, 2, 3], result=("up",)) | parent() | collect_into(got))
    assert got == [3, 5, 7]
    assert result == ("parent", "up")


# --- scenarios 26 and 27: fan-in -------------------------------------------------

def test_two_producers_into_one_consumer_interleave_round_robin():
    @idiokit.stream
    def main():
        a = produce(["A0", "A1", "A2"])
        b = produce(["B0", "B1", "B2"])
        c = read_n(6)
        first = a | c
        second = b | c
        yield first
        result = yield second
        idiokit.stop(result)

    assert run(main()) == ["A0", "B0", "A1", "B1", "A2", "B2"]


def test_each_upstream_delivers_its_own_end_of_input():
    items = []
    stops = []

    @idiokit.stream
    def reader():
        while len(stops) < 2:
            try:
                item = yield idiokit.next()
            except StopIteration as stop:
                stops.append(stop.args)
            else:
                items.append(item)
        idiokit.stop("reader done")

    @idiokit.stream
    def main():
        r = reader()
        first = produce(["a1", "a2"], result=("a",)) | r
        second = produce(["b1"], result=("b",)) | r
        yield first
        result = yield second
        idiokit.stop(result)

    assert run(main()) == "reader done"
    assert sorted(stops) == [("a",), ("b",)]
    assert sorted(items) == ["a1", "a2", "b1"]
    assert items.index("a1") < items.index("a2")


# --- scenario 28: next() with no upstream blocks --------------------------------

def test_next_without_upstream_blocks_until_timeout():
    @idiokit.stream
    def lonely():
        try:
            yield idiokit.next()
        except timer.Timeout:
            idiokit.stop("timed out")

    assert run(timer.timeout(0.05, lonely())) == "timed out"


def test_next_without_upstream_blocks_until_throw():
    @idiokit.stream
    def lonely():
        try:
            yield idiokit.next()
        except Boom:
            idiokit.stop("thrown")

    @idiokit.stream
    def main():
        s = lonely()
        yield idiokit.sleep(0.02)
        s.throw(Boom())
        result = yield s
        idiokit.stop(result)

    assert run(main()) == "thrown"


def test_consume_without_upstream_waits_for_a_throw():
    @idiokit.stream
    def main():
        c = idiokit.consume()
        yield idiokit.sleep(0.02)
        c.throw(Boom("wake"))
        try:
            yield c
        except Boom as error:
            idiokit.stop(error.args)

    assert run(main()) == ("wake",)


# --- idiokit.pipe grouping ------------------------------------------------------

@idiokit.stream
def add(n):
    while True:
        item = yield idiokit.next()
        yield idiokit.send(item + n)


def test_pipe_of_one_stream_is_that_stream():
    s = produce([])
    assert idiokit.pipe(s) is s
    run(s | idiokit.consume())


def test_pipe_of_three_chains_left_to_right_and_returns_the_last_result():
    got = []
    result = run(idiokit.pipe(produce([1, 2], result=("p",)), add(10), collect_into(got)))
    assert got == [11, 12]
    assert result == "p"


@pytest.mark.parametrize("stages", [2, 3, 4, 5, 8])
def test_pipe_of_many_stages_passes_every_message_through_all(stages):
    got = []
    parts = [produce([0, 100], result=("p",))] + [add(1) for _ in range(stages - 2)]
    result = run(idiokit.pipe(*(parts + [collect_into(got)])))
    assert got == [stages - 2, 100 + stages - 2]
    assert result == "p"


def test_operator_chain_matches_pipe_function():
    by_operator = []
    by_function = []
    run(produce([1, 2, 3]) | add(1) | add(2) | collect_into(by_operator))
    run(idiokit.pipe(produce([1, 2, 3]), add(1), add(2), collect_into(by_function)))
    assert by_operator == by_function == [4, 5, 6]


def test_exception_in_any_stage_tears_down_the_whole_pipeline():
    log = []

    @idiokit.stream
    def stage(name, crash=False):
        try:
            while True:
                item = yield idiokit.next()
                if crash:
                    raise Boom(name)
                yield idiokit.send(item)
        except Boom as error:
            log.append((name, error.args))
            raise

    with pytest.raises(Boom):
        run(idiokit.pipe(forever_sending([]), stage("s1"), stage("s2", crash=True),
                         stage("s3"), stage("s4")))
    assert sorted(log) == [("s1", ("s2",)), ("s2", ("s2",)),
                           ("s3", ("s2",)), ("s4", ("s2",))]
