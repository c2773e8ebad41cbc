"""pipe / idiokit (generator streams): producer | idiokit.map(...) x (stages-2) | consumer."""
from __future__ import print_function

import idiokit

from benchutil import clock, emit, params

P = params(n=100000, stages=2)


@idiokit.stream
def producer(n):
    for i in range(n):
        yield idiokit.send(i)


@idiokit.stream
def consumer():
    count = 0
    while True:
        try:
            yield idiokit.next()
        except StopIteration:
            break
        count += 1
    idiokit.stop(count)


def forward(item):
    return (item,)


@idiokit.stream
def main(n, stages):
    parts = [producer(n)] + [idiokit.map(forward) for _ in range(stages - 2)] + [consumer()]
    start = clock()
    count = yield idiokit.pipe(*parts)
    idiokit.stop(count, clock() - start)


count, seconds = idiokit.main_loop(main(P["n"], P["stages"]))
if count != P["n"]:
    raise SystemExit("consumer counted %r messages, expected %d" % (count, P["n"]))
emit(n=P["n"], stages=P["stages"], seconds=seconds, rate=P["n"] / seconds)
