# tests/support/tlscerts.py: certificates for the TLS tests, made with the
# `openssl` command in a temporary directory: a test CA, a server certificate
# for localhost / 127.0.0.1 signed by it, one for another host name, an
# expired one, a client certificate, and a self-signed (untrusted) one.
from __future__ import absolute_import

import atexit
import os
import shutil
import subprocess
import tempfile

_CA_CNF = """
[ca]
default_ca = test_ca
[test_ca]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
"""


class Certs(object):
    """Paths of the generated files: ca, key, cert (localhost), other_cert,
    expired_cert, client_cert, client_key, selfsigned_cert, selfsigned_key."""

    def __init__(self, directory):
        self.dir = directory

    def path(self, name):
        return os.path.join(self.dir, name)


def _openssl(directory, *args):
    subprocess.check_call(("openssl",) + args, cwd=directory,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _key(directory, name):
    _openssl(directory, "genpkey", "-algorithm", "EC", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-out", name)


def _csr(directory, key, cn, csr, san):
    _openssl(directory, "req", "-new", "-key", key, "-subj", "/CN=" + cn, "-out", csr,
             "-addext", "subjectAltName=" + san)


def _sign(directory, csr, out, start=None, end=None):
    args = ["ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key",
            "-in", csr, "-out", out, "-notext"]
    if start is None:
        args += ["-days", "30"]
    else:
        args += ["-startdate", start, "-enddate", end]
    _openssl(directory, *args)


def generate(directory):
    with open(os.path.join(directory, "ca.cnf"), "w") as f:
        f.write(_CA_CNF.format(dir=directory))
    open(os.path.join(directory, "index.txt"), "w").close()
    with open(os.path.join(directory, "serial"), "w") as f:
        f.write("1000\n")
    _key(directory, "ca.key")
    _openssl(directory, "req", "-x509", "-new", "-key", "ca.key", "-days", "30",
             "-subj", "/CN=idiokit test CA", "-out", "ca.pem",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for name in ("server", "other", "expired", "client", "selfsigned"):
        _key(directory, name + ".key")
    _csr(directory, "server.key", "localhost", "server.csr", "DNS:localhost,IP:127.0.0.1")
    _sign(directory, "server.csr", "server.pem")
    _csr(directory, "other.key", "other.example", "other.csr", "DNS:other.example")
    _sign(directory, "other.csr", "other.pem")
    _csr(directory, "expired.key", "localhost", "expired.csr", "DNS:localhost,IP:127.0.0.1")
    _sign(directory, "expired.csr", "expired.pem", "20200101000000Z", "20200201000000Z")
    _csr(directory, "client.key", "idiokit client", "client.csr", "DNS:client.example")
    _sign(directory, "client.csr", "client.pem")
    _openssl(directory, "req", "-x509", "-new", "-key", "selfsigned.key", "-days", "30",
             "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-out", "selfsigned.pem")
    certs = Certs(directory)
    certs.ca = certs.path("ca.pem")
    for name in ("server", "other", "expired", "client", "selfsigned"):
        setattr(certs, name + "_cert", certs.path(name + ".pem"))
        setattr(certs, name + "_key", certs.path(name + ".key"))
    certs.cert, certs.key = certs.server_cert, certs.server_key
    return certs


_cached = []


def certs():
    """The certificates, generated once per process."""
    if not _cached:
        directory = tempfile.mkdtemp(prefix="idiokit-tls-")
        atexit.register(shutil.rmtree, directory, True)
        _cached.append(generate(directory))
    return _cached[0]
