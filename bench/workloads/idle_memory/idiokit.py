"""idle_memory / idiokit (generator streams): N streams blocked on `yield event` (one idiokit.Event)."""
from __future__ import print_function

import idiokit

from benchutil import clock, emit, params, settled_rss

P = params(n=100000)
counts = [0, 0]  # [blocked, woken]


@idiokit.stream
def idler(event):
    counts[0] += 1
    yield event
    counts[1] += 1


@idiokit.stream
def main(n):
    event = idiokit.Event()
    before = settled_rss()
    streams = [idler(event) for _ in range(n)]
    while counts[0] < n:
        yield idiokit.sleep(0)
    after = settled_rss()
    start = clock()
    event.succeed()
    while counts[1] < n:
        yield idiokit.sleep(0)
    wake = clock() - start
    for stream in streams:
        yield stream
    idiokit.stop(before, after, wake)


before, after, wake = idiokit.main_loop(main(P["n"]))
emit(n=P["n"], rss_before=before, rss_after=after, bytes_per_task=(after - before) / float(P["n"]),
     wake_seconds=wake)
