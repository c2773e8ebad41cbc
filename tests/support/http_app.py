# tests/support/http_app.py: a small HTTP server program for the tests that
# need whole processes (prefork, haproxy).  It answers "<pid> <uri>";
# /slow waits 1 s first, /die ends its process.  argv: "prefork N" (serve
# with N pre-forked workers) or "single"; it prints "port <n>" when ready.
from __future__ import absolute_import, print_function

import os
import sys

import idiokit
from idiokit.http.server import serve_http
from idiokit.http.prefork import serve_prefork


@idiokit.stream
def handler(addr, request, response):
    if request.uri == "/die":
        os._exit(3)
    if request.uri == "/slow":
        yield idiokit.sleep(1.0)
    body = ("%d %s" % (os.getpid(), request.uri)).encode("ascii")
    yield response.write_headers({"content-length": len(body)})
    yield response.write(body)


def ready(address):
    print("port %d" % address[1])
    sys.stdout.flush()


if __name__ == "__main__":
    if sys.argv[1] == "prefork":
        serve_prefork(handler, "127.0.0.1", 0, workers=int(sys.argv[2]), on_bound=ready,
                      shutdown_timeout=5.0)
    else:
        idiokit.main_loop(serve_http(handler, "127.0.0.1", 0, on_bound=ready))
