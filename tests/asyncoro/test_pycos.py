# tests/asyncoro/test_pycos.py: idiokit.pycos, pycos's names over idiokit.asyncoro:
# Task with the task=None keyword (also keyword-only), Pycos.cur_task, the
# shared singleton scheduler, AsyncSocket (and its ssl_context argument),
# messaging and asyncfile, each in a child process.
from __future__ import absolute_import

import sys

from support.procs import expect_words

PRELUDE = """from __future__ import print_function
import socket, sys, time
import idiokit.pycos as pycos
"""


def check(body, expect, timeout=30):
    expect_words(PRELUDE + body, expect, timeout=timeout)


def test_task_keyword_cur_task_and_values():
    check("""
def doubler(x, task=None):
    assert pycos.Pycos.cur_task() is task and isinstance(task, pycos.Task)
    yield task.sleep(0.01)
    raise StopIteration(x * 2)

def sub(task=None):
    assert task is None                   # only the top level gets it
    yield 1

def caller(task=None):
    yield sub()
    v = yield pycos.Task(doubler, 5).finish()
    raise StopIteration(v)

print(pycos.Task(doubler, 21).value(10), pycos.Task(caller).value(10))
print(pycos.Pycos() is pycos.Pycos.instance(), repr(pycos.Task(doubler, 0)).startswith("<Task"))
""" + ("""
def kwonly(*, task=None):
    yield task.sleep(0)
    return "kw"
print(pycos.Task(kwonly).value(10))
""" if sys.version_info[0] > 2 else "print('kw')\n"), "42 10 True True kw")


def test_tasks_and_asyncoro_coros_share_one_scheduler():
    check("""
from idiokit import asyncoro
def server(task=None):
    got = []
    while len(got) < 2:
        got.append((yield task.receive()))
    raise StopIteration(got)

def client(srv, coro=None):
    srv.send("from a Coro")
    yield coro.sleep(0)

s = pycos.Task(server)
asyncoro.Coro(client, s)
s.send("direct")
print(sorted(s.value(10)), pycos.Pycos() is asyncoro.AsynCoro())
""", "['direct', 'from a Coro'] True")


def test_async_socket_echo_and_blocking_mode():
    check("""
listener = pycos.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
listener.bind(("127.0.0.1", 0))
listener.listen(5)
addr = listener.getsockname()

def serve(task=None):
    conn, _ = yield listener.accept()
    assert isinstance(conn, pycos.AsyncSocket)
    msg = yield conn.recv_msg()
    yield conn.send_msg(msg.upper())
    conn.close()

srv = pycos.Task(serve)
client = pycos.AsyncSocket(socket.create_connection(addr), blocking=True)
client.send_msg(b"hello")
print(client.recv_msg())
client.close()
srv.value(10)
""", "b'HELLO'" if sys.version_info[0] > 2 else "HELLO")


def test_ssl_context_argument():
    check("""
import ssl
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT) if hasattr(ssl, "PROTOCOL_TLS_CLIENT") else None
sock = socket.socket()
if pycos._accepts("ssl_context"):
    pycos.AsyncSocket(sock, ssl_context=ctx)
    print("accepted")
else:
    try:
        pycos.AsyncSocket(sock, ssl_context=ctx or object())
    except NotImplementedError:
        print("accepted")              # refused clearly until idiokit.ssl exists
""", "accepted")


def test_pycos_asyncfile_names():
    check("""
import subprocess
from idiokit.pycos import asyncfile
def main(task=None):
    p = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out, err = yield asyncfile.AsyncPipe(p).communicate(b"data")
    p.wait()
    raise StopIteration(out)
print(pycos.Task(main).value(10) == b"data", pycos.logger.name)
""", "True pycos")
