"""spawn_join / pycos: N no-op pycos.Task generators, then `yield task.finish()` on each."""
import pycos

from benchutil import clock, emit, params

P = params(n=100000)


def noop(task=None):
    return
    yield  # makes noop a generator function


def main(n, task=None):
    start = clock()
    tasks = [pycos.Task(noop) for _ in range(n)]
    for child in tasks:
        yield child.finish()
    return clock() - start


seconds = pycos.Task(main, P["n"]).value()
emit(n=P["n"], seconds=seconds, rate=P["n"] / seconds)
