"""tls_echo / idiokit: TLS echo server on idiokit streams: `tls = yield
idiokit.ssl.wrap_socket(conn, certfile=..., keyfile=..., server_side=True)`, then
`data = yield tls.recv(n)` / `yield tls.sendall(data)`.  Serves until SIGTERM."""
import signal

import idiokit
from idiokit import socket, ssl

import benchutil

common = benchutil.load_sibling(__file__, "_common.py")
CERT, KEY = common["cert_files"]()


@idiokit.stream
def handle(conn):
    try:
        tls = yield ssl.wrap_socket(conn, certfile=CERT, keyfile=KEY, server_side=True,
                                    timeout=10)
    except socket.SocketError:
        return
    try:
        while True:
            data = yield tls.recv(common["BUFSIZE"])
            if not data:
                break
            yield tls.sendall(data)
    except socket.SocketError:
        pass
    yield tls.close()


@idiokit.stream
def serve():
    std = common["listener"]()
    lsock = socket.fromfd(std.fileno(), socket.AF_INET, socket.SOCK_STREAM)
    std.close()
    common["ready"]((yield lsock.getsockname())[1])
    while True:
        conn, _ = yield lsock.accept()
        yield conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        handle(conn)


if __name__ == "__main__":
    try:
        idiokit.main_loop(serve(), catch_signals=(signal.SIGTERM,))
    except idiokit.Signal:
        pass
