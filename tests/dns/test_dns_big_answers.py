# tests/dns/test_dns_big_answers.py: answers too big for UDP (1,000 A records,
# a 50 KB TXT record) from a real dnsmasq (started by the test on a free port
# of 127.0.0.1), asked at once with many small ones on the same Resolver.
# Issue 22: with one name in seven oversized, most small queries failed (here,
# before the fix: 443 of 600 timed out; with a server that resets TCP, "Could
# not contact DNS servers", see test_dns_hostile.py), because c-ares moved the
# big ones onto its one TCP connection per server.  Every query must succeed.
from __future__ import absolute_import

import os
import shutil
import tempfile

import pytest

import idiokit
import idiokit.dns as dns

from support.dnsmasq import Dnsmasq
from support.util import run

BIG = ["10.1.%d.%d" % (i // 250, i % 250 + 1) for i in range(1000)]


@pytest.fixture(scope="module")
def server():
    folder = tempfile.mkdtemp()
    try:
        hosts = os.path.join(folder, "big.hosts")
        with open(hosts, "w") as f:
            for ip in BIG:
                f.write("%s big.example.test\n" % ip)
        zone = ["--local=/example.test/", "--addn-hosts=" + hosts,
                "--host-record=small.example.test,192.0.2.1",
                "--txt-record=bigtxt.example.test," + ",".join(["x" * 250] * 200)]
        with Dnsmasq(zone) as d:
            yield d
    finally:
        shutil.rmtree(folder)


def storm(resolver, bad, lookup, n=700, every=7):
    @idiokit.stream
    def main():
        names = [bad if i % every == 0 else "small" for i in range(n)]
        queries = []
        for name in names:
            fn = lookup if name == bad else dns.a
            queries.append((name, fn(name + ".example.test", resolver)))
        results = []
        for name, query in queries:
            try:
                results.append((name, (yield query)))
            except dns.DNSError as error:
                results.append((name, error))
        idiokit.stop(results)

    return run(main())


@pytest.mark.parametrize("bad, lookup", [("big", dns.a), ("bigtxt", dns.txt)])
def test_big_answers_among_small_ones(server, bad, lookup):
    resolver = dns.Resolver([("127.0.0.1", server.port)], timeout=2, tries=3, search=())
    results = storm(resolver, bad, lookup)
    failed = [(name, r) for name, r in results if isinstance(r, Exception)]
    assert failed == []
    for name, result in results:
        if name == "small":
            assert result == ["192.0.2.1"]
        elif bad == "big":
            assert sorted(result) == sorted(BIG)
        else:
            assert result == [tuple(["x" * 250] * 200)]
