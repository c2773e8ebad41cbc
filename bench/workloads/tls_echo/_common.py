"""tls_echo helper shared by the Python servers: the certificate (made once with
`openssl` into bench/out/tls/), the server context, and tcp_echo's ready line and
listening socket.  Kept Python 2.7 compatible (the idiokit servers also run there)."""
import os
import runpy
import socket
import ssl
import subprocess

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


# the ready line, the listening socket and TCP_NODELAY: tcp_echo's
_tcp = runpy.run_path(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                   "tcp_echo", "_common.py"), run_name="bench_sibling")
ready, listener, nodelay = _tcp["ready"], _tcp["listener"], _tcp["nodelay"]
