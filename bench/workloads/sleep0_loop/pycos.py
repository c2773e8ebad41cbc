"""sleep0_loop / pycos: `yield task.sleep(0)` in a loop (pycos reschedules the task)."""
import pycos

from benchutil import clock, emit, params

P = params(seconds=1.0)


def main(duration, task=None):
    iterations = 0
    start = clock()
    while clock() - start < duration:
        for _ in range(1000):
            yield task.sleep(0)
        iterations += 1000
    return iterations, clock() - start


iterations, seconds = pycos.Task(main, P["seconds"]).value()
emit(iterations=iterations, seconds=seconds, rate=iterations / seconds)
