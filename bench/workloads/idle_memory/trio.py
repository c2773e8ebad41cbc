"""idle_memory / trio: N tasks blocked in `await event.wait()` (one trio.Event), one nursery."""
import trio

from benchutil import clock, emit, params, settled_rss

P = params(n=100000)
counts = [0, 0]  # [blocked, woken]


async def idler(event):
    counts[0] += 1
    await event.wait()
    counts[1] += 1


async def main(n):
    event = trio.Event()
    before = settled_rss()
    async with trio.open_nursery() as nursery:
        for _ in range(n):
            nursery.start_soon(idler, event)
        while counts[0] < n:
            await trio.sleep(0)
        after = settled_rss()
        start = clock()
        event.set()
        while counts[1] < n:
            await trio.sleep(0)
        wake = clock() - start
    return before, after, wake


before, after, wake = trio.run(main, P["n"])
emit(n=P["n"], rss_before=before, rss_after=after, bytes_per_task=(after - before) / P["n"],
     wake_seconds=wake)
