"""sleep0_loop / idiokit.asyncoro: pycos.py with the import changed to idiokit.asyncoro:
`yield coro.sleep(0)` in a loop."""
import idiokit.asyncoro as asyncoro

from benchutil import clock, emit, params

P = params(seconds=1.0)


def main(duration, coro=None):
    iterations = 0
    start = clock()
    while clock() - start < duration:
        for _ in range(1000):
            yield coro.sleep(0)
        iterations += 1000
    raise StopIteration((iterations, clock() - start))


iterations, seconds = asyncoro.Coro(main, P["seconds"]).value()
emit(iterations=iterations, seconds=seconds, rate=iterations / seconds)
