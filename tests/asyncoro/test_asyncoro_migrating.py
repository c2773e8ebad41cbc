# tests/asyncoro/test_asyncoro_migrating.py: what an asyncoro user trips on (issue 20):
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



def test_logger_format_levels_and_set_level():
    check("""
import logging, re
class Buf(object):
    text = ""
    def write(self, s):
        self.text += s
buf = Buf()
log = asyncoro.Logger("mine", stream=buf)
log.debug("hidden")
log.info("shown-%s", 1)
log.setLevel(asyncoro.Logger.DEBUG)
log.debug("now-%d", 2)
log.setLevel(logging.ERROR)
log.warning("hidden")
log.error("err")
lines = buf.text.splitlines()
print(len(lines), all(re.match(r"^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d mine - ", l) for l in lines))
print(",".join(l.split(" - ")[1] for l in lines))
print(asyncoro.logger.name, asyncoro.logger.level == asyncoro.Logger.INFO)
real, sys.stdout = sys.stdout, buf        # the module's logger writes to sys.stdout
asyncoro.logger.debug("hidden")
asyncoro.logger.setLevel(logging.DEBUG)
asyncoro.logger.debug("to-stdout")
sys.stdout = real
print(buf.text.splitlines()[-1].split(" ", 2)[2])
""", "3 True shown-1,now-2,err asyncoro True asyncoro - to-stdout")


def test_categorize_messages_buckets_other_categories():
    check("""
def server(coro=None):
    yield coro.sleep(0.05)                 # all six messages are queued by now
    cm = asyncoro.CategorizeMessages(coro)
    cm.add(lambda m: "even" if isinstance(m, int) and m % 2 == 0 else None)
    evens = []
    while True:
        m = yield cm.receive("even", timeout=0.05)
        if m is None:
            break
        evens.append(m)
    rest = []
    while True:
        m = yield cm.receive(timeout=0)
        if m is None:
            break
        rest.append(m)
    late = yield cm.receive("even", timeout=0.01, alarm_value="alarm")
    raise StopIteration((evens, rest, late))

s = Coro(server)
for m in [1, 2, 3, 4, "x", 6]:
    s.send(m)
print(s.value(10))
""", "([2, 4, 6], [1, 3, 'x'], 'alarm')")


def test_hot_swap_accepted_declined_and_mailbox_kept():
    check("""
log = []
def first(coro=None):
    coro.hot_swappable(True)
    while True:
        try:
            m = yield coro.receive()
            log.append(("first", m))
        except asyncoro.HotSwapException as exc:
            gen = exc.args[0]
            if gen.__name__ == "second":
                raise                       # accept
            log.append(("declined", gen.__name__))

def other(coro=None):
    yield coro.sleep(0)

def second(tag, coro=None):
    while True:
        m = yield coro.receive()
        log.append((tag, m))
        if m == "stop":
            raise StopIteration("done")

c = Coro(first)
c.send(1)
time.sleep(0.05)
c.hot_swap(other)
time.sleep(0.05)
c.send(2)
time.sleep(0.05)
c.hot_swap(second, "second")
c.send(3)                                 # queued around the swap: kept
c.send("stop")
print(c.value(10), log)
""", "done [('first', 1), ('declined', 'other'), ('first', 2), ('second', 3), ('second', 'stop')]")


def test_async_db_cursor_runs_in_the_pool():
    check("""
import sqlite3
conn = sqlite3.connect(":memory:", check_same_thread=False)
pool = asyncoro.AsyncThreadPool(2)
cur = asyncoro.AsyncDBCursor(pool, conn.cursor())

def db(coro=None):
    yield cur.execute("create table t (a integer)")
    yield cur.executemany("insert into t values (?)", [(1,), (2,), (3,)])
    yield cur.execute("select sum(a) from t where a > ?", (1,))
    raise StopIteration(cur.fetchone()[0])

print(Coro(db).value(10), asyncoro.AsynCoroSocket is asyncoro.AsyncSocket)
""", "5 True")


def test_serialize_round_trip():
    check("""
print(asyncoro.deserialize(asyncoro.serialize({"a": [1, 2]})) == {"a": [1, 2]},
      asyncoro.unserialize is asyncoro.deserialize)
""", "True True")


def test_blocking_connect_and_create_connection():
    check("""
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(5)
addr = listener.getsockname()
a = asyncoro.AsyncSocket(socket.socket(), blocking=True)
print(a.connect(addr))
b = asyncoro.AsyncSocket(socket.socket(), blocking=True)
print(b.create_connection(addr, timeout=5))
c1, _ = listener.accept(); c2, _ = listener.accept()
a.sendall(b"x"); b.sendall(b"y")
print(sorted([c1.recv(1), c2.recv(1)]) == [b"x", b"y"])
closed = socket.socket(); closed.bind(("127.0.0.1", 0)); port = closed.getsockname()[1]; closed.close()
try:
    asyncoro.AsyncSocket(socket.socket(), blocking=True).connect(("127.0.0.1", port))
except socket.error as e:
    print("refused")
""", "0 0 True refused")


def test_value_inside_a_coroutine_raises_instead_of_hanging():
    check("""
def sleeper(coro=None):
    yield coro.sleep(0.2)
    raise StopIteration("done")

def waiter(other, coro=None):
    try:
        other.value()
    except RuntimeError:
        got = yield other.finish()
        raise StopIteration(("RuntimeError", got))

print(Coro(waiter, Coro(sleeper)).value(10))
""", "('RuntimeError', 'done')")
