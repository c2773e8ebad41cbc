"""group_spawn / asyncio: N no-op tasks in an asyncio.TaskGroup (Python 3.11+).
uvloop.py runs this same code on uvloop's loop."""
import asyncio

from benchutil import clock, emit, params

DEFAULTS = dict(n=100000)


async def noop():
    pass


async def main(p):
    n = p["n"]
    start = clock()
    async with asyncio.TaskGroup() as tg:
        create_task = tg.create_task
        for _ in range(n):
            create_task(noop())
    seconds = clock() - start
    return dict(n=n, seconds=seconds, rate=n / seconds)


if __name__ == "__main__":
    emit(**asyncio.run(main(params(**DEFAULTS))))
