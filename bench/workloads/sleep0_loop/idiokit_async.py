"""sleep0_loop / idiokit (async def stream): `await idiokit.sleep(0)` in a loop."""
import idiokit

from benchutil import clock, emit, params

P = params(seconds=1.0)


@idiokit.stream
async def main(duration):
    iterations = 0
    start = clock()
    while clock() - start < duration:
        for _ in range(1000):
            await idiokit.sleep(0)
        iterations += 1000
    return iterations, clock() - start


iterations, seconds = idiokit.main_loop(main(P["seconds"]))
emit(iterations=iterations, seconds=seconds, rate=iterations / seconds)
