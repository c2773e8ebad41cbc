"""idle_memory / gevent: N greenlets blocked in `event.wait()` (one gevent.event.Event)."""
import gevent
import gevent.event

from benchutil import clock, emit, params, settled_rss

P = params(n=100000)
counts = [0, 0]  # [blocked, woken]


def idler(event):
    counts[0] += 1
    event.wait()
    counts[1] += 1


n = P["n"]
event = gevent.event.Event()
before = settled_rss()
greenlets = [gevent.spawn(idler, event) for _ in range(n)]
while counts[0] < n:
    gevent.sleep(0)
after = settled_rss()
start = clock()
event.set()
while counts[1] < n:
    gevent.sleep(0)
wake = clock() - start
gevent.joinall(greenlets)
emit(n=n, rss_before=before, rss_after=after, bytes_per_task=(after - before) / n,
     wake_seconds=wake)
