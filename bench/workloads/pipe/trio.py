"""pipe / trio: producer, (stages-2) forwarding tasks and a consumer joined by
trio.open_memory_channel(0); closing a send channel ends the stage after it."""
import trio

from benchutil import clock, emit, params

P = params(n=100000, stages=2)


async def producer(out, n):
    async with out:
        for i in range(n):
            await out.send(i)


async def forward(inbox, out):
    async with inbox, out:
        async for item in inbox:
            await out.send(item)


async def consumer(inbox, result):
    count = 0
    async with inbox:
        async for _ in inbox:
            count += 1
    result.append(count)


async def main(n, stages):
    channels = [trio.open_memory_channel(0) for _ in range(stages - 1)]
    result = []
    start = clock()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(producer, channels[0][0], n)
        for (_, inbox), (out, _) in zip(channels, channels[1:]):
            nursery.start_soon(forward, inbox, out)
        nursery.start_soon(consumer, channels[-1][1], result)
    return result[0], clock() - start


count, seconds = trio.run(main, P["n"], P["stages"])
if count != P["n"]:
    raise SystemExit("consumer counted %r messages, expected %d" % (count, P["n"]))
emit(n=P["n"], stages=P["stages"], seconds=seconds, rate=P["n"] / seconds)
