# tests/core/test_core_conformance.py: core stream semantics that need no pipes
# (mostly): scenarios 3, 4, 11, 12, 15, 16 and 21 (inverted: logged, not
# dropped) of section 5.3 of the behaviour reference, plus PEP 479 handling,
# tracebacks, result peeling, Stream.throw forms, Stream.result() and
# re-yielding finished streams. Scenarios 17-19 live in test_core_timer.py,
# test_core_threads.py and test_core_signals.py.
from __future__ import absolute_import, print_function

import gc
import sys
import threading
import traceback

import pytest

import idiokit

from support.util import run, produce, returning, raising


class Boom(Exception):
    pass


def traceback_names(tb):
    return [entry[2] for entry in traceback.extract_tb(tb)]


# --- scenario 3: result peeling and message peeling -------------------------

@pytest.mark.parametrize("args, expected", [
    ((), None),
    ((1,), 1),
    ((1, 2), (1, 2)),
    (((1,),), (1,)),
])
def test_yield_stream_peels_stop_args(args, expected):
    got = []

    @idiokit.stream
    def main():
        value = yield returning(*args)
        got.append(value)

    run(main())
    assert got == [expected]


def test_falling_off_the_end_returns_none():
    @idiokit.stream
    def child():
        yield idiokit.sleep(0)

    @idiokit.stream
    def main():
        value = yield child()
        idiokit.stop(("value", value))

    assert run(main()) == ("value", None)


@pytest.mark.parametrize("args, expected", [
    (("a", "b"), ("a", "b")),
    ((), None),
    ((("t",),), ("t",)),
    ((5,), 5),
])
def test_send_args_arrive_peeled(args, expected):
    got = []

    @idiokit.stream
    def sender():
        yield idiokit.send(*args)

    @idiokit.stream
    def reader():
        item = yield idiokit.next()
        got.append(item)

    run(sender() | reader())
    assert got == [expected]


@pytest.mark.parametrize("args, expected", [
    ((), None),
    (("x",), "x"),
    (("x", "y"), ("x", "y")),
])
def test_event_succeed_args_are_peeled(args, expected):
    event = idiokit.Event()
    event.succeed(*args)
    assert run(event) == expected


def test_main_loop_returns_the_peeled_result():
    assert run(returning(1, 2)) == (1, 2)
    assert run(returning(1)) == 1
    assert run(returning()) is None


# --- scenario 4: streams are hot --------------------------------------------

def test_stream_never_yielded_still_runs_to_completion():
    log = []

    @idiokit.stream
    def worker():
        log.append("started")
        yield idiokit.sleep(0.01)
        log.append("finished")

    worker()  # no reference kept, never yielded or piped
    gc.collect()
    run(idiokit.sleep(0.2))
    assert log == ["started", "finished"]


def test_stream_starts_without_main_loop_reference():
    log = []

    @idiokit.stream
    def first():
        log.append("first")
        yield idiokit.sleep(0)

    @idiokit.stream
    def second():
        yield idiokit.sleep(0)
        log.append("second")

    s = first()
    run(second())
    run(s)
    assert log == ["first", "second"]


# --- scenario 11: yielding a non-stream ------------------------------------

def test_yielding_a_non_stream_fails_the_stream_with_type_error():
    log = []

    @idiokit.stream
    def bad():
        try:
            yield 5
        finally:
            log.append("finally")

    @idiokit.stream
    def bystander():
        for _ in range(3):
            yield idiokit.sleep(0)
        log.append("bystander done")

    other = bystander()
    with pytest.raises(TypeError) as excinfo:
        run(bad())
    assert str(excinfo.value) == "expected a stream, got 5"
    assert log == ["finally"]
    run(other)
    assert log == ["finally", "bystander done"]


def test_non_stream_type_error_is_catchable_by_the_parent():
    @idiokit.stream
    def bad():
        yield "not a stream"

    @idiokit.stream
    def parent():
        try:
            yield bad()
        except TypeError as error:
            idiokit.stop(str(error))

    assert run(parent()) == "expected a stream, got 'not a stream'"


# --- scenario 12: throw into a sleeping stream ------------------------------

