"""idle_memory / idiokit (async def streams): N streams blocked on `await event` (one idiokit.Event)."""
import idiokit

from benchutil import clock, emit, params, settled_rss

P = params(n=100000)
counts = [0, 0]  # [blocked, woken]


@idiokit.stream
async def idler(event):
    counts[0] += 1
    await event
    counts[1] += 1


@idiokit.stream
async def main(n):
    event = idiokit.Event()
    before = settled_rss()
    streams = [idler(event) for _ in range(n)]
    while counts[0] < n:
        await idiokit.sleep(0)
    after = settled_rss()
    start = clock()
    event.succeed()
    while counts[1] < n:
        await idiokit.sleep(0)
    wake = clock() - start
    for stream in streams:
        await stream
    return before, after, wake


before, after, wake = idiokit.main_loop(main(P["n"]))
emit(n=P["n"], rss_before=before, rss_after=after, bytes_per_task=(after - before) / float(P["n"]),
     wake_seconds=wake)
