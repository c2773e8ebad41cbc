# tests/net/test_echo_server.py: examples/echo_server.py (asyncoro's introduction
# server with only the import changed) serves real TCP clients, concurrently,
# with byte-exact echoes, under whichever interpreter runs the suite.
from __future__ import absolute_import

import os
import socket
import subprocess
import sys
import threading
import time

from support.procs import child_env, TESTS_DIR

EXAMPLE = os.path.join(os.path.dirname(TESTS_DIR), "examples", "echo_server.py")


def free_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def connect(port, deadline):
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=10)
        except socket.error:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def test_echo_server_example_serves_concurrent_clients():
    port = free_port()
    server = subprocess.Popen([sys.executable, EXAMPLE, str(port)], env=child_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first = connect(port, time.time() + 20)
        errors = []

        def client(i):
            try:
                sock = connect(port, time.time() + 20)
                payload = os.urandom(50000) + (u"client %d\n" % i).encode("ascii")
                sock.sendall(payload)
                got = b""
                while len(got) < len(payload):
                    data = sock.recv(65536)
                    assert data, "EOF after %d bytes" % len(got)
                    got += data
                assert got == payload
                sock.close()
            except Exception as error:  # reported below
                errors.append(error)
        threads = [threading.Thread(target=client, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        first.sendall(b"still here\n")          # a connection held across the others
        for t in threads:
            t.join(30)
        assert not errors, errors
        assert first.recv(100) == b"still here\n"
        first.close()
        assert server.poll() is None            # it keeps serving
    finally:
        server.kill()
        server.communicate()
