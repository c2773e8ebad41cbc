# bench/workloads/tcp_echo/idiokit_recv_into.py: TCP echo server on idiokit streams that reads
# into one buffer per connection, `n = yield conn.recv_into(buf)` /
# `yield conn.sendall(view[:n])`, the pattern docs/socket.rst suggests for large messages;
# prints the ready line with its port and serves until SIGTERM.
import json
import signal
import sys

import idiokit
from idiokit import socket


@idiokit.stream
def handle(conn):
    buf = bytearray(262144)
    view = memoryview(buf)
    try:
        while True:
            n = yield conn.recv_into(buf)
            if not n:
                break
            yield conn.sendall(view[:n])
    except socket.SocketError:
        pass
    yield conn.close()


@idiokit.stream
def serve():
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
        handle(conn)


if __name__ == "__main__":
    try:
        idiokit.main_loop(serve(), catch_signals=(signal.SIGTERM,))
    except idiokit.Signal:
        pass
