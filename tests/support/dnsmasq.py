# tests/support/dnsmasq.py: a real DNS server for the DNS tests: dnsmasq on a
# free port of 127.0.0.1, serving a zone given as dnsmasq options, started
# and stopped by the tests (nothing is read from or written to the system's
# configuration).
from __future__ import absolute_import

import os
import socket
import subprocess
import time

DNSMASQ_PATHS = ("/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq")


def find_dnsmasq():
    for path in DNSMASQ_PATHS:
        if os.access(path, os.X_OK):
            return path
    raise RuntimeError("dnsmasq not found (install the Debian package dnsmasq-base: "
                       "`make test` does it)")


def free_port():
    """A port free on 127.0.0.1 for both UDP and TCP at the time of asking."""
    while True:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                tcp.bind(("127.0.0.1", port))
                return port
            except socket.error:
                continue
            finally:
                tcp.close()
        finally:
            udp.close()


def _tcp_open(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.settimeout(0.5)
        sock.connect(("127.0.0.1", port))
        return True
    except socket.error:
        return False
    finally:
        sock.close()


# A query for "probe.invalid." A (id 0x1d0c, recursion desired): dnsmasq
# answers it (NXDOMAIN or REFUSED) once its UDP socket serves.
_PROBE = b"\x1d\x0c\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" \
         b"\x05probe\x07invalid\x00\x00\x01\x00\x01"


def _udp_answers(port):
    """Whether a DNS query to 127.0.0.1:port over UDP gets an answer: the
    tests query over UDP, so a listening TCP socket alone is not ready."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.settimeout(0.5)
        sock.connect(("127.0.0.1", port))
        sock.send(_PROBE)
        return sock.recv(512)[:2] == _PROBE[:2]
    except socket.error:
        return False
    finally:
        sock.close()


class Dnsmasq(object):
    """dnsmasq serving `zone` (a list of dnsmasq options such as
    "--host-record=www.example.test,192.0.2.1") on 127.0.0.1:self.port."""

    def __init__(self, zone):
        self.zone = list(zone)
        self.port = None
        self.proc = None

    def start(self, timeout=10.0):
        binary = find_dnsmasq()
        last = None
        for _ in range(5):
            self.port = free_port()
            args = [binary, "--no-daemon", "--keep-in-foreground",
                    "--port=%d" % self.port, "--listen-address=127.0.0.1",
                    "--bind-interfaces", "--no-resolv", "--no-hosts",
                    "--conf-file=/dev/null", "--pid-file=", "--no-dhcp-interface=",
                    "--cache-size=0"]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                args.append("--user=root")
            args += self.zone
            devnull = open(os.devnull, "wb")
            try:
                # dnsmasq is a peer, not our code: it runs without the
                # sanitizer runtime that `make test-asan` preloads into Python.
                env = dict((key, value) for key, value in os.environ.items()
                           if key not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS"))
                self.proc = subprocess.Popen(args, stdin=devnull, stdout=devnull,
                                             stderr=subprocess.PIPE, close_fds=True,
                                             env=env)
            finally:
                devnull.close()
            deadline = time.time() + timeout
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    break
                if _tcp_open(self.port) and _udp_answers(self.port):
                    return self
                time.sleep(0.02)
            last = self.proc.stderr.read() if self.proc.poll() is not None else b"timeout"
            self.stop()
        raise RuntimeError("dnsmasq did not start: %r" % (last,))

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                deadline = time.time() + 5.0
                while proc.poll() is None and time.time() < deadline:
                    time.sleep(0.01)
            finally:
                if proc.poll() is None:
                    proc.kill()
        proc.wait()
        proc.stderr.close()

    @property
    def server(self):
        return ("127.0.0.1", self.port)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
