# tests/core/test_group_async_py3.py: Python 3 only (ignored on Python 2 by
# conftest.py): the `async with` / `await` spellings of idiokit.TaskGroup and
# the cancel scopes, mixed with generator streams: the block waits for its
# children on exit, a child failure interrupts the block and is raised (an
# ExceptionGroup on 3.11+ when several fail), the block's own exception
# cancels the children, an owner's deadline cancels them and is caught by
# its scope; move_on_after / fail_after / idiokit.timeout under async with.
import sys
import time

import pytest

import idiokit
from idiokit import Cancelled, TaskGroup, Timeout, move_on_after, fail_after

from support.util import run


class Boom(Exception):
    pass


@idiokit.stream
async def sleeper(delay, log, name):
    try:
        await idiokit.sleep(delay)
    except Cancelled:
        log.append(("cancelled", name))
        raise
    log.append(("done", name))
    return name


@idiokit.stream
async def failer(delay, exc):
    await idiokit.sleep(delay)
    raise exc


@idiokit.stream
def generator_sleeper(delay, log, name):
    try:
        yield idiokit.sleep(delay)
    except Cancelled:
        log.append(("cancelled", name))
        raise
    log.append(("done", name))


def test_async_with_waits_for_async_and_generator_children():
    log = []

    @idiokit.stream
    async def main():
        async with TaskGroup() as group:
            a = group.start(sleeper(0.02, log, "async"))
            group.start(generator_sleeper(0.01, log, "generator"))
        assert group.pending == 0
        return await a

    assert run(main()) == "async"
    assert log == [("done", "generator"), ("done", "async")]


def test_a_child_failure_interrupts_the_block_and_is_raised():
    log = []

    @idiokit.stream
    async def main():
        async with TaskGroup() as group:
            group.start(failer(0.01, Boom("child")))
            group.start(sleeper(5, log, "sibling"))
            await idiokit.sleep(5)
            log.append("not reached")

    start = time.time()
    with pytest.raises(Boom):
        run(main())
    assert time.time() - start < 2
    assert log == [("cancelled", "sibling")]


def test_several_failures():
    @idiokit.stream
    async def fails_on_cancel(exc):
        try:
            await idiokit.sleep(5)
        except Cancelled:
            raise exc

    @idiokit.stream
    async def main():
        async with TaskGroup() as group:
            group.start(failer(0.01, Boom("one")))
            group.start(fails_on_cancel(KeyError("two")))

    if sys.version_info >= (3, 11):
        with pytest.raises(ExceptionGroup) as info:  # noqa: F821
            run(main())
        assert [type(e) for e in info.value.exceptions] == [Boom, KeyError]
    else:
        with pytest.raises(Boom) as info:
            run(main())
        assert [type(e) for e in info.value.group_errors] == [Boom, KeyError]


def test_the_block_exception_cancels_and_waits_for_the_children():
    log = []

    @idiokit.stream
    async def cleaning():
        try:
            await idiokit.sleep(5)
        except Cancelled:
            await idiokit.sleep(0.02)
            log.append("cleaned")
            raise

    @idiokit.stream
    async def main():
        async with TaskGroup() as group:
            group.start(cleaning())
            await idiokit.sleep(0.01)
            raise KeyError("body")

    with pytest.raises(KeyError):
        run(main())
    assert log == ["cleaned"]


def test_block_exception_and_child_failure_together():
    @idiokit.stream
    async def fails_on_cancel():
        try:
            await idiokit.sleep(5)
        except Cancelled:
            raise Boom("child")

    @idiokit.stream
    async def main():
        async with TaskGroup() as group:
            group.start(fails_on_cancel())
            await idiokit.sleep(0.01)
            raise KeyError("body")

    if sys.version_info >= (3, 11):
        with pytest.raises(ExceptionGroup) as info:  # noqa: F821
            run(main())
        assert [type(e) for e in info.value.exceptions] == [KeyError, Boom]
    else:
        with pytest.raises(KeyError) as info:
            run(main())
        assert [type(e) for e in info.value.group_errors] == [KeyError, Boom]


def test_owner_deadline_cancels_the_children_and_its_scope_catches_it():
    log = []

    @idiokit.stream
    async def main():
        async with move_on_after(0.03) as scope:
            async with TaskGroup() as group:
                group.start(sleeper(5, log, "a"))
                group.start(generator_sleeper(5, log, "b"))
        return scope.cancelled_caught

    assert run(main()) is True
    assert sorted(log) == [("cancelled", "a"), ("cancelled", "b")]


def test_async_with_scopes():
    @idiokit.stream
    async def main():
        async with move_on_after(0.02) as scope:
            await idiokit.sleep(5)
        assert scope.cancelled_caught
        with move_on_after(0.02) as scope:       # the plain `with` works too
            await idiokit.sleep(5)
        assert scope.cancelled_caught
        with pytest.raises(Timeout):
            async with fail_after(0.02):
                await idiokit.sleep(5)
        with pytest.raises(Timeout):
            async with idiokit.timeout(0.02):
                await idiokit.sleep(5)
        async with move_on_after(5) as outer:
            async with move_on_after(0.02) as inner:
                await idiokit.sleep(5)
            await idiokit.sleep(0.01)
        return outer.cancelled_caught, inner.cancelled_caught

    assert run(main()) == (False, True)


def test_a_throw_into_an_async_owner_cancels_its_children():
    log = []

    @idiokit.stream
    async def owner():
        async with TaskGroup() as group:
            group.start(sleeper(5, log, "a"))

    @idiokit.stream
    async def main():
        stream = owner()
        await idiokit.sleep(0.01)
        stream.throw(Boom("outside"))
        try:
            await stream
        except Boom:
            log.append("owner raised")

    run(main())
    assert log == [("cancelled", "a"), "owner raised"]
