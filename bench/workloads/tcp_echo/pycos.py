"""tcp_echo / pycos: AsyncSocket, `yield conn.recv(n)` / `yield conn.sendall(data)`, one Task
per connection. The scheduler runs in pycos's thread; the main thread waits for SIGTERM."""
import signal

import pycos

import benchutil

common = benchutil.load_sibling(__file__, "_common.py")


def handle(conn, task=None):
    while True:
        data = yield conn.recv(common["BUFSIZE"])
        if not data:
            break
        yield conn.sendall(data)
    conn.close()


def server(lsock, task=None):
    sock = pycos.AsyncSocket(lsock)
    while True:
        conn, _ = yield sock.accept()
        common["nodelay"](conn)
        pycos.Task(handle, conn)


if __name__ == "__main__":
    lsock = common["listener"](blocking=True)
    pycos.Task(server, lsock)
    common["ready"](lsock.getsockname()[1])
    signal.pause()
