"""sleep0_loop / trio: `await trio.sleep(0)` (a checkpoint) in a loop."""
import trio

from benchutil import clock, emit, params

P = params(seconds=1.0)


async def main(duration):
    iterations = 0
    start = clock()
    while clock() - start < duration:
        for _ in range(1000):
            await trio.sleep(0)
        iterations += 1000
    return iterations, clock() - start


iterations, seconds = trio.run(main, P["seconds"])
emit(iterations=iterations, seconds=seconds, rate=iterations / seconds)
