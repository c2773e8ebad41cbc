"""tls_echo helper shared by the Python servers: the certificate (made once with
`openssl` into bench/out/tls/), the server context, the ready line and the listening
socket.  Kept Python 2.7 compatible (the idiokit servers also run there)."""
import json
import os
import socket
import ssl
import subprocess
import sys

BUFSIZE = 262144
BENCH = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TLS_DIR = os.path.join(BENCH, "out", "tls")


def cert_files():
    """(certfile, keyfile): a self-signed EC P-256 certificate for localhost, made once."""
    cert, key = os.path.join(TLS_DIR, "cert.pem"), os.path.join(TLS_DIR, "key.pem")
    if not (os.path.exists(cert) and os.path.exists(key)):
        if not os.path.isdir(TLS_DIR):
            os.makedirs(TLS_DIR)
        tmp = ".%d" % os.getpid()
        subprocess.check_call(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "3650", "-subj", "/CN=localhost",
             "-keyout", key + tmp, "-out", cert + tmp],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.rename(key + tmp, key)
        os.rename(cert + tmp, cert)
    return cert, key


def server_context(module=ssl):
    """The server side every Python peer uses: the stdlib's defaults plus the certificate
    (the load generator offers only TLS 1.3 with TLS_AES_128_GCM_SHA256).  gevent passes
    gevent.ssl, whose SSLContext makes cooperative sockets."""
    context = module.SSLContext(getattr(ssl, "PROTOCOL_TLS_SERVER", ssl.PROTOCOL_SSLv23))
    context.load_cert_chain(*cert_files())
    return context


def ready(port):
    """Print the {"ready": true, "port": P} line the runner waits for, flushed."""
    sys.stdout.write(json.dumps({"ready": True, "port": port}) + "\n")
    sys.stdout.flush()


def listener(blocking=False):
    """A standard TCP socket listening on 127.0.0.1 at a free port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    sock.setblocking(blocking)
    return sock


def nodelay(sock):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
