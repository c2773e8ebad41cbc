"""idiokit.xmpp._resolve: where to connect for an XMPP domain: the SRV
records of _xmpp-client._tcp.<domain> in priority/weight order (through
idiokit.dns), else the domain itself on port 5222; a forced host and port
win over both."""
from __future__ import absolute_import

from .. import idiokit, dns

DEFAULT_XMPP_PORT = 5222


@idiokit.stream
def _addresses(host, port, resolver):
    try:
        found = yield dns.host_lookup(host, resolver)
    except dns.DNSError:
        found = []
    idiokit.stop([(family, ip, port) for family, ip in found])


@idiokit.stream
def resolve(domain, forced_host=None, forced_port=None, resolver=None):
    """A stream giving a list of (family, ip, port) to try in order."""
    if forced_host is not None:
        port = DEFAULT_XMPP_PORT if forced_port is None else forced_port
        result = yield _addresses(forced_host, port, resolver)
        idiokit.stop(result)

    try:
        records = yield dns.srv("_xmpp-client._tcp." + domain, resolver)
    except dns.DNSError:
        records = []
    if records and all(record.target in ("", ".") for record in records):
        idiokit.stop([])        # RFC 2782: the service is decidedly not available

    if not records:
        port = DEFAULT_XMPP_PORT if forced_port is None else forced_port
        result = yield _addresses(domain, port, resolver)
        idiokit.stop(result)

    results = []
    for record in dns.ordered_srv_records(records):
        port = record.port if forced_port is None else forced_port
        found = yield _addresses(record.target, port, resolver)
        results.extend(found)
    idiokit.stop(results)
