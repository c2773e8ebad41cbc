# tests/core/test_group.py: idiokit.TaskGroup in its generator spelling (every
# Python): the group ends when all children have; the first failure cancels
# the others (thrown idiokit.Cancelled, which they may catch to clean up) and
# is raised; several failures make an ExceptionGroup on 3.11+, else the first
# carries them all; cancelling the owner cancels the children; a child that
# ignores cancellation is waited for; a cancel during clean-up reaches the
# children again; 100,000 children; pipes and fork as children.  Scenarios
# after trio's nursery and giambio's pool documentation.
from __future__ import absolute_import

import gc
import sys
import time
import weakref

import pytest

import idiokit
from idiokit import Cancelled, TaskGroup

from support.util import run, produce, collect_into


class Boom(Exception):
    pass


@idiokit.stream
def sleeper(delay, log, name, result=None):
    try:
        yield idiokit.sleep(delay)
    except Cancelled:
        log.append(("cancelled", name))
        raise
    log.append(("done", name))
    idiokit.stop(result)


@idiokit.stream
def failer(delay, exc, log=None):
    yield idiokit.sleep(delay)
    if log is not None:
        log.append(("failing", exc))
    raise exc


@idiokit.stream
def cleaner(log, name, cleanup):
    """Catches Cancelled and waits `cleanup` seconds before re-raising it."""
    try:
        yield idiokit.sleep(30)
    except Cancelled:
        log.append(("cleaning", name))
        try:
            yield idiokit.sleep(cleanup)
        except Cancelled:
            log.append(("clean-up interrupted", name))
            raise
        log.append(("cleaned", name))
        raise


# ---- the group ends when all children have ---------------------------------------

def test_group_waits_for_every_child_and_children_keep_their_results():
    log = []

    @idiokit.stream
    def main():
        with TaskGroup() as group:
            a = group.start(sleeper(0.03, log, "a", "ra"))
            b = group.start(sleeper(0.01, log, "b", "rb"))
            assert group.pending == 2
            result = yield group.wait()
        assert result is None
        assert group.pending == 0
        assert log == [("done", "b"), ("done", "a")]
        assert (yield a) == "ra"
        assert (yield b) == "rb"

    run(main())


def test_children_may_start_children_while_the_owner_waits():
    log = []

    @idiokit.stream
    def spawner(group):
        yield idiokit.sleep(0.01)
        group.start(sleeper(0.02, log, "late"))

    @idiokit.stream
    def main():
        with TaskGroup() as group:
            group.start(spawner(group))
            yield group.wait()
        assert log == [("done", "late")]

    run(main())


def test_empty_group_ends_at_once_and_a_plain_generator_runs_as_a_child():
    log = []

    def plain():
        yield idiokit.sleep(0)
        log.append("plain ran")

    @idiokit.stream
    def main():
        with TaskGroup() as group:
            yield group.wait()
        with TaskGroup() as group:
            child = group.start(plain())
            assert isinstance(child, idiokit.Stream)
            yield group.wait()
        assert log == ["plain ran"]

    run(main())


# ---- failure propagation ------------------------------------------------------------

def test_first_failure_cancels_the_others_and_is_raised_with_its_traceback():
    log = []

    @idiokit.stream
    def main():
        with TaskGroup() as group:
            group.start(sleeper(5, log, "slow1"))
            group.start(failer(0.01, Boom("first")))
            group.start(sleeper(5, log, "slow2"))
            yield group.wait()

    start = time.time()
    with pytest.raises(Boom) as info:
        run(main())
    assert time.time() - start < 2
    assert str(info.value) == "first"
    assert "failer" in "".join(str(entry) for entry in info.traceback)
    assert sorted(log) == [("cancelled", "slow1"), ("cancelled", "slow2")]
    assert not hasattr(info.value, "group_errors") or info.value.group_errors == [info.value]


def test_several_failures_are_all_reported():
    @idiokit.stream
    def cancelled_then_fails(exc):
        try:
            yield idiokit.sleep(5)
        except Cancelled:
            raise exc

    @idiokit.stream
    def main():
        with TaskGroup() as group:
            group.start(failer(0.01, Boom("one")))
            group.start(cancelled_then_fails(KeyError("two")))
            yield group.wait()

    if sys.version_info >= (3, 11):
        with pytest.raises(BaseExceptionGroup) as info:  # noqa: F821
            run(main())
        assert [str(e) for e in info.value.exceptions] == ["one", "'two'"]
        assert isinstance(info.value, ExceptionGroup)  # noqa: F821
    else:
        with pytest.raises(Boom) as info:
            run(main())
        assert [str(e) for e in info.value.group_errors] == ["one", "'two'"]


