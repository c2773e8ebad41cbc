"""tls_echo / idiokit.asyncoro: an asyncoro TLS server with the import changed to
idiokit.asyncoro: AsyncSocket(lsock, keyfile=..., certfile=...), `yield sock.accept()`
(the handshake is done there), `yield conn.recv(n)` / `yield conn.sendall(data)`."""
import signal

import idiokit.asyncoro as asyncoro

import benchutil

common = benchutil.load_sibling(__file__, "_common.py")
CERT, KEY = common["cert_files"]()


def handle(conn, coro=None):
    while True:
        data = yield conn.recv(common["BUFSIZE"])
        if not data:
            break
        yield conn.sendall(data)
    conn.close()


def server(lsock, coro=None):
    sock = asyncoro.AsyncSocket(lsock, keyfile=KEY, certfile=CERT)
    while True:
        try:
            conn, _ = yield sock.accept()
        except asyncoro.SocketError:
            continue
        conn.setsockopt(common["socket"].IPPROTO_TCP, common["socket"].TCP_NODELAY, 1)
        asyncoro.Coro(handle, conn)


if __name__ == "__main__":
    lsock = common["listener"](blocking=True)
    asyncoro.Coro(server, lsock)
    common["ready"](lsock.getsockname()[1])
    signal.pause()