def test_throw_into_sleeping_stream_recovers_and_returns():
    log = []

    @idiokit.stream
    def sleeper():
        try:
            yield idiokit.sleep(30.0)
        except Boom as boom:
            log.append(("caught", boom.args))
        yield idiokit.sleep(0.01)
        idiokit.stop("recovered")

    @idiokit.stream
    def main():
        s = sleeper()
        yield idiokit.sleep(0.01)
        s.throw(Boom("x"))
        result = yield s
        idiokit.stop(result)

    assert run(main()) == "recovered"
    assert log == [("caught", ("x",))]


def test_throw_reaches_the_innermost_yield_and_rises_through_levels():
    log = []

    @idiokit.stream
    def leaf():
        try:
            yield idiokit.Event()
        except Boom:
            log.append("leaf")
            raise

    @idiokit.stream
    def middle():
        try:
            yield leaf()
        except Boom:
            log.append("middle")
            raise

    @idiokit.stream
    def top():
        try:
            yield middle()
        except Boom:
            log.append("top")
            idiokit.stop("handled at top")

    @idiokit.stream
    def main():
        s = top()
        yield idiokit.sleep(0.01)
        s.throw(Boom())
        result = yield s
        idiokit.stop(result)

    assert run(main()) == "handled at top"
    assert log == ["leaf", "middle", "top"]


def test_uncaught_throw_fails_the_stream():
    @idiokit.stream
    def sleeper():
        yield idiokit.sleep(30.0)

    @idiokit.stream
    def main():
        s = sleeper()
        yield idiokit.sleep(0)
        s.throw(Boom("uncaught"))
        try:
            yield s
        except Boom as boom:
            idiokit.stop(boom.args)

    assert run(main()) == ("uncaught",)


# --- Stream.throw forms -------------------------------------------------------

def _waiter(log):
    @idiokit.stream
    def waiter():
        try:
            yield idiokit.Event()
        except Exception:
            exc_type, exc_value, exc_tb = sys.exc_info()
            log.append((exc_type, exc_value, traceback_names(exc_tb)))
    return waiter()


def test_throw_with_an_instance():
    log = []
    boom = Boom("instance")

    @idiokit.stream
    def main():
        w = _waiter(log)
        yield idiokit.sleep(0)
        w.throw(boom)
        yield w

    run(main())
    assert log[0][0] is Boom
    assert log[0][1] is boom


def test_throw_without_args_uses_the_current_exception():
    log = []

    def raiser_of_boom():
        raise Boom("current")

    @idiokit.stream
    def main():
        w = _waiter(log)
        yield idiokit.sleep(0)
        try:
            raiser_of_boom()
        except Boom:
            w.throw()
        yield w

    run(main())
    assert log[0][0] is Boom
    assert log[0][1].args == ("current",)
    assert "raiser_of_boom" in log[0][2]


def test_throw_with_type_value_traceback():
    log = []

    def raiser_of_boom():
        raise Boom("triple")

    try:
        raiser_of_boom()
    except Boom:
        exc_info = sys.exc_info()

    @idiokit.stream
    def main():
        w = _waiter(log)
        yield idiokit.sleep(0)
        w.throw(*exc_info)
        yield w

    run(main())
    assert log[0][0] is Boom
    assert log[0][1] is exc_info[1]
    assert "raiser_of_boom" in log[0][2]


def test_throw_into_a_finished_stream_is_harmless():
    @idiokit.stream
    def main():
        s = returning("done")
        first = yield s
        s.throw(Boom())
        yield idiokit.sleep(0.01)
        second = yield s
        idiokit.stop(first, second)

    assert run(main()) == ("done", "done")


# --- a throw reaches a stream that yields only finished streams --------------
# sleep(0), a succeeded Event and a finished stream are done when yielded; a
# signal that waits for the stream is raised there, as at a pending yield
# (the original's sleep(0) is pending for one loop iteration).  SPIN_LIMIT
# turns a signal that never arrives into a failure instead of a hang.

SPIN_LIMIT = 300000


def finished_sleep():
    return idiokit.sleep(0)


def finished_event():
    event = idiokit.Event()
    event.succeed()
    return event


