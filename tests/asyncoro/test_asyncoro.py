# tests/asyncoro/test_asyncoro.py: idiokit.asyncoro, the asyncoro/pycos API.  The
# scheduler runs the idiokit loop in its own thread for the rest of the
# process, so each test runs its program in a child process.
from __future__ import absolute_import

import sys

import pytest

from support.procs import expect_words, run_py

PRELUDE = """from __future__ import print_function
import socket, sys, threading, time
import idiokit
from idiokit import asyncoro
from idiokit.asyncoro import Coro
"""


def check(body, expect, timeout=30):
    expect_words(PRELUDE + body, expect, timeout=timeout)


def test_value_coro_keyword_return_and_last_yielded_value():
    check("""
def returns(a, b=2, coro=None):
    assert isinstance(coro, Coro)
    yield coro.sleep(0.01)
    raise StopIteration(a + b)          # asyncoro style, also under PEP 479

def last(coro=None):
    yield 7
    x = yield 8                          # a plain value comes back
    assert x == 8

def sub(x, coro=None):
    assert coro is None                  # only the top level gets coro
    yield asyncoro.AsynCoro.cur_coro().sleep(0.001)
    raise StopIteration(x * 2)

def caller(coro=None):
    y = yield sub(21)
    raise StopIteration(y)

print(Coro(returns, 1).value(10), Coro(last).value(10), Coro(caller).value(10))
print(Coro(target=returns, args=(5,), kwargs={"b": 5}).value(10))
""", "3 8 42 10")


def test_messages_with_timeout_and_alarm_value():
    check("""
def receiver(coro=None):
    got = []
    got.append((yield coro.receive(timeout=0.05, alarm_value="alarm")))
    while len(got) < 4:
        got.append((yield coro.receive()))
    raise StopIteration(got)

r = Coro(receiver)
time.sleep(0.3)
for m in ("a", "b", "c"):
    r.send(m)
print(" ".join(r.value(10)))
""", "alarm a b c")


def test_suspend_resume_and_terminate():
    check("""
def sleeper(coro=None):
    v = yield coro.suspend()
    w = yield coro.suspend(0.01, "timeout")
    raise StopIteration((v, w))

def waker(other, coro=None):
    yield coro.sleep(0.05)
    other.resume("woken")

s = Coro(sleeper)
Coro(waker, s)
print(s.value(10))

def forever(coro=None):
    try:
        while True:
            yield coro.sleep(0.01)
    except GeneratorExit:
        raise StopIteration("terminated")
f = Coro(forever)
time.sleep(0.05)
f.terminate()
print(f.value(10), f.is_alive())
""", "('woken', 'timeout') terminated False")


def test_lock_rlock_event_condition_semaphore_and_thread_pool():
    check("""
lock, rlock, event, cond, sem = (asyncoro.Lock(), asyncoro.RLock(), asyncoro.Event(),
                                 asyncoro.Condition(), asyncoro.Semaphore(2))
order = []
items = []
active = [0, 0]

def locked(i, coro=None):
    yield lock.acquire()
    order.append(i)
    yield coro.sleep(0.01)
    order.append(i)
    lock.release()
    yield rlock.acquire()
    yield rlock.acquire()
    rlock.release()
    rlock.release()
    yield sem.acquire()
    active[0] += 1
    active[1] = max(active[1], active[0])
    yield coro.sleep(0.1)
    active[0] -= 1
    sem.release()

def waiter(coro=None):
    ok = yield event.wait(0.01)
    ok2 = yield event.wait()
    raise StopIteration((ok, ok2))

def consumer(coro=None):
    yield cond.acquire()
    while not items:
        yield cond.wait()
    item = items.pop()
    cond.release()
    raise StopIteration(item)

def producer(coro=None):
    yield coro.sleep(0.3)      # well after the waiter's 0.01 s timeout, even on a loaded machine
    yield cond.acquire()
    items.append("item")
    cond.notify()
    cond.release()
    event.set()

pool = asyncoro.AsyncThreadPool(2)
def threaded(coro=None):
    r = yield pool.async_task(lambda a, b: a * b, 6, b=7)
    raise StopIteration(r)

cs = [Coro(locked, i) for i in range(3)]
w, c, p, t = Coro(waiter), Coro(consumer), Coro(producer), Coro(threaded)
for x in cs:
    x.value(10)
print(order == [0, 0, 1, 1, 2, 2], active[1], w.value(10), c.value(10), t.value(10))
""", "True 2 (False, True) item 42")


