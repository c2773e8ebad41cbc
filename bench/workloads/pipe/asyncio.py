"""pipe / asyncio: producer, (stages-2) forwarding tasks and a consumer joined by
asyncio.Queue(maxsize=1). uvloop.py runs this same code on uvloop's loop."""
import asyncio

from benchutil import clock, emit, params

DEFAULTS = dict(n=100000, stages=2)
END = object()


async def producer(out, n):
    for i in range(n):
        await out.put(i)
    await out.put(END)


async def forward(inbox, out):
    while True:
        item = await inbox.get()
        await out.put(item)
        if item is END:
            return


async def consumer(inbox):
    count = 0
    while True:
        item = await inbox.get()
        if item is END:
            return count
        count += 1


async def main(p):
    n, stages = p["n"], p["stages"]
    queues = [asyncio.Queue(maxsize=1) for _ in range(stages - 1)]
    start = clock()
    tasks = [asyncio.create_task(producer(queues[0], n))]
    tasks += [asyncio.create_task(forward(a, b)) for a, b in zip(queues, queues[1:])]
    last = asyncio.create_task(consumer(queues[-1]))
    count = await last
    seconds = clock() - start
    for task in tasks:
        await task
    if count != n:
        raise SystemExit("consumer counted %r messages, expected %d" % (count, n))
    return dict(n=n, stages=stages, seconds=seconds, rate=n / seconds)


if __name__ == "__main__":
    emit(**asyncio.run(main(params(**DEFAULTS))))
