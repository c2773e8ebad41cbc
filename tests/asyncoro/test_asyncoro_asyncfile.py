# tests/asyncoro/test_asyncoro_asyncfile.py: idiokit.asyncoro.asyncfile as asyncoro's
# asyncfile documents it: AsyncFile over pipes and sockets (read, full reads,
# readline, timeouts), AsyncPipe over real children (communicate with large
# data, chained Popen), and Popen with AsyncFile pipes.
from __future__ import absolute_import

from test_asyncoro import check

PRE = """
import os, subprocess, hashlib
from idiokit.asyncoro import asyncfile
"""


def test_async_file_read_full_readline_and_timeouts():
    check(PRE + """
r, w = os.pipe()
def reader(coro=None):
    f = asyncfile.AsyncFile(r)
    first = yield f.read(3)                     # what is there, up to 3
    whole = yield f.read(6, full=True)          # exactly 6, across writes
    line = yield f.readline()
    try:
        yield f.read(10, timeout=0.05)
    except IOError as e:
        timed = e.args[0]
    part = yield f.read(100, full=True, timeout=0.1)   # partial data at the timeout
    rest = yield f.read()                       # to end of input
    f.close()
    raise StopIteration([first, whole, line, timed, part, rest])

def writer(coro=None):
    f = asyncfile.AsyncFile(w)
    yield f.write(b"abc12")
    yield coro.sleep(0.02)
    yield f.write(b"3456line\\n")
    yield coro.sleep(0.1)
    yield f.write(b"xy")
    yield coro.sleep(0.2)
    n = yield f.write(b"z" * 100000, full=True)
    os.close(w)
    raise StopIteration(n)

rc, wc = Coro(reader), Coro(writer)
print(rc.value(20), wc.value(20))
os.close(r)
""", "[b'abc', b'123456', b'line\\n', 'timedout', b'xy', b'" + "z" * 100000 + "'] 100000"
          if __import__("sys").version_info[0] > 2 else
          "['abc', '123456', 'line\\n', 'timedout', 'xy', '" + "z" * 100000 + "'] 100000")


def test_async_pipe_communicate_large_data_through_a_real_child():
    check(PRE + """
data = os.urandom(1 << 20) * 6
def main(coro=None):
    p = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    out, err = yield asyncfile.AsyncPipe(p).communicate(data)
    p.wait()
    raise StopIteration((out == data, err, p.returncode))
print(Coro(main).value(60))
""", "(True, b'', 0)" if __import__("sys").version_info[0] > 2 else "(True, '', 0)")


def test_chained_popen_and_readline():
    check(PRE + """
def main(coro=None):
    p1 = subprocess.Popen(["grep", "keep"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    p2 = subprocess.Popen(["wc", "-l"], stdin=p1.stdout, stdout=subprocess.PIPE)
    p1.stdout.close()
    pipe = asyncfile.AsyncPipe(p1, p2)
    for i in range(1000):
        yield pipe.write("keep %d\\n" % i if i % 3 else "drop\\n", full=True)
    pipe.stdin.close()
    line = yield pipe.readline()
    p1.wait(); p2.wait()
    raise StopIteration(int(line.strip()))
print(Coro(main).value(30))
""", "666")


def test_popen_with_async_files_and_async_wait():
    check(PRE + """
def main(coro=None):
    p = asyncfile.Popen(["sh", "-c", "read x; echo got $x; exit 3"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert isinstance(p.stdout, asyncfile.AsyncFile)
    yield p.stdin.write(b"hi\\n", full=True)
    p.stdin.close()
    line = yield p.stdout.readline()
    status = yield p.async_wait(10)
    slow = asyncfile.Popen(["sleep", "10"])
    try:
        yield slow.async_wait(0.05)
    except IOError as e:
        timed = e.args[0]
    slow.kill(); slow.wait()
    p.close()
    raise StopIteration((str(line.decode()), status, timed))
print(Coro(main).value(30))
""", "('got hi\\n', 3, 'timedout')")
