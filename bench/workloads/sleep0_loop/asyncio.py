"""sleep0_loop / asyncio: `await asyncio.sleep(0)` in a loop.
uvloop.py runs this same code on uvloop's loop."""
import asyncio

from benchutil import clock, emit, params

DEFAULTS = dict(seconds=1.0)


async def main(p):
    iterations = 0
    start = clock()
    while clock() - start < p["seconds"]:
        for _ in range(1000):
            await asyncio.sleep(0)
        iterations += 1000
    seconds = clock() - start
    return dict(iterations=iterations, seconds=seconds, rate=iterations / seconds)


if __name__ == "__main__":
    emit(**asyncio.run(main(params(**DEFAULTS))))