@idiokit.stream
def spinner(make_finished):
    spins = 0
    try:
        while spins < SPIN_LIMIT:
            yield make_finished()
            spins += 1
    except Boom as boom:
        idiokit.stop("interrupted", boom.args)
    except idiokit.BrokenPipe:
        idiokit.stop("broken")
    idiokit.stop("never interrupted")


@pytest.mark.parametrize("make_finished", [finished_sleep, finished_event],
                         ids=["sleep0", "event"])
def test_throw_reaches_a_stream_that_yields_only_finished_streams(make_finished):
    @idiokit.stream
    def main():
        s = spinner(make_finished)
        yield idiokit.sleep(0.01)
        s.throw(Boom("x"))
        result = yield s
        idiokit.stop(result)

    assert run(main()) == ("interrupted", ("x",))


def test_throw_reaches_a_stream_that_yields_a_finished_generator_stream():
    @idiokit.stream
    def main():
        done = returning()
        yield done
        s = spinner(lambda: done)
        yield idiokit.sleep(0.01)
        s.throw(Boom("y"))
        result = yield s
        idiokit.stop(result)

    assert run(main()) == ("interrupted", ("y",))


def test_end_of_downstream_reaches_a_stream_that_yields_only_finished_streams():
    @idiokit.stream
    def downstream():
        yield idiokit.sleep(0.01)
        idiokit.stop("right")

    @idiokit.stream
    def main():
        left = spinner(finished_sleep)
        result = yield left | downstream()
        left_result = yield left
        idiokit.stop(result, left_result)

    assert run(main()) == ("right", "broken")


def test_a_waiting_signal_waits_for_a_finished_stream_with_a_value():
    log = []

    @idiokit.stream
    def worker():
        event = idiokit.Event()
        event.succeed("value")
        log.append((yield event))
        try:
            yield idiokit.sleep(0)
        except Boom as boom:
            log.append(("caught", boom.args))

    @idiokit.stream
    def main():
        s = worker()
        s.throw(Boom("z"))   # waits: the worker has not taken a step yet
        yield s

    run(main())
    assert log == ["value", ("caught", ("z",))]


def test_a_waiting_signal_is_raised_at_the_first_sleep0():
    log = []

    @idiokit.stream
    def worker():
        try:
            yield idiokit.sleep(0)
        except Boom as boom:
            log.append(("caught", boom.args))
        log.append("after")

    @idiokit.stream
    def main():
        s = worker()
        s.throw(Boom("w"))
        yield s

    run(main())
    assert log == [("caught", ("w",)), "after"]


# --- traceback and identity ---------------------------------------------------

def test_main_loop_reraises_with_the_original_traceback():
    @idiokit.stream
    def failing_inner_stream():
        yield idiokit.sleep(0)
        raise Boom("deep")

    @idiokit.stream
    def outer():
        yield failing_inner_stream()

    with pytest.raises(Boom) as excinfo:
        run(outer())
    assert "failing_inner_stream" in traceback_names(excinfo.tb)


def test_parent_sees_the_same_exception_instance_with_raising_frame():
    raised = []
    caught = []

    @idiokit.stream
    def child_that_raises():
        yield idiokit.sleep(0)
        boom = Boom("same")
        raised.append(boom)
        raise boom

    @idiokit.stream
    def parent():
        try:
            yield child_that_raises()
        except Boom:
            _, value, tb = sys.exc_info()
            caught.append((value, traceback_names(tb)))

    run(parent())
    assert caught[0][0] is raised[0]
    assert "child_that_raises" in caught[0][1]


# --- PEP 479: stop() and uncaught end of input on every version ---------------

def test_stop_ends_the_stream_with_args():
    @idiokit.stream
    def stopper():
        yield idiokit.sleep(0)
        idiokit.stop("a", 1)
        yield idiokit.sleep(0)  # never reached

    assert run(stopper()) == ("a", 1)


def test_stop_before_first_yield():
    @idiokit.stream
    def stopper():
        if True:
            idiokit.stop(3)
        yield idiokit.sleep(0)

    assert run(stopper()) == 3


def test_stop_raises_stop_iteration():
    with pytest.raises(StopIteration) as excinfo:
        idiokit.stop(1, 2)
    assert excinfo.value.args == (1, 2)


