"""pipe / pycos: producer, (stages-2) forwarding tasks and a consumer. pycos has no bounded
channel between two tasks, so each hand-off is a rendezvous built from its messaging: the
sender posts (sender, item) to the next task's mailbox and waits for an ack. A forwarding
stage acks its upstream once its downstream has acked."""
import pycos

from benchutil import clock, emit, params

P = params(n=100000, stages=2)
END = object()


def producer(nxt, n, task=None):
    for i in range(n):
        nxt.send((task, i))
        yield task.receive()
    nxt.send((task, END))
    yield task.receive()


def forward(nxt, task=None):
    while True:
        sender, item = yield task.receive()
        nxt.send((task, item))
        yield task.receive()
        sender.send(None)
        if item is END:
            return


def consumer(task=None):
    count = 0
    while True:
        sender, item = yield task.receive()
        sender.send(None)
        if item is END:
            return count
        count += 1


def main(n, stages, task=None):
    start = clock()
    last = pycos.Task(consumer)
    nxt = last
    for _ in range(stages - 2):
        nxt = pycos.Task(forward, nxt)
    pycos.Task(producer, nxt, n)
    count = yield last.finish()
    return count, clock() - start


count, seconds = pycos.Task(main, P["n"], P["stages"]).value()
if count != P["n"]:
    raise SystemExit("consumer counted %r messages, expected %d" % (count, P["n"]))
emit(n=P["n"], stages=P["stages"], seconds=seconds, rate=P["n"] / seconds)
