# bench/workloads/tcp_echo/idiokit.py: TCP echo server on idiokit streams,
# `data = yield conn.recv(n)` / `yield conn.sendall(data)`; prints the ready
# line with its port and serves until SIGTERM.
import json
import signal
import sys

import idiokit
from idiokit import socket


@idiokit.stream
def handle(conn):
    try:
        while True:
            data = yield conn.recv(262144)
            if not data:
                break
            yield conn.sendall(data)
    except socket.SocketError:
        pass
    yield conn.close()


@idiokit.stream
def serve(handle_conn):
    lsock = socket.Socket()
    yield lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    yield lsock.bind(("127.0.0.1", 0))
    yield lsock.listen(1024)
    port = (yield lsock.getsockname())[1]
    sys.stdout.write(json.dumps({"ready": True, "port": port}) + "\n")
    sys.stdout.flush()
    while True:
        conn, _ = yield lsock.accept()
        yield conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        handle_conn(conn)


def main(handle_conn):
    """Serve with handle_conn(conn) per connection until SIGTERM."""
    try:
        idiokit.main_loop(serve(handle_conn), catch_signals=(signal.SIGTERM,))
    except idiokit.Signal:
        pass


if __name__ == "__main__":
    main(handle)
