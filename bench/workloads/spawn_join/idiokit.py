"""spawn_join / idiokit (generator streams): N no-op streams started at once, then yielded."""
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
    streams = [noop() for _ in range(n)]
    for stream in streams:
        yield stream
    idiokit.stop(clock() - start)


seconds = idiokit.main_loop(main(P["n"]))
emit(n=P["n"], seconds=seconds, rate=P["n"] / seconds)
