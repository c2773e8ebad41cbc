# tests/tls/test_ssl_openssl.py: `openssl s_server` and `openssl s_client` as
# real peers of idiokit.ssl, both directions, TLS 1.2 and 1.3;
# renegotiation refused cleanly (the server goes on serving), and a TLS 1.3
# key update handled mid-stream.
from __future__ import absolute_import

import subprocess
import threading
import time

import pytest

import idiokit
from idiokit import socket, ssl

from support.util import run
from support.peers import listener
from support.tlscerts import certs

pytestmark = pytest.mark.skipif(
    subprocess.call("command -v openssl", shell=True, stdout=subprocess.PIPE) != 0,
    reason="no openssl command")


@pytest.fixture(scope="module")
def c():
    return certs()


class SServer(object):
    """openssl s_server -rev (each line sent back reversed) on 127.0.0.1,
    for one connection."""

    def __init__(self, c, *args):
        self.proc = subprocess.Popen(
            ["openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", c.cert, "-key", c.key,
             "-rev", "-naccept", "1"] + list(args),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.port = None
        self.lines = []
        while self.port is None:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("s_server ended: %r" % (self.lines,))
            self.lines.append(line)
            if line.startswith(b"ACCEPT "):
                self.port = int(line.split(b":")[-1])

    def finish(self):
        try:
            self.proc.kill()
        except OSError:
            pass
        out, _ = self.proc.communicate()      # (closes the pipes)
        return b"".join(self.lines) + out


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_idiokit_client_against_s_server(c, version):
    server = SServer(c, version)

    @idiokit.stream
    def main():
        sock = socket.Socket()
        yield sock.connect(("127.0.0.1", server.port), timeout=10)
        tls = yield ssl.wrap_socket(sock, ca_certs=c.ca, server_hostname="localhost",
                                    timeout=10)
        yield tls.sendall(b"hello idiokit\n")
        got = b""
        while b"tikoidi olleh" not in got:
            data = yield tls.recv(4096, timeout=10)
            assert data, got
            got += data
        yield tls.sendall(b"CLOSE\n")          # s_server -rev: close_notify and end
        rest = yield tls.recv(4096, timeout=10)
        while rest:
            rest = yield tls.recv(4096, timeout=10)
        version_used = tls.version()
        yield tls.close()
        idiokit.stop(version_used)
    try:
        used = run(main())
    finally:
        server.finish()
    assert used == {"-tls1_2": "TLSv1.2", "-tls1_3": "TLSv1.3"}[version]


def s_client(port, c, stdin_lines, *args):
    """Run openssl s_client against 127.0.0.1:port feeding stdin_lines with
    pauses; gives (exit status, output)."""
    proc = subprocess.Popen(
        ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-CAfile", c.ca,
         "-servername", "localhost", "-verify_return_error"] + list(args),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = []
    reader = threading.Thread(target=lambda: output.append(proc.stdout.read()))
    reader.start()
    for line in stdin_lines:
        time.sleep(0.3)
        try:
            proc.stdin.write(line)
            proc.stdin.flush()
        except (IOError, OSError):
            break
    time.sleep(0.3)
    try:
        proc.stdin.close()
    except (IOError, OSError):
        pass
    reader.join(20)
    proc.stdout.close()
    return proc.wait(), output[0] if output else b""


@idiokit.stream
def upper_echo_server(lsock, c, outcomes, count=1, until=b"bye"):
    """Serve `count` connections one after the other: send each line back
    in upper case until one holds `until`, then close.  Records "ok" or the
    exception's class name per connection."""
    for _ in range(count):
        conn, _ = yield lsock.accept(timeout=20)
        try:
            tls = yield ssl.wrap_socket(conn, server_side=True, certfile=c.cert, keyfile=c.key,
                                        timeout=10)
        except socket.SocketError as error:
            outcomes.append(type(error).__name__)
            continue
        try:
            while True:
                data = yield tls.recv(4096, timeout=10)
                if not data:
                    outcomes.append("eof")
                    break
                yield tls.sendall(data.upper())
                if until in data:
                    outcomes.append("ok")
                    break
        except socket.SocketError as error:
            outcomes.append(type(error).__name__)
        finally:
            yield tls.close()


def s_clients_against_idiokit(c, *sessions):
    """Run an upper_echo_server for one connection per session, each an
    s_client run (stdin lines, s_client options...) one after the other.
    Gives ([(status, output) per session], outcomes)."""
    @idiokit.stream
    def main():
        lsock = yield listener()
        port = (yield lsock.getsockname())[1]
        outcomes = []
        server = upper_echo_server(lsock, c, outcomes, count=len(sessions))
        results = []
        for lines, args in sessions:
            results.append((yield idiokit.thread(s_client, port, c, lines, *args)))
        yield server
        yield lsock.close()
        idiokit.stop(results, outcomes)
    return run(main())


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_s_client_against_idiokit_server(c, version):
    [(status, output)], outcomes = s_clients_against_idiokit(
        c, ([b"hello\n", b"bye\n"], (version, "-quiet")))
    assert b"HELLO" in output and b"BYE" in output, output
    assert outcomes == ["ok"]
    assert status == 0, output


def test_renegotiation_is_refused_cleanly_and_the_server_goes_on(c):
    [(_, output), (_, again_output)], outcomes = s_clients_against_idiokit(
        c, ([b"before\n", b"R\n", b"after\n"], ("-tls1_2", "-no_ign_eof")),
        ([b"bye\n"], ("-tls1_2", "-quiet")))
    assert b"BEFORE" in output
    assert b"RENEGOTIATING" in output
    assert b"no renegotiation" in output, output      # refused by our side
    assert b"AFTER" not in output
    assert outcomes[0] in ("SSLError", "eof"), outcomes
    assert outcomes[1:] == ["ok"] and b"BYE" in again_output


def test_tls13_key_update_mid_stream(c):
    [(_, output)], outcomes = s_clients_against_idiokit(
        c, ([b"before\n", b"K\n", b"after bye\n"], ("-tls1_3", "-no_ign_eof")))
    assert b"KEYUPDATE" in output, output
    assert b"BEFORE" in output and b"AFTER BYE" in output, output
    assert outcomes == ["ok"]
