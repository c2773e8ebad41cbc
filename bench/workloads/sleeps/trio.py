"""sleeps / trio: N concurrent tasks each `await trio.sleep(d)` in one nursery."""
import random

import trio

from benchutil import clock, emit, params, percentile

P = params(n=100000, low=0.0, high=0.1, seed=1)
rng = random.Random(P["seed"])
delays = [rng.uniform(P["low"], P["high"]) for _ in range(P["n"])]
lates = [0.0] * P["n"]


async def sleeper(index, delay, start):
    await trio.sleep(delay)
    lates[index] = clock() - start - delay


async def main():
    start = clock()
    async with trio.open_nursery() as nursery:
        for i, d in enumerate(delays):
            nursery.start_soon(sleeper, i, d, start)
    return clock() - start


seconds = trio.run(main)
emit(n=P["n"], seconds=seconds, overhead=seconds - P["high"],
     late_p50_ms=percentile(lates, 50) * 1e3, late_p99_ms=percentile(lates, 99) * 1e3)
