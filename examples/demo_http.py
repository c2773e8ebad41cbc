# examples/demo_http.py: the second half of `make demo`.  It starts the
# README's example (examples/dns_http_api.py: an HTTP API for DNS lookups on
# localhost:8080), asks it a few questions with idiokit's own HTTP client,
# prints the answers and the curl commands to try, and keeps the server
# running until Ctrl-C.  When stdin is not a terminal (CI), it stops the
# server itself after its own queries.  Runs on Python 2.7 and 3.x.
from __future__ import print_function

import os
import signal
import socket
import subprocess
import sys
import time

import idiokit
from idiokit.http.client import Client

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "dns_http_api.py")
PORT = 8080
QUERIES = [
    ("localhost", "a name from /etc/hosts"),
    ("a..b", "a malformed name: 400"),
    ("nonexistent.invalid", "a name that does not exist: an empty 200"),
]


def port_taken():
    probe = socket.socket()
    try:
        return probe.connect_ex(("127.0.0.1", PORT)) == 0
    finally:
        probe.close()


@idiokit.stream
def ask(client, name):
    request = yield client.request("GET", "http://localhost:%d/%s" % (PORT, name))
    response = yield request.finish()
    body = b""
    while True:
        data = yield response.read(4096)
        if not data:
            break
        body += data
    text = body if bytes is str else body.decode("utf-8")     # native str
    idiokit.stop(response.status_code, response.status_reason, text)


@idiokit.stream
def wait_until_up(client, seconds):
    deadline = time.time() + seconds
    while True:
        try:
            yield ask(client, "localhost")
            return
        except EnvironmentError:
            if time.time() > deadline:
                raise
            yield idiokit.sleep(0.1)


@idiokit.stream
def queries():
    client = Client(timeout=30.0)
    yield wait_until_up(client, 10.0)
    for name, what in QUERIES:
        code, reason, body = yield ask(client, name)
        print("  GET /%-22s -> %d %s %r   (%s)" % (name, code, reason, body, what))
    client.close()


def main():
    print("\n5. HTTP: the README's example, examples/dns_http_api.py")
    if port_taken():
        print("  port %d is already in use; stop what runs there and try again" % PORT)
        return 1
    server = subprocess.Popen([sys.executable, EXAMPLE])
    interrupted = False
    try:
        print("  started it (pid %d) on http://localhost:%d/; asking it with "
              "idiokit.http.client:" % (server.pid, PORT))
        try:
            idiokit.main_loop(queries())
        except idiokit.Signal:
            print("  interrupted")
            return 1
        print("\n  Try it yourself:")
        for name, _ in QUERIES:
            print("    curl -i http://localhost:%d/%s" % (PORT, name))
        if sys.stdin.isatty():
            print("\n  Serving until Ctrl-C.")
            try:
                server.wait()
            except KeyboardInterrupt:
                interrupted = True  # the terminal sent SIGINT to the server as well
    finally:
        if not interrupted and server.poll() is None:
            server.send_signal(signal.SIGINT)
        while True:
            try:
                code = server.wait()
                break
            except KeyboardInterrupt:
                pass
    print("  The server stopped (exit status %d)." % code)
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