def test_async_socket_client_server_timeout_recvall_and_mixing_with_streams():
    check("""
@idiokit.stream
def idiokit_stream(x):
    yield idiokit.sleep(0.01)
    idiokit.stop(x + 1)

def serve(sock, coro=None):
    conn, addr = yield sock.accept()
    assert isinstance(conn, asyncoro.AsyncSocket)
    data = yield conn.recvall(10)
    yield conn.sendall(bytes(data).upper())
    msg = yield conn.recv_msg()
    yield conn.send_msg(msg[::-1])
    conn.settimeout(0.05)
    try:
        yield conn.recv(10)
    except socket.timeout:
        timed_out = True
    conn.close()
    raise StopIteration(timed_out)

def client(address, coro=None):
    sock = asyncoro.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    yield sock.connect(address)
    yield sock.sendall(b"hello")
    yield coro.sleep(0.02)
    yield sock.sendall(b"world")
    got = yield sock.recvall(10)
    yield sock.send_msg(b"abc")
    msg = yield sock.recv_msg()
    n = yield idiokit_stream(41)
    yield coro.sleep(0.2)
    sock.close()
    raise StopIteration((bytes(got), msg, n))

lsock = asyncoro.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
lsock.bind(("127.0.0.1", 0))
lsock.listen(5)
s = Coro(serve, lsock)
c = Coro(client, lsock.getsockname())
got, msg, n = c.value(10)
print(got.decode(), msg.decode(), n, s.value(10))
lsock.close()
""", "HELLOWORLD cba 42 True")


def test_exit_waits_for_non_daemon_coroutines_only():
    check("""
def late(coro=None):
    yield coro.sleep(0.3)
    print("late done")

def daemon(coro=None):
    coro.set_daemon()
    yield coro.sleep(60)
    print("never")

Coro(late)
Coro(daemon)
print("main done")
""", "main done late done")


def test_uncaught_exception_ends_the_coroutine_and_is_logged():
    rc, out, err = run_py(PRELUDE + """
import logging
logging.basicConfig()
def boom(coro=None):
    yield coro.sleep(0.01)
    raise KeyError("boom")
def other(coro=None):
    yield coro.sleep(0.1)
    raise StopIteration("fine")
b, o = Coro(boom), Coro(other)
print(b.value(10), o.value(10))
""", timeout=30)
    assert rc == 0, err
    assert out.split() == ["None", "fine"]
    assert "KeyError" in err and "boom" in err


def test_monitor_gets_a_monitor_exception_when_the_coroutine_ends():
    check("""
def ok(coro=None):
    yield coro.sleep(0.02)
    raise StopIteration(5)

def bad(coro=None):
    yield coro.sleep(0.02)
    raise KeyError("boom")

def watcher(coro=None):
    a, b = Coro(ok), Coro(bad)
    assert (yield coro.monitor(a)) == 0
    assert (yield b.notify(coro)) == 0
    got = {}
    for _ in range(2):
        msg = yield coro.receive(timeout=10, alarm_value=None)
        assert isinstance(msg, asyncoro.MonitorException), msg
        observed, info = msg.args
        got[observed.name] = info
    assert got["ok"] == (StopIteration, 5), got
    assert got["bad"][0] is KeyError and got["bad"][1].args == ("boom",), got
    late = yield coro.monitor(a)         # already ended: told at once
    msg = yield coro.receive(timeout=10, alarm_value=None)
    assert msg.args == (a, (StopIteration, 5)), msg
    raise StopIteration("monitored")

import logging
logging.disable(logging.CRITICAL)        # bad's failure is logged; not the point here
print(Coro(watcher).value(20))
""", "monitored")


def test_deliver_returns_1_then_minus_1_once_the_target_ended():
    check("""
def target(coro=None):
    got = yield coro.receive()
    raise StopIteration(got)

def sender(t, coro=None):
    first = yield t.deliver("hello", 5)
    yield t.finish()
    second = yield t.deliver("late", 5)
    raise StopIteration((first, second))

t = Coro(target)
print(Coro(sender, t).value(10), t.value(10))
""", "(1, -1) hello")


