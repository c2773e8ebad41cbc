"""tls_echo / idiokit (async def): idiokit.py's server written as `async def` streams,
`tls = await idiokit.ssl.wrap_socket(...)`, `data = await tls.recv(n)` /
`await tls.sendall(data)`."""
import signal

import idiokit
from idiokit import socket, ssl

import benchutil

common = benchutil.load_sibling(__file__, "_common.py")
CERT, KEY = common["cert_files"]()


@idiokit.stream
async def handle(conn):
    try:
        tls = await ssl.wrap_socket(conn, certfile=CERT, keyfile=KEY, server_side=True,
                                    timeout=10)
    except socket.SocketError:
        return
    try:
        while True:
            data = await tls.recv(common["BUFSIZE"])
            if not data:
                break
            await tls.sendall(data)
    except socket.SocketError:
        pass
    await tls.close()


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
