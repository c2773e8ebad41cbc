"""pipe / idiokit.asyncoro: pycos.py with the import changed to idiokit.asyncoro: producer,
(stages-2) forwarding coroutines and a consumer; each hand-off is a rendezvous built from
messaging (post (sender, item) to the next mailbox, wait for an ack)."""
import idiokit.asyncoro as asyncoro

from benchutil import clock, emit, params

P = params(n=100000, stages=2)
END = object()


def producer(nxt, n, coro=None):
    for i in range(n):
        nxt.send((coro, i))
        yield coro.receive()
    nxt.send((coro, END))
    yield coro.receive()


def forward(nxt, coro=None):
    while True:
        sender, item = yield coro.receive()
        nxt.send((coro, item))
        yield coro.receive()
        sender.send(None)
        if item is END:
            return


def consumer(coro=None):
    count = 0
    while True:
        sender, item = yield coro.receive()
        sender.send(None)
        if item is END:
            raise StopIteration(count)
        count += 1


def main(n, stages, coro=None):
    start = clock()
    last = asyncoro.Coro(consumer)
    nxt = last
    for _ in range(stages - 2):
        nxt = asyncoro.Coro(forward, nxt)
    asyncoro.Coro(producer, nxt, n)
    count = yield last.finish()
    raise StopIteration((count, clock() - start))


count, seconds = asyncoro.Coro(main, P["n"], P["stages"]).value()
if count != P["n"]:
    raise SystemExit("consumer counted %r messages, expected %d" % (count, P["n"]))
emit(n=P["n"], stages=P["stages"], seconds=seconds, rate=P["n"] / seconds)
