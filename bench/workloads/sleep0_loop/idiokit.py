"""sleep0_loop / idiokit (generator stream): `yield idiokit.sleep(0)` in a loop."""
from __future__ import print_function

import idiokit

from benchutil import clock, emit, params

P = params(seconds=1.0)


@idiokit.stream
def main(duration):
    iterations = 0
    start = clock()
    while clock() - start < duration:
        for _ in range(1000):
            yield idiokit.sleep(0)
        iterations += 1000
    idiokit.stop(iterations, clock() - start)


iterations, seconds = idiokit.main_loop(main(P["seconds"]))
emit(iterations=iterations, seconds=seconds, rate=iterations / seconds)
