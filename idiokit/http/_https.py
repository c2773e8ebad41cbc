"""The client's https adapter, on idiokit.ssl: the server's certificate is
verified (against the system's CAs, or the CA file `verify` names) with its
host name, unless the Client says verify=False; `cert` is a client
certificate (a path holding cert and key, or a (cert, key) pair)."""
from __future__ import absolute_import

from .. import idiokit, ssl
from .client import _HTTPAdapter, _normalize_verify, _normalize_cert, _close_now


class HTTPSAdapter(_HTTPAdapter):
    default_port = 443

    @idiokit.stream
    def connect(self, client, url):
        require_cert, ca_certs = _normalize_verify(client.verify)
        certfile, keyfile = _normalize_cert(client.cert)
        host, port = self._address(url)
        host_header, sock = yield _HTTPAdapter.connect(self, client, url)
        try:
            tls = yield ssl.wrap_socket(sock, certfile=certfile, keyfile=keyfile,
                                        require_cert=require_cert, ca_certs=ca_certs,
                                        timeout=client.timeout,
                                        server_hostname=host if require_cert else None)
        except BaseException:
            _close_now(sock)
            raise
        idiokit.stop(host_header, tls)
