# tests/dns/test_dns_classes.py: the DNS exception classes and record types are
# made by the C core (src/dns_errors.c) and re-exported by idiokit.dns: the
# original's names, hierarchy and fields; a DnsChannel works and raises them
# without idiokit.dns ever being imported.
from __future__ import absolute_import

import pickle
import subprocess
import sys

import idiokit.dns as dns
from idiokit import _core

from support.fakedns import FakeDNS


def test_the_classes_are_the_cores():
    assert dns.DNSError is _core.DNSError
    for name in ("DNSTimeout", "NoData", "MessageError", "ResponseError"):
        cls = getattr(dns, name)
        assert cls is getattr(_core, name)
        assert issubclass(cls, dns.DNSError) and cls is not dns.DNSError
        assert cls.__module__ == "idiokit.dns" and cls.__doc__
    assert issubclass(dns.DNSError, Exception)
    assert not issubclass(dns.DNSError, ValueError)


def test_response_error_has_the_originals_fields():
    error = dns.ResponseError(3)
    assert (error.rcode, error.string) == (3, "name error")
    assert error.args == ("name error",)            # the original's args and text
    assert str(error) == "name error"
    other = dns.ResponseError(rcode=9)
    assert (other.rcode, other.string, str(other)) == (9, "rcode 9", "rcode 9")
    assert isinstance(error, dns.DNSError)
    try:
        raise dns.ResponseError(2)
    except dns.DNSError as caught:
        assert caught.string == "server failure"


def test_mx_and_srv_are_namedtuples():
    mx = dns.MX(10, "mail.example.test")
    assert mx == (10, "mail.example.test") and mx.preference == 10
    assert mx.exchange == "mail.example.test"
    assert repr(mx) == "MX(preference=10, exchange='mail.example.test')"
    assert dns.MX._fields == ("preference", "exchange")
    srv = dns.SRV(1, 2, 5222, "x.example.test")._replace(port=5223)
    assert (srv.priority, srv.weight, srv.port, srv.target) == (1, 2, 5223, "x.example.test")
    assert dns.MX.__module__ == "idiokit.dns"
    assert pickle.loads(pickle.dumps(mx)) == mx


CHILD = """
import sys
from idiokit import _core
assert "idiokit.dns" not in sys.modules
ch = _core.DnsChannel([("127.0.0.1", %d)], timeout=2.0, tries=2, domains=())
import idiokit
assert "idiokit.dns" not in sys.modules
print(idiokit.main_loop(ch.query("ok.example.test", 1)))
try:
    idiokit.main_loop(ch.query("servfail.example.test", 1))
except _core.ResponseError as error:
    print(type(error).__name__, error.rcode, error.string)
assert "idiokit.dns" not in sys.modules
"""


def test_a_channel_needs_no_import_of_idiokit_dns():
    with FakeDNS() as fake:
        code = "from __future__ import print_function\n" + CHILD % fake.port
        out = subprocess.check_output([sys.executable, "-c", code])
    assert out.decode().split("\n")[:2] == ["['192.0.2.1']", "ResponseError 2 server failure"]
