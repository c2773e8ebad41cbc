"""pipe / gevent: producer, (stages-2) forwarding greenlets and a consumer joined by
gevent.queue.Channel (unbuffered: put waits for a get)."""
import gevent
from gevent.queue import Channel

from benchutil import clock, emit, params

P = params(n=100000, stages=2)
END = object()


def producer(out, n):
    for i in range(n):
        out.put(i)
    out.put(END)


def forward(inbox, out):
    while True:
        item = inbox.get()
        out.put(item)
        if item is END:
            return


def consumer(inbox):
    count = 0
    while True:
        if inbox.get() is END:
            return count
        count += 1


n, stages = P["n"], P["stages"]
channels = [Channel() for _ in range(stages - 1)]
start = clock()
greenlets = [gevent.spawn(producer, channels[0], n)]
greenlets += [gevent.spawn(forward, a, b) for a, b in zip(channels, channels[1:])]
last = gevent.spawn(consumer, channels[-1])
count = last.get()
seconds = clock() - start
gevent.joinall(greenlets)
if count != n:
    raise SystemExit("consumer counted %r messages, expected %d" % (count, n))
emit(n=n, stages=stages, seconds=seconds, rate=n / seconds)