def test_channel_subscribe_send_deliver_unsubscribe_and_nesting():
    check("""
ch = asyncoro.Channel("news")
sub = asyncoro.Channel("news/sub")
try:
    asyncoro.Channel("news")
except ValueError:
    print("unique")

def reader(name, count, coro=None):
    got = []
    while len(got) < count:
        got.append((yield coro.receive(timeout=10, alarm_value="timeout")))
    raise StopIteration(name + ":" + ",".join(got))

def publisher(coro=None):
    assert (yield ch.deliver("none", timeout=0.05, n=1)) == 0      # nobody yet: times out
    r1 = Coro(reader, "r1", 3)
    r2 = Coro(reader, "r2", 2)
    waiting = Coro(lambda_deliver)                                 # waits for 2 subscribers
    assert (yield sub.subscribe(r2)) == 0
    assert (yield ch.subscribe(r1)) == 0
    assert (yield ch.subscribe(r1)) == -1
    assert (yield ch.subscribe(sub)) == 0                          # the second: deliver goes
    delivered = yield waiting.finish()
    assert delivered == 2, delivered                               # r1 and r2 through sub
    assert ch.send("b") == 2
    assert (yield ch.unsubscribe(sub)) == 0
    assert (yield ch.unsubscribe(sub)) == -1
    assert (yield ch.deliver("c")) == 1
    results = [(yield r1.finish()), (yield r2.finish())]
    ch.close()
    sub.close()
    raise StopIteration(" ".join(results))

def lambda_deliver(coro=None):
    n = yield ch.deliver("a", timeout=10, n=2)
    raise StopIteration(n)

print(Coro(publisher).value(20))
again = asyncoro.Channel("news")     # the name is free once closed
again.close()
""", "unique r1:a,b,c r2:a,b")


def test_async_socket_send_udp_eof_and_errors():
    check("""
import errno

def tcp(coro=None):
    lsock = asyncoro.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(5)
    lsock.settimeout(0.05)
    try:
        yield lsock.accept()                      # the default timeout applies
    except socket.timeout:
        print("accept-timeout")
    lsock.settimeout(None)
    client = asyncoro.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    yield client.connect(lsock.getsockname())
    conn, _ = yield lsock.accept()
    n = yield client.send(b"abc")
    print("sent", n)
    client.shutdown(socket.SHUT_WR)
    got = yield conn.recvall(10)                  # EOF after 3 bytes: what arrived
    print("recvall", bytes(got).decode(), type(got).__name__ in ("bytearray", "str"))
    print("recv_msg-eof", (yield conn.recv_msg()) == b"")
    print("recv-eof", (yield conn.recv(10)) == b"")
    for s in (conn, client, lsock):
        s.close()
    refused = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    refused.bind(("127.0.0.1", 0))
    address = refused.getsockname()
    refused.close()
    sock = asyncoro.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    try:
        yield sock.connect(address)
    except socket.error as error:
        print("refused", error.args[0] == errno.ECONNREFUSED)
    sock.close()

def udp(coro=None):
    a = asyncoro.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    b = asyncoro.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    a.bind(("127.0.0.1", 0))
    b.bind(("127.0.0.1", 0))
    a.settimeout(0.05)
    try:
        yield a.recvfrom(100)
    except socket.timeout:
        print("recvfrom-timeout")
    a.settimeout(None)
    n = yield b.sendto(b"dgram", a.getsockname())
    data, addr = yield a.recvfrom(100)
    print("udp", n, data.decode(), addr == b.getsockname())
    a.close()
    b.close()

Coro(tcp).value(20)
Coro(udp).value(20)
""", "accept-timeout sent 3 recvall abc True recv_msg-eof True recv-eof True refused True "
     "recvfrom-timeout udp 5 dgram True")


def test_finish_of_a_failing_coroutine_raises_its_exception_in_the_joiner():
    check("""
import logging
logging.disable(logging.CRITICAL)      # bad's failure is logged; not the point here
errors = []

def bad(coro=None):
    yield coro.sleep(0.01)
    error = KeyError("boom")
    errors.append(error)
    raise error

def joiner(coro=None):
    b = Coro(bad)
    try:
        yield b.finish()
    except KeyError as error:
        raise StopIteration((error.args[0], error is errors[0]))
    raise StopIteration("no error")

print(Coro(joiner).value(10))
""", "('boom', True)")


