# tests/http/test_http_prefork.py: scaling past one core and one machine, with
# real processes: serve_prefork's workers share one SO_REUSEPORT port, a
# worker that dies is replaced, SIGTERM to the parent finishes the request
# in flight and stops everything; and a real haproxy (Debian package) in
# front of two idiokit server processes balances between them.
from __future__ import absolute_import

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from support.dnsmasq import free_port
from support.httpserver import exchange
from support.procs import ROOT_DIR as ROOT, TESTS_DIR

APP = os.path.join(TESTS_DIR, "support", "http_app.py")


def start_app(*args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, TESTS_DIR]))
    proc = subprocess.Popen([sys.executable, APP] + list(args), stdout=subprocess.PIPE,
                            env=env)
    line = proc.stdout.readline().decode()
    assert line.startswith("port "), line
    return proc, int(line.split()[1])


def get(port, path=b"/"):
    data = exchange(port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK"), data
    pid, uri = body.decode().split(" ", 1)
    return int(pid), uri


def pids_seen(port, count=60, tolerate_resets=False):
    """The workers answering `count` new connections.  Right after a worker
    dies, connections waiting in its accept queue are reset (SO_REUSEPORT
    gives each worker its own queue): tolerate_resets skips those."""
    pids = set()
    for _ in range(count):
        try:
            pids.add(get(port)[0])
        except EnvironmentError:
            if not tolerate_resets:
                raise
    return pids


def stop(proc, signalled=False):
    """SIGTERM (unless already sent) and the exit status."""
    if not signalled and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=20) if sys.version_info[0] > 2 else proc.wait()
    finally:
        proc.stdout.close()


@pytest.mark.no_leak_check("the workers are other processes; the fds here are pipes to them")
@pytest.mark.timeout(90)
def test_prefork_workers_restart_and_stop_gracefully():
    proc, port = start_app("prefork", "2")
    try:
        first = pids_seen(port)
        assert len(first) == 2                      # both workers take connections
        try:
            exchange(port, b"GET /die HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
        except EnvironmentError:
            pass
        deadline = time.time() + 15
        replaced = set()
        while time.time() < deadline:
            now = pids_seen(port, 20, tolerate_resets=True)
            replaced = now - first
            if replaced and len(now) == 2:
                break
            time.sleep(0.2)
        assert len(replaced) == 1                   # a new worker took the dead one's place
        slow = []
        thread = threading.Thread(target=lambda: slow.append(get(port, b"/slow")))
        thread.start()
        time.sleep(0.3)                             # the request is in flight
        proc.send_signal(signal.SIGTERM)
        thread.join(10)
        assert slow and slow[0][1] == "/slow"       # finished, not cut off
        assert stop(proc, signalled=True) == 0
        with pytest.raises(EnvironmentError):
            exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=2)
    finally:
        stop(proc)


HAPROXY_CONFIG = u"""
global
    maxconn 256
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend web
    bind 127.0.0.1:%(port)d
    default_backend idiokit
backend idiokit
    balance roundrobin
    server one 127.0.0.1:%(one)d
    server two 127.0.0.1:%(two)d
"""


@pytest.mark.no_leak_check("haproxy and the servers are other processes")
@pytest.mark.timeout(90)
def test_haproxy_in_front_of_two_server_processes(tmp_path):
    one, one_port = start_app("single")
    two, two_port = start_app("single")
    haproxy = None
    try:
        port = free_port()
        config = tmp_path / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG % {"port": port, "one": one_port, "two": two_port})
        haproxy = subprocess.Popen(["haproxy", "-db", "-f", str(config)],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while True:
            try:
                get(port)
                break
            except (EnvironmentError, AssertionError):
                if time.time() > deadline or haproxy.poll() is not None:
                    raise
                time.sleep(0.1)
        seen = [get(port, b"/through-haproxy") for _ in range(20)]
        assert set(pid for pid, _ in seen) == {one.pid, two.pid}
        assert all(uri == "/through-haproxy" for _, uri in seen)
    finally:
        if haproxy is not None:
            haproxy.terminate()
            haproxy.wait()
            haproxy.stdout.close()
        assert stop(one) == 0 and stop(two) == 0