def test_failure_while_the_owner_is_in_its_block_interrupts_the_block():
    log = []

    @idiokit.stream
    def main():
        with TaskGroup() as group:
            group.start(failer(0.01, Boom("child")))
            group.start(sleeper(5, log, "sibling"))
            try:
                yield idiokit.sleep(5)
            except Cancelled:
                log.append("owner's wait cancelled")
                raise
            log.append("not reached")
            yield group.wait()

    start = time.time()
    with pytest.raises(Boom):
        run(main())
    assert time.time() - start < 2
    assert "owner's wait cancelled" in log and "not reached" not in log
    assert ("cancelled", "sibling") in log


def test_children_may_clean_up_with_waits_and_the_group_waits_for_them():
    log = []

    @idiokit.stream
    def main():
        with TaskGroup() as group:
            group.start(cleaner(log, "c", 0.05))
            group.start(failer(0.01, Boom("x")))
            yield group.wait()

    with pytest.raises(Boom):
        run(main())
    assert log == [("cleaning", "c"), ("cleaned", "c")]


def test_a_child_that_ignores_cancellation_is_waited_for():
    log = []

    @idiokit.stream
    def stubborn():
        try:
            yield idiokit.sleep(30)
        except Cancelled:
            log.append("ignored")
        yield idiokit.sleep(0.1)
        log.append("finished anyway")
        idiokit.stop("stubborn result")

    @idiokit.stream
    def main():
        with TaskGroup() as group:
            child = group.start(stubborn())
            group.start(failer(0.01, Boom("x")))
            start = time.time()
            try:
                yield group.wait()
            except Boom:
                log.append(("group raised after", time.time() - start >= 0.08))
            assert (yield child) == "stubborn result"

    run(main())
    assert log == ["ignored", "finished anyway", ("group raised after", True)]


def test_cancel_during_clean_up_reaches_the_children_again():
    log = []

    @idiokit.stream
    def main():
        with idiokit.move_on_after(0.15):
            with TaskGroup() as group:
                group.start(cleaner(log, "c", 10))
                group.start(failer(0.01, Boom("x")))
                yield group.wait()

    start = time.time()
    with pytest.raises(Boom):
        run(main())
    assert time.time() - start < 5
    assert log == [("cleaning", "c"), ("clean-up interrupted", "c")]


# ---- cancelling the owner ------------------------------------------------------------

def test_a_throw_into_the_owner_cancels_the_children_then_is_raised():
    log = []

    @idiokit.stream
    def owner():
        with TaskGroup() as group:
            group.start(sleeper(5, log, "a"))
            group.start(cleaner(log, "b", 0.03))
            yield group.wait()

    @idiokit.stream
    def main():
        stream = owner()
        yield idiokit.sleep(0.02)
        stream.throw(Boom("from outside"))
        try:
            yield stream
        except Boom as exc:
            log.append(("owner raised", str(exc)))

    run(main())
    assert sorted(log[:-1]) == [("cancelled", "a"), ("cleaned", "b"), ("cleaning", "b")]
    assert log[-1] == ("owner raised", "from outside")


def test_an_owner_scope_deadline_cancels_the_children_and_is_caught_by_the_scope():
    log = []

    @idiokit.stream
    def main():
        with idiokit.move_on_after(0.03) as scope:
            with TaskGroup() as group:
                group.start(sleeper(5, log, "a"))
                group.start(sleeper(5, log, "b"))
                yield group.wait()
        log.append(("caught", scope.cancelled_caught))

    run(main())
    assert sorted(log[:2]) == [("cancelled", "a"), ("cancelled", "b")]
    assert log[2] == ("caught", True)


def test_group_cancel_ends_the_group_without_error():
    log = []

    @idiokit.stream
    def main():
        with TaskGroup() as group:
            group.start(sleeper(5, log, "a"))
            group.start(sleeper(5, log, "b"))
            yield idiokit.sleep(0.01)
            group.cancel()
            assert group.cancelled
            late = group.start(sleeper(5, log, "late"))
            yield group.wait()
        state, _ = late._outcome()
        assert state == 2

    run(main())
    assert sorted(log) == [("cancelled", "a"), ("cancelled", "b"), ("cancelled", "late")]


