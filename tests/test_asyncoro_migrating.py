# tests/test_asyncoro_migrating.py: what an asyncoro user trips on (issue 20):
# AsyncSocket's blocking mode (no data dropped), AsynCoro as a singleton with
# join/terminate, recvall's timeout, lock timeouts of -1.  Each program runs
# in a child process, as the scheduler thread lives for the process.
from __future__ import absolute_import

import sys

from test_asyncoro import check


def test_blocking_send_msg_of_8_mb_arrives_whole():
    check("""
import hashlib
a, b = socket.socketpair()
payload = bytes(bytearray(range(256))) * (8 * 1024 * 4)     # 8 MiB

def reader(sock, coro=None):
    msg = yield sock.recv_msg()
    raise StopIteration((len(msg), hashlib.sha1(msg).hexdigest()))

r = Coro(reader, asyncoro.AsyncSocket(b))
sync = asyncoro.AsyncSocket(a, blocking=True)
assert sync.send_msg(payload) is None           # a plain call: done when it returns
print(r.value(30) == (len(payload), hashlib.sha1(payload).hexdigest()))
""", "True", timeout=60)


def test_blocking_mode_calls_complete_or_raise_and_switch_back():
    check("""
a, b = socket.socketpair()
sa = asyncoro.AsyncSocket(a, blocking=True)
sb = asyncoro.AsyncSocket(b, blocking=True)
print(isinstance(sa, asyncoro.AsyncSocket), sa.getblocking())
got = []
t = threading.Thread(target=lambda: got.append(sb.recvall(300000)))
t.start()
sa.sendall(b"x" * 300000)                    # more than the socket buffers hold
t.join(10)
print(len(got[0]))
sb.settimeout(0.05)
t0 = time.time()
try:
    sb.recv(10)
except socket.timeout:
    print("timeout", time.time() - t0 < 2)
sb.send_msg(b"hello")
print(sa.recv_msg())
sb.setblocking(False)                        # back to calls to yield

def echo(coro=None):
    data = yield sb.recvall(3)
    raise StopIteration(bytes(data))
c = Coro(echo)
sa.sendall(b"abc")
print(c.value(10))
sa.close(); sb.close()
""", "True True 300000 timeout True b'hello' b'abc'" if sys.version_info[0] > 2 else
     "True True 300000 timeout True hello abc")


def test_yielded_calls_from_a_thread_are_refused_not_dropped():
    check("""
a, b = socket.socketpair()
s = asyncoro.AsyncSocket(a)
Coro(lambda coro=None: (yield coro.sleep(0))).value(10)    # the scheduler runs
try:
    s.send_msg(b"data")
except RuntimeError as e:
    print("refused")
""", "refused")


def test_recvall_honours_its_timeout():
    check("""
a, b = socket.socketpair()

def reader(coro=None):
    sock = asyncoro.AsyncSocket(a)
    t0 = time.time()
    try:
        yield sock.recvall(10, timeout=0.1)
    except socket.timeout:
        first = "timeout"
    b.send(b"abc")
    part = yield sock.recvall(10, timeout=0.1)      # some bytes came: those
    raise StopIteration((first, bytes(part), time.time() - t0 < 5))

print(Coro(reader).value(20))
""", "('timeout', b'abc', True)" if sys.version_info[0] > 2 else "('timeout', 'abc', True)")


def test_asyncoro_is_a_singleton_with_join_and_terminate():
    check("""
s1 = asyncoro.AsynCoro()
s2 = asyncoro.AsynCoro.instance()
print(s1 is s2, asyncoro.AsynCoro() is s1)

done = []
def worker(n, coro=None):
    yield coro.sleep(0.02 * n)
    done.append(n)
for i in range(3):
    Coro(worker, i)
print(s1.join(), sorted(done))

closed = []
def forever(coro=None):
    try:
        while True:
            yield coro.sleep(10)
    finally:
        closed.append(True)
Coro(forever)
time.sleep(0.05)
s1.terminate()
print(closed)
""", "True True True [0, 1, 2] [True]")


def test_lock_acquire_default_timeout_waits_for_ever():
    check("""
lock = asyncoro.Lock()
rlock = asyncoro.RLock()

def holder(coro=None):
    yield lock.acquire()
    yield rlock.acquire()
    yield coro.sleep(0.1)
    lock.release()
    rlock.release()

def waiter(coro=None):
    yield coro.sleep(0.01)
    got = yield lock.acquire(timeout=-1)
    got2 = yield rlock.acquire()            # timeout=-1 by default
    short = yield asyncoro.Lock().acquire(timeout=-5)
    lock.release()
    raise StopIteration((got, got2, short))

Coro(holder)
print(Coro(waiter).value(10))
""", "(True, True, True)")


def test_release_by_another_coroutine_raises():
    check("""
lock = asyncoro.Lock()
def holder(coro=None):
    yield lock.acquire()
    yield coro.sleep(0.1)
def other(coro=None):
    yield coro.sleep(0.02)
    try:
        lock.release()
    except RuntimeError:
        raise StopIteration("RuntimeError")
Coro(holder)
print(Coro(other).value(10))
""", "RuntimeError")
