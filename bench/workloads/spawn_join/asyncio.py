"""spawn_join / asyncio: N no-op tasks with create_task, then each awaited.
uvloop.py runs this same code on uvloop's loop."""
import asyncio

from benchutil import clock, emit, params

DEFAULTS = dict(n=100000)


async def noop():
    pass


async def main(p):
    n = p["n"]
    start = clock()
    tasks = [asyncio.create_task(noop()) for _ in range(n)]
    for task in tasks:
        await task
    seconds = clock() - start
    return dict(n=n, seconds=seconds, rate=n / seconds)


if __name__ == "__main__":
    emit(**asyncio.run(main(params(**DEFAULTS))))