def test_raise_stop_iteration_directly_also_returns():
    @idiokit.stream
    def stopper():
        yield idiokit.sleep(0)
        raise StopIteration("direct")

    assert run(stopper()) == "direct"


def test_stop_inside_except_stop_iteration_block():
    @idiokit.stream
    def summer():
        total = 0
        while True:
            try:
                item = yield idiokit.next()
            except StopIteration:
                idiokit.stop(total)
            total += item

    assert run(produce([1, 2, 3, 4]) | summer()) == 10


def test_uncaught_end_of_input_ends_with_upstream_result():
    seen = []

    @idiokit.stream
    def reader():
        while True:
            item = yield idiokit.next()
            seen.append(item)

    assert run(produce([1, 2], result=("up", "stream")) | reader()) == ("up", "stream")
    assert seen == [1, 2]


def test_end_of_input_is_a_stop_iteration_instance():
    caught = []

    @idiokit.stream
    def reader():
        try:
            yield idiokit.next()
        except StopIteration as stop:
            caught.append((type(stop), stop.args))

    run(produce([], result=(7,)) | reader())
    assert caught == [(StopIteration, (7,))]


def test_runtime_error_not_caused_by_stop_iteration_stays_an_error():
    @idiokit.stream
    def failing():
        yield idiokit.sleep(0)
        raise RuntimeError("genuine")

    with pytest.raises(RuntimeError) as excinfo:
        run(failing())
    assert excinfo.value.args == ("genuine",)


def test_stop_iteration_leaking_from_a_plain_iterator_ends_the_stream():
    # Python 2 semantics kept on every version: a StopIteration escaping the
    # generator is a normal return with its args.
    @idiokit.stream
    def leaky():
        yield idiokit.sleep(0)
        next(iter([]))

    assert run(leaky()) is None


# --- Stream.result() and re-yielding finished streams -------------------------

def test_result_value_is_set_when_the_stream_finishes():
    @idiokit.stream
    def main():
        s = returning(1, 2)
        assert not s.result().unsafe_is_set()
        yield s
        idiokit.stop(s.result().unsafe_is_set(), s.result().unsafe_get())

    assert run(main()) == (True, (False, (1, 2)))


def test_event_result_is_set_after_succeed():
    event = idiokit.Event()
    assert not event.result().unsafe_is_set()
    event.succeed("x")
    run(event)
    assert event.result().unsafe_is_set()


def test_yielding_a_finished_stream_gives_its_result_again():
    @idiokit.stream
    def main():
        s = returning("r")
        first = yield s
        yield idiokit.sleep(0.01)
        second = yield s
        third = yield s
        idiokit.stop(first, second, third)

    assert run(main()) == ("r", "r", "r")


def test_yielding_a_failed_stream_raises_its_exception_again():
    caught = []

    @idiokit.stream
    def main():
        s = raising(Boom("again"))
        for _ in range(3):
            try:
                yield s
            except Boom as boom:
                caught.append(boom)

    run(main())
    assert len(caught) == 3
    assert caught[0] is caught[1] is caught[2]


def test_yielding_finished_streams_many_times_does_not_recurse():
    count = 20000

    @idiokit.stream
    def main():
        done = idiokit.Event()
        done.succeed(1)
        total = 0
        for _ in range(count):
            total += yield done
        idiokit.stop(total)

    assert run(main()) == count


# --- scenario 15: Event -------------------------------------------------------

def test_event_succeed_from_another_thread():
    event = idiokit.Event()
    threading.Timer(0.02, event.succeed, ("from thread",)).start()
    assert run(event) == "from thread"


def test_event_fail_from_another_thread():
    event = idiokit.Event()
    threading.Timer(0.02, event.fail, (Boom("thread fail"),)).start()
    with pytest.raises(Boom) as excinfo:
        run(event)
    assert excinfo.value.args == ("thread fail",)


def test_event_fail_without_args_uses_current_exception():
    event = idiokit.Event()
    try:
        raise Boom("current")
    except Boom:
        event.fail()
    with pytest.raises(Boom) as excinfo:
        run(event)
    assert excinfo.value.args == ("current",)


