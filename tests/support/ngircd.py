# tests/support/ngircd.py: a real IRC server for tests/protocols/test_irc.py: ngircd
# in the foreground on free ports of 127.0.0.1, a plain port and a TLS one
# (certificates from servers.make_certs), with a generated configuration.
from __future__ import absolute_import

from .servers import Server, find_binary, free_port

NGIRCD_PATHS = ("/usr/sbin/ngircd", "/usr/bin/ngircd")

_CONFIG = """[Global]
Name = irc.test
Info = idiokit test server
Listen = 127.0.0.1
Ports = {port}
MotdPhrase = idiokit test
[Limits]
MaxNickLength = 9
PingTimeout = {ping}
PongTimeout = {ping}
[Options]
PAM = no
Ident = no
DNS = no
[SSL]
CertFile = {cert}
KeyFile = {key}
Ports = {tls_port}
"""


class Ngircd(Server):
    name = "ngircd"
    ping_timeout = 120

    def configure(self):
        binary = find_binary("ngircd", NGIRCD_PATHS, "ngircd")
        self.port, self.tls_port = free_port(), free_port()
        self.ports = [self.port, self.tls_port]
        with open(self.path("ngircd.conf"), "w") as handle:
            handle.write(_CONFIG.format(port=self.port, tls_port=self.tls_port,
                                        cert=self.cert, key=self.key,
                                        ping=self.ping_timeout))
        return [binary, "--nodaemon", "--config", self.path("ngircd.conf")]
