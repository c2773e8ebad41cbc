"""idle_memory / asyncio: N tasks blocked on `await event.wait()` (one asyncio.Event).
uvloop.py runs this same code on uvloop's loop."""
import asyncio

from benchutil import clock, params, settled_rss, emit

DEFAULTS = dict(n=100000)


async def idler(event, counts):
    counts[0] += 1
    await event.wait()
    counts[1] += 1


async def main(p):
    n = p["n"]
    event = asyncio.Event()
    counts = [0, 0]  # [blocked, woken]
    before = settled_rss()
    tasks = [asyncio.create_task(idler(event, counts)) for _ in range(n)]
    while counts[0] < n:
        await asyncio.sleep(0)
    after = settled_rss()
    start = clock()
    event.set()
    while counts[1] < n:
        await asyncio.sleep(0)
    wake = clock() - start
    for task in tasks:
        await task
    return dict(n=n, rss_before=before, rss_after=after, bytes_per_task=(after - before) / n,
                wake_seconds=wake)


if __name__ == "__main__":
    emit(**asyncio.run(main(params(**DEFAULTS))))
