"""http_hello / idiokit: idiokit.http.server with a hello-world handler (write_headers with a
content-length, then write), keep-alive."""
import json
import sys

import idiokit
from idiokit.http.server import serve_http

BODY = b"Hello, World!"


@idiokit.stream
def handler(addr, request, response):
    yield response.write_headers({"content-type": "text/plain", "content-length": 13})
    yield response.write(BODY)


def ready(address):
    print(json.dumps({"ready": True, "port": address[1]}))
    sys.stdout.flush()


if __name__ == "__main__":
    idiokit.main_loop(serve_http(handler, "127.0.0.1", 0, on_bound=ready))