def test_lock_semaphore_and_event_timeouts_and_non_blocking_acquire():
    check("""
lock, sem, event = asyncoro.Lock(), asyncoro.Semaphore(1), asyncoro.Event()

def main(coro=None):
    assert (yield lock.acquire())
    got = [(yield lock.acquire(timeout=0.02)), (yield lock.acquire(blocking=False))]
    lock.release()
    got.append((yield lock.acquire(timeout=1)))
    lock.release()
    assert (yield sem.acquire())
    got += [(yield sem.acquire(timeout=0.02)), (yield sem.acquire(blocking=False))]
    sem.release()
    got.append((yield sem.acquire(timeout=1)))
    event.set()
    event.clear()
    got.append((yield event.wait(0.02)))
    raise StopIteration(got)

print(Coro(main).value(10))
""", "[False, False, True, False, False, True, False]")


def test_condition_notify_with_one_waiter():
    check("""
cond = asyncoro.Condition()
items = []

def consumer(coro=None):
    yield cond.acquire()
    timed_out = yield cond.wait(0.02)
    while not items:
        yield cond.wait()
    cond.release()
    raise StopIteration((timed_out, items.pop()))

def producer(coro=None):
    yield coro.sleep(0.05)
    yield cond.acquire()
    items.append("item")
    cond.notify_all()
    cond.release()

c = Coro(consumer)
Coro(producer)
print(c.value(10))
""", "(False, 'item')")


# Condition.wait takes the lock back for the waiting coroutine (the re-acquire
# runs in a helper stream, outside it): notify_all lets one waiter in at a
# time, and the waiter can re-enter its own RLock afterwards.
def test_condition_wait_reacquires_the_lock_for_its_coroutine():
    check("""
cond = asyncoro.Condition()
inside = [0, 0]

def waiter(coro=None):
    yield cond.acquire()
    yield cond.wait()
    inside[0] += 1
    inside[1] = max(inside)
    yield coro.sleep(0.01)
    inside[0] -= 1
    cond.release()

def reentrant(coro=None):
    yield cond.acquire()
    woke = yield cond.wait(0.01)
    again = yield cond.acquire(timeout=0.2)     # an RLock: re-entrant for its owner
    cond.release()
    cond.release()
    raise StopIteration((woke, again))

def main(coro=None):
    ws = [Coro(waiter) for _ in range(2)]
    yield coro.sleep(0.05)
    yield cond.acquire()
    cond.notify_all()
    cond.release()
    for w in ws:
        yield w.finish()
    raise StopIteration(inside[1])

print(Coro(main).value(10), Coro(reentrant).value(10))
""", "1 (False, True)")


# finish() of a failed Coro raises its exception with the traceback it was
# raised with, on 2.7 too, where exceptions carry none (checklist C3).
def test_finish_keeps_the_raising_frame_in_the_traceback():
    check("""
import logging, traceback
logging.disable(logging.CRITICAL)

def bad(coro=None):
    yield coro.sleep(0.01)
    raise KeyError("boom")

def joiner(coro=None):
    try:
        yield Coro(bad).finish()
    except KeyError:
        frames = [f[2] for f in traceback.extract_tb(sys.exc_info()[2])]
        raise StopIteration("bad" in frames)

print(Coro(joiner).value(10))
""", "True")


def test_sub_coroutines_errors_cur_coro_and_throw_at_a_yield_point():
    # The Coro's generators run on the C driver (src/corodrive.c): nested
    # sub-generators pass values and errors up, cur_coro() is the Coro in each
    # of them, and terminate() reaches a coroutine waiting at a plain yield.
    check("""
def deepest(coro=None):
    assert asyncoro.AsynCoro.cur_coro() is me[0]
    yield asyncoro.AsynCoro.cur_coro().sleep(0.001)
    raise KeyError("deep")

def middle(coro=None):
    try:
        yield deepest()
    except KeyError as error:
        raise StopIteration("caught " + error.args[0])

def top(coro=None):
    me[0] = coro
    got = yield middle()
    assert asyncoro.AsynCoro.cur_coro() is coro
    try:
        yield deepest()
    except KeyError:
        got += " again"
    raise StopIteration(got)

me = [None]
print(Coro(top).value(10).replace(" ", "_"), asyncoro.AsynCoro.cur_coro())

def spinner(coro=None):
    try:
        while True:
            yield "spin"                  # a plain yield point, one loop turn each
    except GeneratorExit:
        raise StopIteration("stopped")
s = Coro(spinner)
time.sleep(0.05)
s.terminate()
print(s.value(10), s.is_alive())

def plain_in_sub(coro=None):
    yield "inner"

def outer(coro=None):
    yield plain_in_sub()                  # the sub-coroutine's plain yield is the last value
print(Coro(outer).value(10))
""", "caught_deep_again None stopped False inner")


