"""sleeps / gevent: N concurrent greenlets each gevent.sleep(d), then gevent.joinall."""
import random

import gevent

from benchutil import clock, emit, params, percentile

P = params(n=100000, low=0.0, high=0.1, seed=1)
rng = random.Random(P["seed"])
delays = [rng.uniform(P["low"], P["high"]) for _ in range(P["n"])]
lates = [0.0] * P["n"]


def sleeper(index, delay, start):
    gevent.sleep(delay)
    lates[index] = clock() - start - delay


start = clock()
greenlets = [gevent.spawn(sleeper, i, d, start) for i, d in enumerate(delays)]
gevent.joinall(greenlets)
seconds = clock() - start
emit(n=P["n"], seconds=seconds, overhead=seconds - P["high"],
     late_p50_ms=percentile(lates, 50) * 1e3, late_p99_ms=percentile(lates, 99) * 1e3)
