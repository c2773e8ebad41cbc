"""spawn_join / idiokit.asyncoro: pycos.py with the import changed to idiokit.asyncoro:
N no-op Coro generators, then `yield coro.finish()` on each."""
import idiokit.asyncoro as asyncoro

from benchutil import clock, emit, params

P = params(n=100000)


def noop(coro=None):
    return
    yield  # makes noop a generator function


def main(n, coro=None):
    start = clock()
    coros = [asyncoro.Coro(noop) for _ in range(n)]
    for child in coros:
        yield child.finish()
    raise StopIteration(clock() - start)


seconds = asyncoro.Coro(main, P["n"]).value()
emit(n=P["n"], seconds=seconds, rate=P["n"] / seconds)
