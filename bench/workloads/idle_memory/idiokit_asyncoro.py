"""idle_memory / idiokit.asyncoro: pycos.py with the import changed to idiokit.asyncoro:
N Coro generators blocked in `yield event.wait()` (one asyncoro.Event)."""
import idiokit.asyncoro as asyncoro

from benchutil import clock, emit, params, settled_rss

P = params(n=100000)
counts = [0, 0]  # [blocked, woken]


def idler(event, coro=None):
    counts[0] += 1
    yield event.wait()
    counts[1] += 1


def main(n, coro=None):
    event = asyncoro.Event()
    before = settled_rss()
    coros = [asyncoro.Coro(idler, event) for _ in range(n)]
    while counts[0] < n:
        yield coro.sleep(0)
    after = settled_rss()
    start = clock()
    event.set()
    while counts[1] < n:
        yield coro.sleep(0)
    del coros
    raise StopIteration((before, after, clock() - start))


before, after, wake = asyncoro.Coro(main, P["n"]).value()
emit(n=P["n"], rss_before=before, rss_after=after, bytes_per_task=(after - before) / P["n"],
     wake_seconds=wake)
