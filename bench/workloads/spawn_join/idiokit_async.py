"""spawn_join / idiokit (async def streams): N no-op streams started at once, then awaited."""
import idiokit

from benchutil import clock, emit, params

P = params(n=100000)


@idiokit.stream
async def noop():
    pass


@idiokit.stream
async def main(n):
    start = clock()
    streams = [noop() for _ in range(n)]
    for stream in streams:
        await stream
    return clock() - start


seconds = idiokit.main_loop(main(P["n"]))
emit(n=P["n"], seconds=seconds, rate=P["n"] / seconds)
