# tests/core/test_core_fork.py: after os.fork() the child's loop works (reliability
# checklist K1): timers, thread-pool calls and pipes run in the child, and the
# parent's loop keeps working too.  Run in a subprocess so the forks never
# touch the test runner's own loop.
from __future__ import absolute_import

import os

import pytest

from support.procs import run_py

FORK_SCRIPT = r"""
from __future__ import print_function
import os, sys
import idiokit

@idiokit.stream
def exercise(tag):
    yield idiokit.sleep(0.01)
    value = yield idiokit.thread(lambda: tag + "-thread")

    @idiokit.stream
    def produce():
        for i in range(3):
            yield idiokit.send(i)

    @idiokit.stream
    def total():
        result = 0
        try:
            while True:
                result += yield idiokit.next()
        except StopIteration:
            idiokit.stop(result)

    summed = yield produce() | total()
    idiokit.stop(value, summed)

# Use the loop and the thread pool before forking.
print("before", idiokit.main_loop(exercise("parent0"), catch_signals=()))
sys.stdout.flush()
pid = os.fork()
if pid == 0:
    try:
        print("child", idiokit.main_loop(exercise("child"), catch_signals=()))
        sys.stdout.flush()
    finally:
        os._exit(0)
_, status = os.waitpid(pid, 0)
print("child status", status)
print("after", idiokit.main_loop(exercise("parent1"), catch_signals=()))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_the_loop_timers_threads_and_pipes_work_after_fork():
    rc, out, err = run_py(FORK_SCRIPT, timeout=30)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines == [
        "before ('parent0-thread', 3)",
        "child ('child-thread', 3)",
        "child status 0",
        "after ('parent1-thread', 3)",
    ], out + err
