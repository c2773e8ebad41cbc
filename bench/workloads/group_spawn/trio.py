"""group_spawn / trio: N no-op tasks with nursery.start_soon; the nursery joins them."""
import trio

from benchutil import clock, emit, params

P = params(n=100000)


async def noop():
    pass


async def main(n):
    start = clock()
    async with trio.open_nursery() as nursery:
        start_soon = nursery.start_soon
        for _ in range(n):
            start_soon(noop)
    return clock() - start


seconds = trio.run(main, P["n"])
emit(n=P["n"], seconds=seconds, rate=P["n"] / seconds)
