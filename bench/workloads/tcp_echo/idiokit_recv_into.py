# bench/workloads/tcp_echo/idiokit_recv_into.py: idiokit.py's server with a handler that reads
# into one buffer per connection, `n = yield conn.recv_into(buf)` /
# `yield conn.sendall(view[:n])`, the pattern docs/socket.rst suggests for large messages.
import idiokit
from idiokit import socket

import benchutil

echo = benchutil.load_sibling(__file__, "idiokit.py")


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


if __name__ == "__main__":
    echo["main"](handle)