def test_async_socket_takes_other_attributes_from_the_wrapped_socket():
    # No __getattr__ (it slowed every lookup): the public attributes of the
    # wrapped socket's class are properties, made once per class.
    check("""
class Tagged(socket.socket):
    def tag(self):
        return "tagged"

plain = socket.socket()
a = asyncoro.AsyncSocket(plain)
t = asyncoro.AsyncSocket(Tagged())
print(a.fileno() == plain.fileno(), t.tag(), isinstance(t, asyncoro.AsyncSocket),
      type(a) is asyncoro.AsyncSocket, type(asyncoro.AsyncSocket(Tagged())) is type(t))
try:
    a.tag
except AttributeError:
    print("no-tag")
a.close()
t.close()
""", "True tagged True True True no-tag")


def test_coro_keyword_for_methods_keyword_only_and_undefaulted_parameters():
    # Coro passes itself as coro= only when the function declares coro with a
    # default: plain functions are read off their code object, the rest
    # (bound methods) through inspect.
    check("""
class Server(object):
    def run(self, x, coro=None):
        yield coro.sleep(0)
        raise StopIteration((x, isinstance(coro, Coro)))

def undefaulted(coro):
    yield 0
    raise StopIteration(coro)

print(Coro(Server().run, 1).value(10), Coro(undefaulted, "mine").value(10))
if sys.version_info[0] >= 3:
    exec('''
def kwonly(*, coro=None):
    yield 0
    raise StopIteration(isinstance(coro, Coro))
print(Coro(kwonly).value(10))
''')
else:
    print(True)
""", "(1, True) mine True")


def test_coro_stream_result_is_the_coroutines_and_finish_after_the_end():
    # coro.stream's result is the coroutine's value (or its exception), and
    # finish() of an ended Coro gives it at once, as often as it is asked.
    check("""
def value(coro=None):
    yield coro.sleep(0.001)
    raise StopIteration((1, 2))

def fails(coro=None):
    yield coro.sleep(0.001)
    raise KeyError("k")

@idiokit.stream
def waits(c):
    result = yield c.stream
    idiokit.stop(result)

def main(coro=None):
    v, f = Coro(value), Coro(fails)
    got = yield waits(v)
    print(got == (1, 2), (yield v.finish()) == (1, 2), (yield v.finish()) == (1, 2))
    for _ in range(2):
        try:
            yield f.finish()
        except KeyError as error:
            print("KeyError", error.args[0])
    try:
        yield waits(f)
    except KeyError:
        print("stream-KeyError")
    print(v.is_alive(), f.is_alive(), v.value(), f.value())

Coro(main).value()
""", "True True True KeyError k KeyError k stream-KeyError False False (1, 2) None")


def test_many_coroutines_are_joined_terminated_and_counted():
    # The live Coros (out of the cyclic GC while they run) are what join()
    # waits for and terminate() ends; a daemon is not waited for.
    check("""
ended = []
def sleeper(i, coro=None):
    try:
        yield coro.sleep(60)
    finally:
        ended.append(i)

def quick(coro=None):
    yield coro.sleep(0.01)

sched = asyncoro.AsynCoro()
coros = [Coro(sleeper, i) for i in range(200)]
for c in coros[:5]:
    c.set_daemon()
print(sched.join(timeout=0.2))            # 195 non-daemons still sleep
print(len(sched._live_coros()))
[Coro(quick) for _ in range(1000)]
sched.terminate()
print(len(ended), sorted(ended) == list(range(200)), len(sched._live_coros()))
""", "False 200 200 True 0")


def test_terminating_one_waiter_of_an_event_leaves_the_others_waiting():
    check("""
got = []
def waiter(ev, i, coro=None):
    try:
        got.append((i, (yield ev.wait())))
    except GeneratorExit:
        got.append((i, "exit"))
        raise

def main(coro=None):
    ev = asyncoro.Event()
    ws = [Coro(waiter, ev, i) for i in range(3)]
    yield coro.sleep(0.05)
    ws[1].terminate()
    yield coro.sleep(0.05)
    ev.set()
    for w in ws:
        try:
            yield w.finish()
        except GeneratorExit:
            pass
    print(sorted(got))

Coro(main).value()
""", "[(0, True), (1, 'exit'), (2, True)]")
