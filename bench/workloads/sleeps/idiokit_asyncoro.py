"""sleeps / idiokit.asyncoro: pycos.py with the import changed to idiokit.asyncoro:
N concurrent Coro generators each `yield coro.sleep(d)`, all finished."""
import random

import idiokit.asyncoro as asyncoro

from benchutil import clock, emit, params, percentile

P = params(n=100000, low=0.0, high=0.1, seed=1)
rng = random.Random(P["seed"])
delays = [rng.uniform(P["low"], P["high"]) for _ in range(P["n"])]
lates = [0.0] * P["n"]


def sleeper(index, delay, start, coro=None):
    yield coro.sleep(delay)
    lates[index] = clock() - start - delay


def main(coro=None):
    start = clock()
    coros = [asyncoro.Coro(sleeper, i, d, start) for i, d in enumerate(delays)]
    for child in coros:
        yield child.finish()
    raise StopIteration(clock() - start)


seconds = asyncoro.Coro(main).value()
emit(n=P["n"], seconds=seconds, overhead=seconds - P["high"],
     late_p50_ms=percentile(lates, 50) * 1e3, late_p99_ms=percentile(lates, 99) * 1e3)
