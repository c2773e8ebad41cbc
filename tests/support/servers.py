# tests/support/servers.py: running a real server (prosody, ngircd) for the
# protocol tests: a temp dir, certificates made with openssl (a CA and a
# server certificate for localhost / 127.0.0.1), the process started in the
# foreground with its output in a log file, waited for on its TCP ports, and
# stopped (SIGTERM, then SIGKILL) with the temp dir removed.
from __future__ import absolute_import

import os
import shutil
import signal
import subprocess
import tempfile
import time

from .dnsmasq import free_port, _tcp_open as _port_open

__all__ = ["free_port", "find_binary", "make_certs", "Server"]

_OPENSSL_EXT = """[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
[server]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = %s
"""


def peer_env():
    """The environment for a peer program: without the sanitizer runtime
    that `make test-asan` preloads into Python (the peers are not ours)."""
    return dict((key, value) for key, value in os.environ.items()
                if key not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS"))


def _openssl(*args):
    with open(os.devnull, "wb") as devnull:
        subprocess.check_call(("openssl",) + args, stdout=devnull,
                              stderr=subprocess.STDOUT, env=peer_env())


def make_certs(directory, names=("localhost",), ips=("127.0.0.1",)):
    """Write ca.pem, server.pem (certificate) and server.key into directory;
    return their paths as (ca, cert, key)."""
    sans = ["DNS:" + name for name in names] + ["IP:" + ip for ip in ips]
    ext = os.path.join(directory, "openssl.cnf")
    with open(ext, "w") as handle:
        handle.write(_OPENSSL_EXT % ", ".join(sans))
    path = lambda name: os.path.join(directory, name)  # noqa: E731
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=idiokit test CA", "-config", ext, "-extensions", "ca",
             "-keyout", path("ca.key"), "-out", path("ca.pem"))
    _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + names[0],
             "-config", ext, "-keyout", path("server.key"), "-out", path("server.csr"))
    _openssl("x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"),
             "-CAkey", path("ca.key"), "-CAcreateserial", "-days", "2",
             "-extfile", ext, "-extensions", "server", "-out", path("server.pem"))
    for name in ("server.key", "server.pem", "ca.pem"):
        os.chmod(path(name), 0o644)     # servers that drop root still read them
    return path("ca.pem"), path("server.pem"), path("server.key")


def find_binary(name, paths, package):
    """The first executable of paths, else RuntimeError naming the package."""
    for path in paths:
        if os.access(path, os.X_OK):
            return path
    raise RuntimeError("%s not found (install the Debian package %s: `make test` does it)"
                       % (name, package))


class Server(object):
    """A server process in self.dir: subclasses define configure() (write
    the configuration, return the argv) and self.ports to wait for."""

    name = "server"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="idiokit-%s-" % self.name)
        os.chmod(self.dir, 0o755)
        self.ca, self.cert, self.key = make_certs(self.dir, self.cert_names)
        self.proc = None
        self.ports = []

    cert_names = ("localhost",)

    def path(self, name):
        return os.path.join(self.dir, name)

    def configure(self):
        raise NotImplementedError

    def start(self, timeout=20.0):
        argv = self.configure()
        log = open(self.path("log"), "ab")
        devnull = open(os.devnull, "rb")
        try:
            self.proc = subprocess.Popen(argv, stdin=devnull, stdout=log,
                                         stderr=subprocess.STDOUT, close_fds=True,
                                         cwd=self.dir, env=peer_env())
        finally:
            log.close()
            devnull.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            if all(_port_open(port) for port in self.ports):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("%s did not start:\n%s" % (self.name, self.log()))

    def log(self):
        try:
            with open(self.path("log"), "rb") as handle:
                return handle.read().decode("utf-8", "replace")
        except IOError:
            return ""

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            deadline = time.time() + 5.0
            while proc.poll() is None and time.time() < deadline:
                time.sleep(0.02)
            if proc.poll() is None:
                proc.kill()
        if proc is not None:
            proc.wait()

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
