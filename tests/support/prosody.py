# tests/support/prosody.py: a real XMPP server for tests/protocols/test_xmpp.py and
# the xmpp_muc benchmark: prosody in the foreground (-F) on a free port of
# 127.0.0.1 with a generated configuration, certificates from
# servers.make_certs, STARTTLS required, and accounts written to its data
# directory (internal_plain storage, so both PLAIN and SCRAM-SHA-1 work).
#
# Hosts: "localhost" offers SCRAM-SHA-1 and PLAIN, "plain.localhost" only
# PLAIN, "scram.localhost" only SCRAM-SHA-1; "conference.localhost" is a
# multi-user chat service.
from __future__ import absolute_import

import os

from .servers import Server, find_binary, free_port

PROSODY_PATHS = ("/usr/bin/prosody", "/usr/local/bin/prosody")

_CONFIG = """
run_as_root = true
pidfile = "{dir}/prosody.pid"
data_path = "{dir}/data"
certificates = "{dir}"
interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {port} }}
s2s_ports = {{}}
component_ports = {{}}
http_ports = {{}}
https_ports = {{}}
c2s_direct_tls_ports = {{}}
legacy_ssl_ports = {{}}
log = {{ {{ levels = {{ min = "{log_level}" }}, to = "console" }} }}
modules_enabled = {{ "roster"; "saslauth"; "tls"; "disco"; "ping"; "posix" }}
modules_disabled = {{ "s2s" }}
authentication = "internal_plain"
c2s_require_encryption = true
c2s_stanza_size_limit = 1048576
ssl = {{ certificate = "{cert}"; key = "{key}" }}
limits = {{ c2s = {{ rate = "100mb/s" }} }}
{global_options}
VirtualHost "localhost"
VirtualHost "plain.localhost"
    disable_sasl_mechanisms = {{ "SCRAM-SHA-1"; "SCRAM-SHA-256"; "DIGEST-MD5" }}
VirtualHost "scram.localhost"
    disable_sasl_mechanisms = {{ "PLAIN" }}
Component "conference.localhost" "muc"
{muc_options}
"""

HOSTS = ("localhost", "plain.localhost", "scram.localhost")


def _encode_host(host):
    """prosody's data directory name for a host (datamanager's encoding)."""
    return "".join(c if c.isalnum() else "%%%02x" % ord(c) for c in host)


def _lua_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Prosody(Server):
    name = "prosody"
    cert_names = ("localhost", "plain.localhost", "scram.localhost", "conference.localhost")
    log_level = "warn"
    # Extra lines of the configuration (Lua), for a subclass such as the
    # xmpp_muc benchmark's server: global_options before the first
    # VirtualHost, muc_options under the MUC component. Empty by default,
    # which is the configuration the tests rely on.
    global_options = ""
    muc_options = ""

    def __init__(self):
        Server.__init__(self)
        self.port = None

    def add_user(self, user, password, host="localhost"):
        directory = os.path.join(self.dir, "data", _encode_host(host), "accounts")
        if not os.path.isdir(directory):
            os.makedirs(directory)
        with open(os.path.join(directory, _encode_host(user) + ".dat"), "w") as handle:
            handle.write("return { [\"password\"] = %s; };\n" % _lua_string(password))

    def configure(self):
        binary = find_binary("prosody", PROSODY_PATHS, "prosody")
        if self.port is None:
            self.port = free_port()
        self.ports = [self.port]
        with open(self.path("prosody.cfg.lua"), "w") as handle:
            handle.write(_CONFIG.format(dir=self.dir, port=self.port, cert=self.cert,
                                        key=self.key, log_level=self.log_level,
                                        global_options=self.global_options,
                                        muc_options=self.muc_options))
        return [binary, "-F", "--config", self.path("prosody.cfg.lua")]
