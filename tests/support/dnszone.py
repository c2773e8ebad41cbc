# tests/support/dnszone.py: the zone the DNS tests ask dnsmasq for (every
# record type, CNAME chains, a big TXT, 60 A records for one name) and the
# fixtures serving it: `server` (one dnsmasq per test module) and `resolver`
# (a Resolver asking it).  A test module imports both names.
from __future__ import absolute_import

import pytest

import idiokit.dns as dns

from .dnsmasq import Dnsmasq

MANY_A = ["192.0.2.%d" % i for i in range(100, 160)]
# Octets of one, two and three digits at every place, 0 and 255 included:
# the C core writes an IPv4 address's text itself (src/iptext.h).
OCTETS_A = ["0.9.10.99", "100.199.200.255", "255.0.1.101", "8.80.108.250"]

ZONE = [
    "--local=/example.test/",
    "--local-ttl=300",
    "--host-record=www.example.test,192.0.2.1",
    "--host-record=multi.example.test,192.0.2.10",
    "--host-record=multi.example.test,192.0.2.11",
    "--host-record=dual.example.test,192.0.2.2,2001:db8::2",
    "--host-record=v6only.example.test,2001:db8:0:0::0:6",
    "--host-record=xn--bcher-kva.example.test,192.0.2.5",
    "--cname=alias1.example.test,alias2.example.test",
    "--cname=alias2.example.test,alias3.example.test",
    "--cname=alias3.example.test,www.example.test",
    "--cname=mxalias1.example.test,mxalias2.example.test",
    "--cname=mxalias2.example.test,example.test",
    "--mx-host=example.test,mail.example.test,10",
    "--mx-host=example.test,mail2.example.test,20",
    "--srv-host=_xmpp-client._tcp.example.test,xmpp1.example.test,5222,10,60",
    "--srv-host=_xmpp-client._tcp.example.test,xmpp2.example.test,5223,20,0",
    "--txt-record=txt.example.test,v=spf1 -all,second string",
    "--txt-record=txt.example.test,third",
    "--txt-record=big.example.test," + ",".join(c * 250 for c in "abcd"),
    "--ptr-record=1.2.0.192.in-addr.arpa,www.example.test",
    "--ptr-record=2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa,"
    "dual.example.test",
] + ["--host-record=many.example.test," + ip for ip in MANY_A] + \
    ["--host-record=octets.example.test," + ip for ip in OCTETS_A]


@pytest.fixture(scope="module")
def server():
    """A dnsmasq serving ZONE on 127.0.0.1, for the whole test module."""
    with Dnsmasq(ZONE) as d:
        yield d


@pytest.fixture
def resolver(server):
    """A Resolver asking `server`, 2 s per try, 3 tries, no search domains."""
    return dns.Resolver([server.server], timeout=2.0, tries=3, search=())
