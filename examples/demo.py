# examples/demo.py: what `make demo` runs.  A short tour of idiokit's streams,
# each step printed as it happens: a pipe (producer | map | consumer), a
# timeout, an Event completed from another thread, and blocking work handed
# to a thread while the loop keeps running.  Runs on Python 2.7 and 3.x and
# uses only the public API.
from __future__ import print_function

import threading
import time

import idiokit
from idiokit import timer

START = time.time()


def say(*args):
    print("  [%4.2fs]" % (time.time() - START), *args)


# 1. Pipes: a producer sends numbers, idiokit.map squares them, and a
#    consumer adds them up.  `send` waits until the next stage has taken the
#    message, so the three stages take turns.

@idiokit.stream
def produce(count):
    for number in range(1, count + 1):
        say("produce: sending", number)
        yield idiokit.send(number)
    say("produce: done")


def square(number):
    say("map:     %d -> %d" % (number, number * number))
    return [number * number]        # map sends every item of what the function returns


@idiokit.stream
def add_up():
    total = 0
    while True:
        try:
            number = yield idiokit.next()
        except StopIteration:       # the end of input arrives after the last message
            break
        say("add_up:  got", number)
        total += number
    idiokit.stop(total)             # the stream's result (also `return total` on Python 3)


@idiokit.stream
def pipes():
    print("\n1. A pipe: produce(3) | idiokit.map(square) | add_up()")
    total = yield produce(3) | idiokit.map(square) | add_up()
    say("the pipe's result is the last stage's:", total)


# 2. Timeouts: timer.timeout throws Timeout into a stream that takes too long.

@idiokit.stream
def count_to(count):
    for number in range(1, count + 1):
        yield idiokit.sleep(0.2)
        say("count_to:", number)


@idiokit.stream
def timeouts():
    print("\n2. A timeout: count to 5, one number per 0.2 s, within 0.5 s")
    try:
        yield timer.timeout(0.5, count_to(5))
    except timer.Timeout:
        say("timeout: could not count to 5 in 0.5 seconds")


# 3. Events: a one-shot result that any thread may complete.

@idiokit.stream
def events():
    print("\n3. An Event completed by a threading.Timer after 0.2 s")
    event = idiokit.Event()
    threading.Timer(0.2, event.succeed, ("hello from another thread",)).start()
    message = yield event
    say("event:", message)


# 4. Threads: blocking code runs in idiokit's thread pool; the loop goes on.

def blocking_sum(limit):
    time.sleep(0.5)                 # stands for any blocking call
    return sum(i * i for i in range(limit)), threading.current_thread().name


@idiokit.stream
def ticker(count, interval):
    for tick in range(1, count + 1):
        say("ticker:  tick", tick)
        yield idiokit.sleep(interval)


@idiokit.stream
def threads():
    print("\n4. idiokit.thread: a blocking call in a thread while a ticker runs")
    ticks = ticker(3, 0.1)          # streams start when called; this one runs alongside
    result, name = yield idiokit.thread(blocking_sum, 1000)
    say("thread:  %s returned %d" % (name, result))
    yield ticks


@idiokit.stream
def main():
    yield pipes()
    yield timeouts()
    yield events()
    yield threads()
    print("\nDone in %.2f s." % (time.time() - START))


if __name__ == "__main__":
    idiokit.main_loop(main())
