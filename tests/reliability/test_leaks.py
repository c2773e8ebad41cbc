# tests/reliability/test_leaks.py: long runs leave nothing behind: memory,
# references and the core's live-object counters (support/usage.py), and
# exception tracebacks that would grow on reuse. Counts scale with the
# environment variable IDIOKIT_TEST_SCALE (default 1.0).
from __future__ import absolute_import, print_function

import sys
import traceback

import pytest

import idiokit
from idiokit import timer

from support.usage import Usage
from support.util import run, scale


class Boom(Exception):
    pass


# --- steps, sleeps, events and cancelled timers -------------------------------------

@idiokit.stream
def tiny_child(i):
    yield idiokit.sleep(0)
    idiokit.stop(i)


@idiokit.stream
def churn(count):
    total = 0
    for i in range(count):
        kind = i % 4
        if kind == 0:
            yield idiokit.sleep(0)
        elif kind == 1:
            event = idiokit.Event()
            event.succeed(1)
            total += yield event
        elif kind == 2:
            total += (yield tiny_child(1))
        else:
            event = idiokit.Event()
            event.succeed(1)
            total += yield timer.timeout(60.0, event)
    idiokit.stop(total)


def expected_churn_total(count):
    return sum(1 for i in range(count) if i % 4)


def test_steps_sleeps_and_events_do_not_grow_memory_or_references():
    count = scale(100000, minimum=1000)
    assert run(churn(scale(10000, minimum=100))) == expected_churn_total(scale(10000, minimum=100))
    before = Usage()
    assert run(churn(count)) == expected_churn_total(count)
    Usage().assert_flat_since(before)


# --- a million messages through a three-stage pipe ----------------------------------

@idiokit.stream
def numbers(count):
    for i in range(count):
        yield idiokit.send(i)
    idiokit.stop(count)


@idiokit.stream
def tally():
    count = 0
    total = 0
    while True:
        try:
            item = yield idiokit.next()
        except StopIteration as stop:
            idiokit.stop(count, total, stop.args)
        count += 1
        total += item


def run_messages(count):
    return run(numbers(count) | idiokit.map(lambda x: (x,)) | tally())


def test_a_million_messages_through_three_stages_lose_and_leak_nothing():
    count = scale(1000000, minimum=1000)
    warm = scale(10000, minimum=100)
    assert run_messages(warm) == (warm, warm * (warm - 1) // 2, (warm,))
    before = Usage()
    assert run_messages(count) == (count, count * (count - 1) // 2, (count,))
    Usage().assert_flat_since(before)


# --- pipelines torn down by exceptions ----------------------------------------------

@idiokit.stream
def forever_sending():
    while True:
        yield idiokit.send("x")


@idiokit.stream
def crash_after(count):
    for _ in range(count):
        item = yield idiokit.next()
        yield idiokit.send(item)
    raise Boom("crash")


@idiokit.stream
def swallow():
    while True:
        yield idiokit.next()


def crash_pipelines(count):
    depths = []
    instances = set()
    for i in range(count):
        try:
            run(idiokit.pipe(forever_sending(), crash_after(i % 5), swallow()))
        except Boom as error:
            depths.append(len(traceback.extract_tb(sys.exc_info()[2])))
            instances.add(id(error))
            del error
        else:
            raise AssertionError("the pipeline did not raise")
    return depths, instances


def test_pipelines_torn_down_by_exceptions_leave_nothing_behind():
    count = scale(1000, minimum=50)
    crash_pipelines(scale(100, minimum=10))
    before = Usage()
    depths, _ = crash_pipelines(count)
    Usage().assert_flat_since(before)
    # The same failure gives the same traceback every time: nothing chains up.
    assert max(depths) == min(depths)


def test_each_torn_down_pipeline_raises_a_fresh_exception():
    kept = []
    for i in range(20):
        try:
            run(idiokit.pipe(forever_sending(), crash_after(1), swallow()))
        except Boom as error:
            kept.append(error)
    assert len(set(id(error) for error in kept)) == len(kept)


# --- timeouts with the default exception --------------------------------------------

def test_default_timeout_exception_does_not_accumulate_tracebacks():
    @idiokit.stream
    def slow():
        yield idiokit.Event()

    depths = []
    contexts = []
    for _ in range(scale(300, minimum=20)):
        try:
            run(timer.timeout(0.0, slow()))
        except timer.Timeout as error:
            depths.append(len(traceback.extract_tb(sys.exc_info()[2])))
            depth = 0
            context = getattr(error, "__context__", None)
            while context is not None and depth < 1000:
                depth += 1
                context = getattr(context, "__context__", None)
            contexts.append(depth)
            del error
    assert max(depths) == min(depths)
    assert max(contexts) == min(contexts)


@pytest.mark.parametrize("kind", ["returned", "raised"])
def test_many_short_lived_streams_are_freed(kind):
    @idiokit.stream
    def short(i):
        yield idiokit.sleep(0)
        if kind == "raised":
            raise Boom(i)
        idiokit.stop(i)

    @idiokit.stream
    def main(count):
        for start in range(0, count, 100):
            streams = [short(i) for i in range(start, start + 100)]
            for s in streams:
                try:
                    yield s
                except Boom:
                    pass

    run(main(scale(2000, minimum=100)))
    before = Usage()
    run(main(scale(20000, minimum=1000)))
    Usage().assert_flat_since(before)
