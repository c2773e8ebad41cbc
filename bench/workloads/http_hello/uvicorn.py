"""http_hello / uvicorn: a raw ASGI app under uvicorn with http="httptools" and loop="uvloop",
access log off, on a socket bound here (port 0)."""
import json
import socket
import sys

import uvicorn

HEADERS = [(b"content-type", b"text/plain"), (b"content-length", b"13")]


async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": b"Hello, World!"})


if __name__ == "__main__":
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)       # before the ready line: wrk may connect at once
    print(json.dumps({"ready": True, "port": sock.getsockname()[1]}))
    sys.stdout.flush()
    config = uvicorn.Config(app, http="httptools", loop="uvloop", access_log=False,
                            log_level="warning", lifespan="off", backlog=1024)
    uvicorn.Server(config).run(sockets=[sock])
