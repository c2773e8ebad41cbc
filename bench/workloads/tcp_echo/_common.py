"""tcp_echo helper shared by the Python servers: the ready line and the listening socket.
Kept Python 2.7 compatible (the idiokit servers also run there)."""
import json
import socket
import sys

BUFSIZE = 262144


def ready(port):
    """Print the {"ready": true, "port": P} line the runner waits for, flushed."""
    sys.stdout.write(json.dumps({"ready": True, "port": port}) + "\n")
    sys.stdout.flush()


def listener(blocking=False):
    """A standard TCP socket listening on 127.0.0.1 at a free port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    sock.setblocking(blocking)
    return sock


def nodelay(sock):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
