"""tls_echo / gevent: StreamServer with ssl_context (gevent.ssl), one greenlet per
connection doing recv/sendall."""
import gevent.server
import gevent.ssl

import benchutil

common = benchutil.load_sibling(__file__, "_common.py")


def handle(conn, _addr):
    common["nodelay"](conn)
    try:
        while True:
            data = conn.recv(common["BUFSIZE"])
            if not data:
                break
            conn.sendall(data)
    except OSError:
        pass
    conn.close()


if __name__ == "__main__":
    server = gevent.server.StreamServer(("127.0.0.1", 0), handle, backlog=1024,
                                        ssl_context=common["server_context"](gevent.ssl))
    server.start()
    common["ready"](server.address[1])
    server.serve_forever()
