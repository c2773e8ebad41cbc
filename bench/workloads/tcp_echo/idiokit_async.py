"""tcp_echo / idiokit (async def): idiokit.py's server written as `async def` streams,
`data = await conn.recv(n)` / `await conn.sendall(data)`."""
import signal

import idiokit
from idiokit import socket

import benchutil

common = benchutil.load_sibling(__file__, "_common.py")


@idiokit.stream
async def handle(conn):
    try:
        while True:
            data = await conn.recv(common["BUFSIZE"])
            if not data:
                break
            await conn.sendall(data)
    except socket.SocketError:
        pass
    await conn.close()


@idiokit.stream
async def serve():
    std = common["listener"]()
    lsock = socket.fromfd(std.fileno(), socket.AF_INET, socket.SOCK_STREAM)
    std.close()
    common["ready"]((await lsock.getsockname())[1])
    while True:
        conn, _ = await lsock.accept()
        await conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        handle(conn)


if __name__ == "__main__":
    try:
        idiokit.main_loop(serve(), catch_signals=(signal.SIGTERM,))
    except idiokit.Signal:
        pass
