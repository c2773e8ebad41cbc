# tests/dns/test_dns_query.py: Resolver.query's answer shape against dnsmasq:
# (final_name, [RR(name, type, cls, ttl, data)], (server_ip, port)), as the
# original returned it, for every supported type, the server reported
# being the one that answered, and CNAME chains followed to their end.
from __future__ import absolute_import

import socket

import pytest

import idiokit.dns as dns

from support.dnszone import MANY_A, server, resolver  # noqa: F401 (fixtures)
from support.util import run


def test_query_a_shape(resolver, server):
    name, records, answered_by = run(resolver.query("www.example.test", 1))
    assert name == "www.example.test"
    assert answered_by == server.server
    assert len(records) == 1
    rr = records[0]
    assert (rr.name, rr.type, rr.cls, rr.ttl) == ("www.example.test", 1, 1, 300)
    assert rr.data.ip == "192.0.2.1"


def test_query_aaaa_and_trailing_dot(resolver, server):
    name, records, answered_by = run(resolver.query("dual.example.test.", 28))
    assert name == "dual.example.test"
    assert [(rr.name, rr.type, rr.ttl, rr.data.ip) for rr in records] == [
        ("dual.example.test", 28, 300, "2001:db8::2")]
    assert answered_by == server.server


def test_query_follows_a_cname_chain_to_its_end(resolver, server):
    # alias1 -> alias2 -> alias3 -> www: each head, however far from the end,
    # gives the end's name and the end's records, as the original did.
    for head in ("alias1.example.test", "alias2.example.test", "alias3.example.test",
                 "www.example.test"):
        name, records, answered_by = run(resolver.query(head, 1))
        assert name == "www.example.test", head
        assert [(rr.name, rr.type, rr.cls, rr.ttl, rr.data.ip) for rr in records] == [
            ("www.example.test", 1, 1, 300, "192.0.2.1")], head
        assert answered_by == server.server


def test_query_chain_to_an_end_without_the_type(resolver, server):
    assert run(resolver.query("alias1.example.test", 28)) == (
        "www.example.test", [], server.server)


def test_query_chain_for_other_types(resolver):
    name, records, _ = run(resolver.query("mxalias1.example.test", 15))
    assert name == "example.test"
    assert sorted((rr.name, rr.type, rr.data) for rr in records) == [
        ("example.test", 15, (10, "mail.example.test")),
        ("example.test", 15, (20, "mail2.example.test"))]


def test_lookups_keep_their_results_behind_chains(resolver):
    assert run(dns.a("alias1.example.test", resolver)) == ["192.0.2.1"]
    assert sorted(run(dns.mx("mxalias1.example.test", resolver))) == [
        (10, "mail.example.test"), (20, "mail2.example.test")]
    assert run(dns.cname("alias1.example.test", resolver)) == ["alias2.example.test"]


def test_query_cname_record(resolver):
    name, records, _ = run(resolver.query("alias1.example.test", 5))
    assert name == "alias1.example.test"
    assert [(rr.name, rr.type, rr.data.name) for rr in records] == [
        ("alias1.example.test", 5, "alias2.example.test")]


def test_query_other_types(resolver):
    _, records, _ = run(resolver.query("example.test", 15))
    assert sorted(rr.data for rr in records) == [(10, "mail.example.test"),
                                                 (20, "mail2.example.test")]
    assert all(rr.name == "example.test" and rr.type == 15 for rr in records)
    _, records, _ = run(resolver.query("_xmpp-client._tcp.example.test", 33))
    assert sorted((rr.data.port, rr.data.target) for rr in records) == [
        (5222, "xmpp1.example.test"), (5223, "xmpp2.example.test")]
    _, records, _ = run(resolver.query("txt.example.test", 16))
    assert sorted(rr.data.strings for rr in records) == [("third",),
                                                         ("v=spf1 -all", "second string")]
    _, records, _ = run(resolver.query("1.2.0.192.in-addr.arpa", 12))
    assert [(rr.type, rr.data.name) for rr in records] == [(12, "www.example.test")]


def test_query_nodata_is_an_empty_list(resolver, server):
    assert run(resolver.query("www.example.test", 28)) == (
        "www.example.test", [], server.server)


def test_query_large_answer_over_tcp(resolver, server):
    name, records, answered_by = run(resolver.query("many.example.test", 1))
    assert sorted(rr.data.ip for rr in records) == sorted(MANY_A)
    assert set(rr.ttl for rr in records) == set([300])
    assert answered_by == server.server


def test_query_errors(resolver):
    with pytest.raises(dns.ResponseError) as info:
        run(resolver.query("missing.example.test", 1))
    assert info.value.rcode == 3
    with pytest.raises(ValueError):
        run(resolver.query("www.example.test", 1, cls=3))
    with pytest.raises(ValueError):
        run(resolver.query("www.example.test", 255))
    with pytest.raises(ValueError):
        run(resolver.query("a..b", 1))
    resolver.clear_servers()
    with pytest.raises(dns.DNSError):
        run(resolver.query("www.example.test", 1))


def test_query_names_the_server_that_answered(server):
    # The first server never answers: c-ares moves on to the second, and
    # query() reports that one.
    dead = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        dead.bind(("127.0.0.1", 0))
        resolver = dns.Resolver([dead.getsockname(), server.server], timeout=0.2, tries=2,
                                search=())
        _, records, answered_by = run(resolver.query("www.example.test", 1))
        assert answered_by == server.server
        assert [rr.data.ip for rr in records] == ["192.0.2.1"]
    finally:
        dead.close()