def test_event_yielded_twice_gives_the_same_value():
    value = object()

    @idiokit.stream
    def main():
        event = idiokit.Event()
        event.succeed(value)
        first = yield event
        second = yield event
        idiokit.stop(first is value and second is value)

    assert run(main()) is True


def test_event_first_completion_wins():
    event = idiokit.Event()
    event.succeed(1)
    event.succeed(2)
    event.fail(Boom())
    assert run(event) == 1

    failed = idiokit.Event()
    failed.fail(Boom("first"))
    failed.succeed(2)
    with pytest.raises(Boom) as excinfo:
        run(failed)
    assert excinfo.value.args == ("first",)


def test_event_first_completion_wins_across_threads():
    event = idiokit.Event()
    barrier = threading.Event()
    winners = []

    def racer(value):
        barrier.wait(5)
        event.succeed(value)

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    barrier.set()
    for thread in threads:
        thread.join(10)
    winners.append(run(event))
    winners.append(run(event))
    assert winners[0] in range(8)
    assert winners[0] == winners[1]


def test_many_waiters_on_one_event_all_get_the_value():
    event = idiokit.Event()
    got = []

    @idiokit.stream
    def waiter(i):
        value = yield event
        got.append((i, value))

    @idiokit.stream
    def main():
        waiters = [waiter(i) for i in range(10)]
        yield idiokit.sleep(0.01)
        event.succeed("v")
        for w in waiters:
            yield w

    run(main())
    assert sorted(got) == [(i, "v") for i in range(10)]


# --- scenario 16: throw into one of two waiters on a shared Event -------------

def test_throw_into_one_waiter_of_a_shared_event_fails_both():
    event = idiokit.Event()
    results = {}

    @idiokit.stream
    def waiter(name):
        try:
            yield event
        except Boom as boom:
            results[name] = boom.args
        else:
            results[name] = "no exception"

    @idiokit.stream
    def main():
        first = waiter("first")
        second = waiter("second")
        yield idiokit.sleep(0.01)
        first.throw(Boom("shared"))
        yield first
        yield second

    run(main())
    assert results == {"first": ("shared",), "second": ("shared",)}
    with pytest.raises(Boom):
        run(event)


def test_throw_into_waiters_of_a_shared_core_event_leaves_it_to_the_others():
    # _core.shared_event() (asyncoro's Event): a waiter thrown into leaves it,
    # whether it was the first to wait, a later one, or thrown into before its
    # first step (the signal waits when it yields the Event).
    from idiokit import _core
    event = _core.shared_event()
    results = {}

    @idiokit.stream
    def waiter(name):
        try:
            results[name] = yield event
        except Boom as boom:
            results[name] = boom.args

    @idiokit.stream
    def main():
        first, second, third = waiter("first"), waiter("second"), waiter("third")
        early = waiter("early")
        early.throw(Boom("early"))
        yield idiokit.sleep(0.01)
        first.throw(Boom("first"))
        yield first
        third.throw(Boom("third"))
        yield third
        yield early
        event.succeed("v")
        yield second

    run(main())
    assert results == {"first": ("first",), "second": "v", "third": ("third",),
                       "early": ("early",)}
    assert run(event) == "v"


# --- scenario 21, inverted: a detached stream's exception is logged -----------

def test_exception_in_detached_stream_is_logged_when_collected(expected_logs):
    @idiokit.stream
    def detached_failure():
        yield idiokit.sleep(0)
        raise Boom("nobody waits for me")

    detached_failure()
    run(idiokit.sleep(0.05))
    for _ in range(3):
        gc.collect()
    text = expected_logs.text()
    assert len(expected_logs.records) == 1, text
    assert expected_logs.records[0].name.startswith("idiokit")
    assert "Boom" in text
    assert "nobody waits for me" in text


def test_exception_retrieved_by_a_waiter_is_not_logged():
    # The autouse log guard fails this test if anything is logged.
    @idiokit.stream
    def parent():
        try:
            yield raising(Boom("retrieved"))
        except Boom:
            pass

    run(parent())
    gc.collect()


def test_exception_raised_out_of_main_loop_is_not_logged():
    with pytest.raises(Boom):
        run(raising(Boom("to the caller")))
    gc.collect()