# ---- misuse ------------------------------------------------------------------------------

def test_block_left_without_waiting_is_an_error_and_cancels_the_children():
    log = []

    @idiokit.stream
    def main():
        with TaskGroup() as group:
            group.start(sleeper(5, log, "a"))
        yield idiokit.sleep(0.01)

    with pytest.raises(RuntimeError, match="yield group.wait"):
        run(main())
    run(idiokit.sleep(0.02))
    assert log == [("cancelled", "a")]


def test_block_left_by_an_exception_cancels_and_logs_later_failures(expected_logs):
    log = []

    @idiokit.stream
    def fails_when_cancelled():
        try:
            yield idiokit.sleep(5)
        except Cancelled:
            yield idiokit.sleep(0.01)
            raise Boom("late failure")

    @idiokit.stream
    def main():
        with TaskGroup() as group:
            group.start(sleeper(5, log, "a"))
            group.start(fails_when_cancelled())
            yield idiokit.sleep(0)
            raise KeyError("body")

    with pytest.raises(KeyError):
        run(main())
    run(idiokit.sleep(0.05))
    assert log == [("cancelled", "a")]
    assert "late failure" in expected_logs.text()


def test_start_after_the_end_and_bad_children_are_errors():
    @idiokit.stream
    def main():
        with TaskGroup() as group:
            yield group.wait()
        with pytest.raises(RuntimeError):
            group.start(idiokit.sleep(0))
        other = TaskGroup()
        with pytest.raises(TypeError):
            other.start(42)
        with pytest.raises(TypeError):
            other.start(None)
        assert other.pending == 0
        yield other.wait()

    run(main())
    with pytest.raises(RuntimeError):
        with TaskGroup():
            pass


# ---- many children ------------------------------------------------------------------------

@pytest.mark.timeout(120)
def test_a_group_of_100000_children():
    count = [0]

    @idiokit.stream
    def child():
        yield idiokit.sleep(0)
        count[0] += 1

    @idiokit.stream
    def main():
        with TaskGroup() as group:
            for _ in range(100000):
                group.start(child())
            yield group.wait()

    run(main())
    assert count[0] == 100000


@pytest.mark.timeout(120)
def test_one_failure_among_100000_children_cancels_the_rest():
    counts = {"done": 0, "cancelled": 0}

    @idiokit.stream
    def child(i):
        try:
            yield idiokit.sleep(60)
        except Cancelled:
            counts["cancelled"] += 1
            raise
        counts["done"] += 1

    @idiokit.stream
    def main():
        with TaskGroup() as group:
            for i in range(100000):
                group.start(child(i))
            group.start(failer(0, Boom("one")))     # runs after every child waits
            yield group.wait()

    with pytest.raises(Boom):
        run(main())
    assert counts == {"done": 0, "cancelled": 100000}


def test_finished_children_are_not_kept_by_a_long_lived_group():
    @idiokit.stream
    def main():
        with TaskGroup() as group:
            first = group.start(idiokit.sleep(0))
            yield first
            ref = weakref.ref(first)
            del first
            for _ in range(64):
                group.start(idiokit.sleep(0))
            gc.collect()
            assert ref() is None
            yield group.wait()

    run(main())


# ---- pipes and fork --------------------------------------------------------------------

def test_pipes_and_forks_as_children():
    got = []

    @idiokit.stream
    def main():
        source = produce([1, 2, 3], ("end",))
        with TaskGroup() as group:
            pipe = group.start(source | collect_into(got))
            fork = group.start(source.fork())
            yield group.wait()
        assert (yield pipe) == "end"
        assert (yield fork) == "end"

    run(main())
    assert got == [1, 2, 3]


def test_a_failing_pipe_stage_fails_the_group_and_a_pipe_child_is_cancelled():
    @idiokit.stream
    def forever():
        while True:
            yield idiokit.next()

    @idiokit.stream
    def main():
        with TaskGroup() as group:
            group.start(produce([]) | forever())
            group.start(produce([1]) | failer(0.01, Boom("stage")))
            yield group.wait()
        assert False, "not reached"

    with pytest.raises(Boom):
        run(main())
