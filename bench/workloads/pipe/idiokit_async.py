"""pipe / idiokit (async def streams): producer | forward x (stages-2) | consumer, all async def."""
import idiokit

from benchutil import clock, emit, params

P = params(n=100000, stages=2)


@idiokit.stream
async def producer(n):
    for i in range(n):
        await idiokit.send(i)


@idiokit.stream
async def forward():
    while True:
        try:
            item = await idiokit.next()
        except idiokit.EndOfInput:
            return
        await idiokit.send(item)


@idiokit.stream
async def consumer():
    count = 0
    while True:
        try:
            await idiokit.next()
        except idiokit.EndOfInput:
            return count
        count += 1


@idiokit.stream
async def main(n, stages):
    parts = [producer(n)] + [forward() for _ in range(stages - 2)] + [consumer()]
    start = clock()
    count = await idiokit.pipe(*parts)
    return count, clock() - start


count, seconds = idiokit.main_loop(main(P["n"], P["stages"]))
if count != P["n"]:
    raise SystemExit("consumer counted %r messages, expected %d" % (count, P["n"]))
emit(n=P["n"], stages=P["stages"], seconds=seconds, rate=P["n"] / seconds)
