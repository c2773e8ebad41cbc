"""group_spawn / idiokit (generator streams): N no-op children started into an
idiokit.TaskGroup, then `yield group.wait()`."""
from __future__ import print_function

import idiokit

from benchutil import clock, emit, params

P = params(n=100000)


@idiokit.stream
def noop():
    return
    yield  # makes noop a generator function


@idiokit.stream
def main(n):
    start = clock()
    with idiokit.TaskGroup() as group:
        start_child = group.start
        for _ in range(n):
            start_child(noop())
        yield group.wait()
    idiokit.stop(clock() - start)


seconds = idiokit.main_loop(main(P["n"]))
emit(n=P["n"], seconds=seconds, rate=P["n"] / seconds)
