"""http_hello / gevent: gevent.pywsgi.WSGIServer with a hello-world WSGI app, logging off."""
from gevent import monkey  # noqa: E402  (before anything else)
monkey.patch_all()

import json  # noqa: E402
import sys  # noqa: E402

from gevent.pywsgi import WSGIServer  # noqa: E402


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")])
    return [b"Hello, World!"]


if __name__ == "__main__":
    server = WSGIServer(("127.0.0.1", 0), app, log=None, backlog=1024)
    server.start()
    print(json.dumps({"ready": True, "port": server.server_port}))
    sys.stdout.flush()
    server.serve_forever()
