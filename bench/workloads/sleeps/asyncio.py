"""sleeps / asyncio: N concurrent tasks each `await asyncio.sleep(d)`, all awaited.
uvloop.py runs this same code on uvloop's loop."""
import asyncio
import random

from benchutil import clock, emit, params, percentile

DEFAULTS = dict(n=100000, low=0.0, high=0.1, seed=1)


async def sleeper(lates, index, delay, start):
    await asyncio.sleep(delay)
    lates[index] = clock() - start - delay


async def main(p):
    rng = random.Random(p["seed"])
    delays = [rng.uniform(p["low"], p["high"]) for _ in range(p["n"])]
    lates = [0.0] * p["n"]
    start = clock()
    tasks = [asyncio.create_task(sleeper(lates, i, d, start)) for i, d in enumerate(delays)]
    for task in tasks:
        await task
    seconds = clock() - start
    return dict(n=p["n"], seconds=seconds, overhead=seconds - p["high"],
                late_p50_ms=percentile(lates, 50) * 1e3, late_p99_ms=percentile(lates, 99) * 1e3)


if __name__ == "__main__":
    emit(**asyncio.run(main(params(**DEFAULTS))))
