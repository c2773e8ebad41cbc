"""sleep0_loop / gevent: gevent.sleep(0) in a loop, in the main greenlet."""
import gevent

from benchutil import clock, emit, params

P = params(seconds=1.0)

iterations = 0
start = clock()
while clock() - start < P["seconds"]:
    for _ in range(1000):
        gevent.sleep(0)
    iterations += 1000
seconds = clock() - start
emit(iterations=iterations, seconds=seconds, rate=iterations / seconds)
