"""sleeps / idiokit (async def streams): N concurrent `await idiokit.sleep(d)`, all awaited."""
import random

import idiokit

from benchutil import clock, emit, params, percentile

P = params(n=100000, low=0.0, high=0.1, seed=1)
rng = random.Random(P["seed"])
delays = [rng.uniform(P["low"], P["high"]) for _ in range(P["n"])]
lates = [0.0] * P["n"]


@idiokit.stream
async def sleeper(index, delay, start):
    await idiokit.sleep(delay)
    lates[index] = clock() - start - delay


@idiokit.stream
async def main():
    start = clock()
    streams = [sleeper(i, d, start) for i, d in enumerate(delays)]
    for stream in streams:
        await stream
    return clock() - start


seconds = idiokit.main_loop(main())
emit(n=P["n"], seconds=seconds, overhead=seconds - P["high"],
     late_p50_ms=percentile(lates, 50) * 1e3, late_p99_ms=percentile(lates, 99) * 1e3)
