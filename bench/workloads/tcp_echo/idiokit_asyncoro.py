"""tcp_echo / idiokit.asyncoro: pycos.py's server with the import changed to idiokit.asyncoro
(Coro, AsyncSocket, `yield conn.recv(n)` / `yield conn.sendall(data)`)."""
import signal

import idiokit.asyncoro as asyncoro

import benchutil

common = benchutil.load_sibling(__file__, "_common.py")


def handle(conn, coro=None):
    while True:
        data = yield conn.recv(common["BUFSIZE"])
        if not data:
            break
        yield conn.sendall(data)
    conn.close()


def server(lsock, coro=None):
    sock = asyncoro.AsyncSocket(lsock)
    while True:
        conn, _ = yield sock.accept()
        conn.setsockopt(common["socket"].IPPROTO_TCP, common["socket"].TCP_NODELAY, 1)
        asyncoro.Coro(handle, conn)


if __name__ == "__main__":
    lsock = common["listener"](blocking=True)
    asyncoro.Coro(server, lsock)
    common["ready"](lsock.getsockname()[1])
    signal.pause()
