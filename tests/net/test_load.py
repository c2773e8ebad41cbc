# tests/net/test_load.py: load held (checklist N6's companions, issue 22), each
# against the idiokit echo server of test_socket_limits.py in its own
# process: 100,000 short connections opened and closed in a row with no fd
# left behind, and 5,000 idle connections (a slowloris) held while other
# clients are served.  Marked `load`: deselected from the default run (they
# take minutes), run once by `make test-load` (CI).  Speed is printed, never
# asserted.
from __future__ import absolute_import, print_function

import json
import socket as stdsocket
import struct
import subprocess
import sys
import time

import pytest

from support.procs import run_py, child_env, TESTS_DIR
from test_socket_limits import ECHO_SERVER_10K

pytestmark = pytest.mark.load

# The 10k test's server, with a reset by the peer ending its handler quietly
# (the short connections below close with a reset; each would otherwise log
# an unretrieved exception, and a full stderr pipe would stall the server).
_HANDLER_END = "    finally:\n        live[\"conns\"] -= 1"
assert _HANDLER_END in ECHO_SERVER_10K
ECHO_SERVER = ECHO_SERVER_10K.replace(
    _HANDLER_END, "    except socket.SocketError:\n        pass\n" + _HANDLER_END)


class EchoServer(object):
    """The idiokit echo server in a child process; stop() returns its
    report (max concurrent connections, fds before and after, counters)."""

    def __enter__(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ECHO_SERVER], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, stdin=subprocess.PIPE, env=child_env(), cwd=TESTS_DIR)
        self.port = int(self.proc.stdout.readline().split()[0])
        return self

    def stop(self):
        out, err = self.proc.communicate(b"")
        assert self.proc.returncode == 0, err[-2000:]
        return json.loads(out.decode().strip().splitlines()[-1])

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            pipe.close()


SHORT_CONNECTIONS = r"""
import socket, struct, sys, time
port, count = int(sys.argv[1]), int(sys.argv[2])
linger = struct.pack("ii", 1, 0)
start = time.time()
for i in range(count):
    s = socket.socket()
    s.settimeout(10)
    # Closed with a reset: no TIME_WAIT, so 100,000 connections in a row do
    # not run out of the 28,000 ephemeral ports.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
    s.connect(("127.0.0.1", port))
    s.sendall(b"x")
    try:
        assert s.recv(1) == b"x", i
    except socket.timeout:
        sys.exit("no echo for connection %d of %d" % (i, count))
    s.close()
print("%d %.1f" % (count, time.time() - start))
"""


@pytest.mark.timeout(900)
def test_a_hundred_thousand_short_connections_in_a_row_leave_no_fd():
    count = 100000
    with EchoServer() as server:
        rc, out, err = run_py(SHORT_CONNECTIONS, timeout=850, args=(str(server.port), str(count)))
        assert rc == 0, err[-2000:]
        done, seconds = out.split()
        assert int(done) == count
        report = server.stop()
    print("100,000 short connections in %s s (%.0f/s); server report %r" % (
        seconds, count / float(seconds), report))
    assert report["fds_after"] == report["fds_before"]
    assert report["stats"]["watchers"] == 0 and report["stats"]["tasks"] == 0


IDLE_CLIENTS = r"""
import os, resource, socket, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (10600, 10600))
port, count = int(sys.argv[1]), int(sys.argv[2])
held = []
for i in range(count):
    s = socket.socket()
    s.settimeout(30)
    s.connect(("127.0.0.1", port))
    s.send(b"G")          # a request that never ends
    held.append(s)
    if i % 256 == 255:
        time.sleep(0.01)   # pace the connects (somaxconn)
sys.stdout.write("holding %d\n" % len(held))
sys.stdout.flush()
sys.stdin.read()
for s in held:
    s.close()
"""


@pytest.mark.timeout(600)
def test_five_thousand_idle_connections_while_other_clients_are_served():
    idle = 5000
    with EchoServer() as server:
        slow = subprocess.Popen(
            [sys.executable, "-c", IDLE_CLIENTS, str(server.port), str(idle)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=child_env(), cwd=TESTS_DIR)
        try:
            line = slow.stdout.readline()
            assert line.strip() == b"holding %d" % idle, slow.stderr.read()[-2000:]
            latencies = []
            for i in range(500):
                payload = struct.pack(">I", i) * 256
                started = time.time()
                s = stdsocket.create_connection(("127.0.0.1", server.port), timeout=10)
                s.sendall(payload)
                got = b""
                while len(got) < len(payload):
                    chunk = s.recv(len(payload) - len(got))
                    assert chunk, i
                    got += chunk
                s.close()
                latencies.append(time.time() - started)
                assert got == payload, i
            slow.communicate(b"")
            assert slow.returncode == 0
        finally:
            if slow.poll() is None:
                slow.kill()
                slow.wait()
        report = server.stop()
    latencies.sort()
    print("with %d idle connections held: 500 echo requests, median %.2f ms, p99 %.2f ms; "
          "server report %r" % (idle, 1000 * latencies[250], 1000 * latencies[495], report))
    assert report["max"] >= idle
    assert report["fds_after"] == report["fds_before"]
    assert report["stats"]["watchers"] == 0 and report["stats"]["tasks"] == 0
