"""group_spawn / idiokit (async def streams): N no-op children started into an
idiokit.TaskGroup under `async with`."""
import idiokit

from benchutil import clock, emit, params

P = params(n=100000)


@idiokit.stream
async def noop():
    pass


@idiokit.stream
async def main(n):
    start = clock()
    async with idiokit.TaskGroup() as group:
        start_child = group.start
        for _ in range(n):
            start_child(noop())
    return clock() - start


seconds = idiokit.main_loop(main(P["n"]))
emit(n=P["n"], seconds=seconds, rate=P["n"] / seconds)
