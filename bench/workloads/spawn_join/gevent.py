"""spawn_join / gevent: N no-op greenlets with gevent.spawn, then gevent.joinall."""
import gevent

from benchutil import clock, emit, params

P = params(n=100000)


def noop():
    pass


start = clock()
greenlets = [gevent.spawn(noop) for _ in range(P["n"])]
gevent.joinall(greenlets)
seconds = clock() - start
emit(n=P["n"], seconds=seconds, rate=P["n"] / seconds)
