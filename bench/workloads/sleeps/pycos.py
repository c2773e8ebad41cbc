"""sleeps / pycos: N concurrent pycos.Task generators each `yield task.sleep(d)`, all finished."""
import random

import pycos

from benchutil import clock, emit, params, percentile

P = params(n=100000, low=0.0, high=0.1, seed=1)
rng = random.Random(P["seed"])
delays = [rng.uniform(P["low"], P["high"]) for _ in range(P["n"])]
lates = [0.0] * P["n"]


def sleeper(index, delay, start, task=None):
    yield task.sleep(delay)
    lates[index] = clock() - start - delay


def main(task=None):
    start = clock()
    tasks = [pycos.Task(sleeper, i, d, start) for i, d in enumerate(delays)]
    for child in tasks:
        yield child.finish()
    return clock() - start


seconds = pycos.Task(main).value()
emit(n=P["n"], seconds=seconds, overhead=seconds - P["high"],
     late_p50_ms=percentile(lates, 50) * 1e3, late_p99_ms=percentile(lates, 99) * 1e3)
