# tests/net/test_socket_limits.py: idiokit.socket at the process's limits, each
# in child processes with their own RLIMIT_NOFILE: fds above 1024 (libev
# epoll), running out of fds in accept (checklist N4), and 10,000
# concurrent echo connections held by a server and a client process (N6).
from __future__ import absolute_import

import json
import os
import subprocess
import sys

import pytest

from support.procs import run_py, child_env, TESTS_DIR


def test_sockets_work_on_fds_above_1024():
    rc, out, err = run_py("""
        import os, resource
        resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
        import idiokit
        from idiokit import socket
        from support.peers import tcp_pair
        filler = [os.dup(0) for _ in range(1100)]
        @idiokit.stream
        def main():
            a, b = yield tcp_pair()
            assert a.fileno() > 1024 and b.fileno() > 1024, (a.fileno(), b.fileno())
            yield b.sendall(b"high" * 100000)
            got = b""
            while len(got) < 400000:
                got += yield a.recv(65536, timeout=10)
            assert got == b"high" * 100000
            try:
                yield a.recv(1, timeout=0.05)
            except socket.SocketTimeout:
                pass
            yield a.close()
            yield b.close()
            print("ok %d" % a.fileno())
        idiokit.main_loop(main(), catch_signals=())
    """, timeout=60)
    assert rc == 0, err
    assert out.startswith("ok -1") or out.startswith("ok"), out


def test_out_of_fds_in_accept_then_serving_resumes():
    """The server has RLIMIT_NOFILE 64; 150 clients connect and wait.  Its
    accept loop sees EMFILE as a SocketError, backs off, and once the
    clients leave it accepts and serves new clients."""
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER_LOW_FDS], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, stdin=subprocess.PIPE, env=child_env(), cwd=TESTS_DIR)
    try:
        port = int(server.stdout.readline())
        rc, out, err = run_py("""
            import socket, sys, time
            port = %d
            held = []
            for _ in range(150):
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                held.append(s)
            time.sleep(0.5)
            for s in held:
                s.close()
            time.sleep(0.3)
            for i in range(20):
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                s.settimeout(10)
                s.sendall(b"hello")
                assert s.recv(10) == b"hello", i
                s.close()
            print("served")
        """ % port, timeout=60)
        assert rc == 0, (out, err)
        assert "served" in out
        out, err = server.communicate(b"")
        stats = json.loads(out.decode().strip().splitlines()[-1])
        assert server.returncode == 0, err
        assert stats["emfile"] > 0          # it did run out of fds
        assert stats["cpu"] < 10.0          # backing off, not spinning hard
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


SERVER_LOW_FDS = r"""
import errno, json, os, resource, sys, threading
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
import idiokit
from idiokit import socket

stats = {"emfile": 0}

@idiokit.stream
def handle(conn):
    try:
        while True:
            data = yield conn.recv(4096)
            if not data:
                break
            yield conn.sendall(data)
    except socket.SocketError:
        pass
    finally:
        yield conn.close()

@idiokit.stream
def serve(lsock):
    while True:
        try:
            conn, _ = yield lsock.accept()
        except socket.SocketError as error:
            if error.args[0] not in (errno.EMFILE, errno.ENFILE):
                raise
            stats["emfile"] += 1
            yield idiokit.sleep(0.05)
            continue
        handle(conn)

@idiokit.stream
def main(done):
    lsock = socket.Socket()
    yield lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    yield lsock.bind(("127.0.0.1", 0))
    yield lsock.listen(256)
    sys.stdout.write("%d\n" % (yield lsock.getsockname())[1])
    sys.stdout.flush()
    server = serve(lsock)
    yield done
    yield lsock.close()

done = idiokit.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.succeed())).start()
idiokit.main_loop(main(done), catch_signals=())
times = os.times()
stats["cpu"] = times[0] + times[1]
print(json.dumps(stats))
"""


ECHO_SERVER_10K = r"""
import os, resource, sys, threading, json
resource.setrlimit(resource.RLIMIT_NOFILE, (10600, 10600))
import idiokit
from idiokit import socket

live = {"conns": 0, "max": 0}

@idiokit.stream
def handle(conn):
    live["conns"] += 1
    live["max"] = max(live["max"], live["conns"])
    try:
        while True:
            data = yield conn.recv(4096)
            if not data:
                break
            yield conn.sendall(data)
    finally:
        live["conns"] -= 1
        yield conn.close()

@idiokit.stream
def serve(lsock):
    while True:
        conn, _ = yield lsock.accept()
        handle(conn)

@idiokit.stream
def main(done):
    live["fds_start"] = len(os.listdir("/proc/self/fd"))
    lsock = socket.Socket()
    yield lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    yield lsock.bind(("127.0.0.1", 0))
    yield lsock.listen(4096)
    sys.stdout.write("%d %d\n" % ((yield lsock.getsockname())[1], len(os.listdir("/proc/self/fd"))))
    sys.stdout.flush()
    server = serve(lsock)
    yield done
    while live["conns"]:
        yield idiokit.sleep(0.05)
    yield lsock.close()

done = idiokit.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.succeed())).start()
idiokit.main_loop(main(done), catch_signals=())
import gc; gc.collect()
print(json.dumps({"max": live["max"], "fds_before": live["fds_start"],
                  "fds_after": len(os.listdir("/proc/self/fd")),
                  "stats": idiokit._core._debug_stats()}))
"""

ECHO_CLIENT_10K = r"""
import os, resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (10600, 10600))
import idiokit
from idiokit import socket
port, count = int(sys.argv[1]), int(sys.argv[2])

@idiokit.stream
def main():
    socks = []
    for i in range(count):
        s = socket.Socket()
        yield s.connect(("127.0.0.1", port), timeout=30)
        socks.append(s)
        if i % 256 == 255:
            yield idiokit.sleep(0.01)         # pace the connects (somaxconn)
    waiters = []
    for i, s in enumerate(socks):
        yield s.sendall(("%099d" % i).encode("ascii") + b"\n")
    for i, s in enumerate(socks):
        got = b""
        while len(got) < 100:
            data = yield s.recv(100 - len(got), timeout=60)
            assert data, i
            got += data
        assert got == ("%099d" % i).encode("ascii") + b"\n", i
    for s in socks:
        yield s.close()
    print("echoed %d" % len(socks))

idiokit.main_loop(main(), catch_signals=())
"""


@pytest.mark.timeout(180)
def test_ten_thousand_concurrent_echo_connections():
    count = 10000
    server = subprocess.Popen(
        [sys.executable, "-c", ECHO_SERVER_10K], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, stdin=subprocess.PIPE, env=child_env(), cwd=TESTS_DIR)
    try:
        port, _ = map(int, server.stdout.readline().split())
        rc, out, err = run_py(ECHO_CLIENT_10K, timeout=150, args=(str(port), str(count)))
        assert rc == 0, err[-2000:]
        assert out.strip() == "echoed %d" % count
        out, err = server.communicate(b"")
        assert server.returncode == 0, err[-2000:]
        result = json.loads(out.decode().strip().splitlines()[-1])
        assert result["max"] == count          # all were held at once
        assert result["fds_after"] == result["fds_before"]
        assert result["stats"]["watchers"] == 0
        assert result["stats"]["tasks"] == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
