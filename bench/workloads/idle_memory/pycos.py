"""idle_memory / pycos: N pycos.Task generators blocked in `yield event.wait()` (one pycos.Event)."""
import pycos

from benchutil import clock, emit, params, settled_rss

P = params(n=100000)
counts = [0, 0]  # [blocked, woken]


def idler(event, task=None):
    counts[0] += 1
    yield event.wait()
    counts[1] += 1


def main(n, task=None):
    event = pycos.Event()
    before = settled_rss()
    tasks = [pycos.Task(idler, event) for _ in range(n)]
    while counts[0] < n:
        yield task.sleep(0)
    after = settled_rss()
    start = clock()
    event.set()
    while counts[1] < n:
        yield task.sleep(0)
    # Not joined with finish(): after a burst of N ready tasks every pycos round costs
    # O(N), so N finish() calls take minutes; the tasks have returned by now anyway.
    return before, after, clock() - start


before, after, wake = pycos.Task(main, P["n"]).value()
emit(n=P["n"], rss_before=before, rss_after=after, bytes_per_task=(after - before) / P["n"],
     wake_seconds=wake)
