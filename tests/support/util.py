# tests/support/util.py: small stream helpers shared by the test files.
from __future__ import absolute_import

import os
import idiokit

# Slow runners (make test-valgrind) scale every per-test timeout, and the
# timeouts a test gives the code under test where only a slow machine would
# reach them (patient()).
TIMEOUT_FACTOR = float(os.environ.get("IDIOKIT_TIMEOUT_FACTOR") or 1.0)


def patient(seconds):
    """seconds, scaled by IDIOKIT_TIMEOUT_FACTOR."""
    return seconds * TIMEOUT_FACTOR


def run(stream):
    """Run `stream` to completion on the loop and return its peeled result
    (or raise its exception), without touching signal handlers."""
    return idiokit.main_loop(stream, catch_signals=())


def scale(count, minimum=1):
    """Scale a loop count by IDIOKIT_TEST_SCALE (default 1.0)."""
    factor = float(os.environ.get("IDIOKIT_TEST_SCALE", "1.0"))
    return max(minimum, int(count * factor))


@idiokit.stream
def produce(items, result=()):
    """Send each of `items`, then return `result` (a tuple of args)."""
    for item in items:
        yield idiokit.send(item)
    idiokit.stop(*result)


@idiokit.stream
def collect_into(target):
    """Append every input to `target` until the input ends; return the
    args of the end of input (the upstream's result, peeled)."""
    while True:
        try:
            item = yield idiokit.next()
        except StopIteration as stop:
            idiokit.stop(*stop.args)
        target.append(item)


@idiokit.stream
def returning(*args):
    """A stream that takes one loop step and returns args."""
    yield idiokit.sleep(0)
    idiokit.stop(*args)


@idiokit.stream
def raising(exc, delay=0):
    """A stream that sleeps `delay` and raises `exc`."""
    yield idiokit.sleep(delay)
    raise exc


@idiokit.stream
def read_n(count, result=()):
    """Reads `count` items from its input; ends with (items, *result)."""
    items = []
    for _ in range(count):
        item = yield idiokit.next()
        items.append(item)
    idiokit.stop(items, *result)


@idiokit.stream
def finish(*streams):
    """End long-lived streams (connections): throw BrokenPipe into each and
    wait for it to end, whatever it ends with."""
    for stream in streams:
        stream.throw(idiokit.BrokenPipe())
        try:
            yield stream
        except Exception:
            pass
