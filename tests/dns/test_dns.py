# tests/dns/test_dns.py: idiokit.dns against a real DNS server (dnsmasq started by
# the test on a free port of 127.0.0.1): record types, CNAME chains, errors
# with their rcodes, TCP fallback, IDNA, search domains, the hosts file,
# many queries in flight, cancellation, and the seed handler's contract.
from __future__ import absolute_import

import socket

import pytest

import idiokit
import idiokit.timer
import idiokit.dns as dns
from idiokit.dns import _hosts

from support.dnsmasq import Dnsmasq
from support.dnszone import ZONE, MANY_A, OCTETS_A, server, resolver  # noqa: F401 (fixtures)
from support.util import run


def test_a(resolver):
    assert run(dns.a("www.example.test", resolver)) == ["192.0.2.1"]
    assert sorted(run(dns.a("multi.example.test", resolver))) == ["192.0.2.10", "192.0.2.11"]


def test_aaaa_canonical_form(resolver):
    assert run(dns.aaaa("dual.example.test", resolver)) == ["2001:db8::2"]
    assert run(dns.aaaa("v6only.example.test", resolver)) == ["2001:db8::6"]


def test_a_follows_cname_chain(resolver):
    assert run(dns.a("alias1.example.test", resolver)) == ["192.0.2.1"]


def test_cname(resolver):
    assert run(dns.cname("alias3.example.test", resolver)) == ["www.example.test"]
    assert run(dns.cname("alias1.example.test", resolver)) == ["alias2.example.test"]


def test_cname_of_a_plain_name_is_nodata(resolver):
    with pytest.raises(dns.NoData):
        run(dns.cname("www.example.test", resolver))


def test_mx(resolver):
    records = run(dns.mx("example.test", resolver))
    assert sorted(records) == [(10, "mail.example.test"), (20, "mail2.example.test")]
    assert all(isinstance(r, dns.MX) for r in records)
    best = min(records, key=lambda r: r.preference)
    assert (best.preference, best.exchange) == (10, "mail.example.test")


def test_srv_and_ordering(resolver):
    records = run(dns.srv("_xmpp-client._tcp.example.test", resolver))
    by_port = dict((r.port, r) for r in records)
    assert sorted(by_port) == [5222, 5223]
    first = by_port[5222]
    assert (first.priority, first.weight, first.target) == (10, 60, "xmpp1.example.test")
    ordered = list(dns.ordered_srv_records(records))
    assert [r.port for r in ordered] == [5222, 5223]


def test_txt_tuples_per_record(resolver):
    records = run(dns.txt("txt.example.test", resolver))
    assert sorted(records) == [("third",), ("v=spf1 -all", "second string")]
    assert all(isinstance(r, tuple) for r in records)


def test_large_answer_over_tcp(resolver):
    # Over 512 bytes: the UDP reply is truncated and c-ares asks again on TCP.
    assert run(dns.txt("big.example.test", resolver)) == [tuple(c * 250 for c in "abcd")]
    assert sorted(run(dns.a("many.example.test", resolver))) == sorted(MANY_A)


def test_a_addresses_of_every_octet_width(resolver, server):
    # One, two and three digits, 0 and 255, in every place of the address,
    # by dns.a and by the full query; the expected text is the stdlib's.
    expected = sorted(socket.inet_ntoa(socket.inet_aton(ip)) for ip in OCTETS_A)
    assert sorted(run(dns.a("octets.example.test", resolver))) == expected
    _, records, answered_by = run(resolver.query("octets.example.test", 1))
    assert sorted(record.data.ip for record in records) == expected
    assert answered_by == server.server            # its text is the core's too


def test_ptr_and_reverse_lookup(resolver):
    assert run(dns.ptr("1.2.0.192.in-addr.arpa", resolver)) == ["www.example.test"]
    assert run(dns.reverse_lookup("192.0.2.1", resolver)) == ["www.example.test"]
    assert run(dns.reverse_lookup("2001:db8::2", resolver)) == ["dual.example.test"]


def test_reverse_lookup_bad_ip_is_synchronous():
    with pytest.raises(ValueError):
        dns.reverse_lookup("not-an-ip")
    with pytest.raises(ValueError):
        dns.reverse_lookup("300.1.1.1")


def test_nxdomain_is_response_error_3(resolver):
    with pytest.raises(dns.ResponseError) as info:
        run(dns.a("missing.example.test", resolver))
    assert info.value.rcode == 3
    assert info.value.string == "name error"
    assert isinstance(info.value, dns.DNSError)


def test_refused_is_response_error_5(resolver):
    # dnsmasq refuses names outside its zone when it has no upstream.
    with pytest.raises(dns.ResponseError) as info:
        run(dns.a("elsewhere.invalid", resolver))
    assert info.value.rcode == 5


def test_nodata(resolver):
    with pytest.raises(dns.NoData):
        run(dns.aaaa("www.example.test", resolver))
    with pytest.raises(dns.DNSError):
        run(dns.mx("www.example.test", resolver))


def test_trailing_dot_accepted(resolver):
    assert run(dns.a("www.example.test.", resolver)) == ["192.0.2.1"]


def test_idna_name(resolver):
    name = b"b\xc3\xbccher.example.test".decode("utf-8")
    assert run(dns.a(name, resolver)) == ["192.0.2.5"]


def test_search_domains(server):
    resolver = dns.Resolver([server.server], timeout=2.0, search=["example.test"])
    assert run(dns.a("www", resolver)) == ["192.0.2.1"]
    # An absolute name is never expanded.
    with pytest.raises(dns.DNSError):
        run(dns.a("www.", resolver))


@pytest.mark.parametrize("name", [
    "", ".", "a..example.test", ".example.test", "x" * 64 + ".example.test",
    ".".join(["x" * 60] * 5),
])
def test_malformed_name_is_value_error_at_the_yield(resolver, name):
    stream = dns.a(name, resolver)    # no exception yet: it comes from the stream
    with pytest.raises(ValueError):
        run(stream)


def test_longest_valid_name_is_accepted(resolver):
    name = ".".join(["x" * 63] * 3 + ["x" * 61])    # 255 bytes on the wire
    with pytest.raises(dns.DNSError):
        run(dns.a(name, resolver))


def seed_handler(name, resolver):
    """What the seed program's handler does with a query."""
    @idiokit.stream
    def handler():
        try:
            ips = yield dns.a(name, resolver)
        except ValueError:
            idiokit.stop("bad name")
        except dns.DNSError as error:
            idiokit.stop("failed: %s" % (type(error).__name__,))
        idiokit.stop(ips)
    return handler()


def test_seed_handler_contract(resolver):
    assert run(seed_handler("www.example.test", resolver)) == ["192.0.2.1"]
    assert run(seed_handler("a..b", resolver)) == "bad name"
    assert run(seed_handler("x" * 70, resolver)) == "bad name"
    assert run(seed_handler("missing.example.test", resolver)) == "failed: ResponseError"


def test_servers_api(server):
    resolver = dns.Resolver(["192.0.2.250"], timeout=2.0, search=())
    assert resolver.servers == [("192.0.2.250", 53)]
    resolver.clear_servers()
    with pytest.raises(dns.DNSError) as info:
        run(dns.a("www.example.test", resolver))
    assert "no DNS servers" in str(info.value)
    resolver.append_server(*server.server)
    assert resolver.servers == [server.server]
    assert run(dns.a("www.example.test", resolver)) == ["192.0.2.1"]
    with pytest.raises(ValueError):
        resolver.append_server("not an ip")


def test_hosts_file_first(tmp_path, monkeypatch, server):
    hosts = tmp_path / "hosts"
    hosts.write_text(u"# comment\n192.0.2.99 www.example.test alias.example.test\n"
                     u"2001:db8::99 www.example.test\n")
    monkeypatch.setattr(_hosts, "HOSTS_PATH", str(hosts))
    resolver = dns.Resolver([server.server], timeout=2.0, search=())
    assert run(dns.a("www.example.test", resolver)) == ["192.0.2.99"]
    assert run(dns.a("ALIAS.example.test.", resolver)) == ["192.0.2.99"]
    assert run(dns.aaaa("www.example.test", resolver)) == ["2001:db8::99"]
    # Only a/aaaa/host_lookup look there; other types go to the server.
    assert run(dns.cname("alias3.example.test", resolver)) == ["www.example.test"]
    assert run(dns.host_lookup("www.example.test", resolver)) == [
        (socket.AF_INET, "192.0.2.99"), (socket.AF_INET6, "2001:db8::99")]


def test_host_lookup(resolver):
    assert run(dns.host_lookup("192.0.2.7", resolver)) == [(socket.AF_INET, "192.0.2.7")]
    assert run(dns.host_lookup("::1", resolver)) == [(socket.AF_INET6, "::1")]
    assert run(dns.host_lookup("dual.example.test", resolver)) == [
        (socket.AF_INET, "192.0.2.2"), (socket.AF_INET6, "2001:db8::2")]
    assert run(dns.host_lookup("www.example.test", resolver)) == [(socket.AF_INET, "192.0.2.1")]
    assert run(dns.host_lookup("v6only.example.test", resolver)) == [
        (socket.AF_INET6, "2001:db8::6")]
    with pytest.raises(dns.ResponseError) as info:
        run(dns.host_lookup("missing.example.test", resolver))
    assert info.value.rcode == 3
    with pytest.raises(ValueError):
        run(dns.host_lookup("a..b", resolver))


def test_many_queries_in_flight(server):
    resolver = dns.Resolver([server.server], timeout=1.0, tries=5, search=())
    names = ["www.example.test", "multi.example.test", "alias1.example.test"]

    @idiokit.stream
    def many():
        queries = [dns.a(names[i % 3], resolver) for i in range(1000)]
        results = []
        for query in queries:
            results.append((yield query))
        idiokit.stop(results)

    results = run(many())
    assert len(results) == 1000
    for i, result in enumerate(results):
        expected = {0: ["192.0.2.1"], 1: ["192.0.2.10", "192.0.2.11"], 2: ["192.0.2.1"]}[i % 3]
        assert sorted(result) == expected
    stats = resolver._get_channel()._stats()
    assert stats == {"pending": 0, "live": 0, "sockets": 0, "timer": 0}


def black_hole():
    """A UDP socket that receives queries and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def test_timeout_after_configured_tries():
    sock = black_hole()
    try:
        resolver = dns.Resolver([sock.getsockname()], timeout=0.1, tries=2, search=())
        with pytest.raises(dns.DNSTimeout):
            run(dns.a("www.example.test", resolver))
    finally:
        sock.close()


def test_cancelled_query_frees_its_request():
    sock = black_hole()
    try:
        resolver = dns.Resolver([sock.getsockname()], timeout=30.0, tries=1, search=())
        query = dns.a("www.example.test", resolver)
        stats = resolver._get_channel()._stats()
        assert stats["pending"] == 1 and stats["sockets"] == 1
        with pytest.raises(idiokit.timer.Timeout):
            run(idiokit.timer.timeout(0.05, query))
        # Nothing else in flight: c-ares cancelled it and closed its socket.
        assert resolver._get_channel()._stats() == {
            "pending": 0, "live": 0, "sockets": 0, "timer": 0}
    finally:
        sock.close()


def test_cancel_one_of_several(server):
    sock = black_hole()
    try:
        resolver = dns.Resolver([sock.getsockname()], timeout=0.3, tries=1, search=())

        @idiokit.stream
        def both():
            first = dns.a("one.example.test", resolver)
            second = dns.a("two.example.test", resolver)
            try:
                yield idiokit.timer.timeout(0.05, first)
            except idiokit.timer.Timeout:
                pass
            stats = resolver._get_channel()._stats()
            try:
                yield second
            except dns.DNSTimeout:
                idiokit.stop(stats)

        # The cancelled request stays with c-ares (detached) until it times out.
        assert run(both()) == {"pending": 2, "live": 1, "sockets": 1, "timer": 1}
        assert resolver._get_channel()._stats()["pending"] == 0
    finally:
        sock.close()


def test_server_stopped_mid_test():
    with Dnsmasq(ZONE) as d:
        resolver = dns.Resolver([d.server], timeout=0.3, tries=2, search=())
        assert run(dns.a("www.example.test", resolver)) == ["192.0.2.1"]
        d.stop()
        with pytest.raises(dns.DNSError):
            run(dns.a("www.example.test", resolver))


def test_a_changed_hosts_file_is_seen_within_the_recheck_time(tmp_path, monkeypatch, server):
    hosts = tmp_path / "hosts"
    hosts.write_text(u"192.0.2.98 www.example.test\n")
    clock = [1000.0]
    monkeypatch.setattr(_hosts, "_now", lambda: clock[0])
    monkeypatch.setattr(_hosts, "HOSTS_PATH", str(hosts))
    resolver = dns.Resolver([server.server], timeout=2.0, search=())
    assert run(dns.a("www.example.test", resolver)) == ["192.0.2.98"]
    hosts.write_text(u"192.0.2.97 www.example.test other.example.test\n")
    clock[0] += _hosts.RECHECK / 2          # not looked at again yet
    assert run(dns.a("www.example.test", resolver)) == ["192.0.2.98"]
    clock[0] += _hosts.RECHECK              # looked at: the new contents
    assert run(dns.a("www.example.test", resolver)) == ["192.0.2.97"]
    assert run(dns.a("other.example.test", resolver)) == ["192.0.2.97"]
    hosts.unlink()
    clock[0] += _hosts.RECHECK              # gone: the server answers
    assert run(dns.a("www.example.test", resolver)) == ["192.0.2.1"]


def test_encoded_names_are_remembered_and_bad_ones_fail_every_time(resolver):
    from idiokit.dns import _names
    for _ in range(2):
        assert run(dns.a("www.example.test", resolver)) == ["192.0.2.1"]
        assert _names.encode_name(u"b\u00fccher.example") == "xn--bcher-kva.example"
        for bad in ("a..b", "", "x" * 64 + ".test"):
            with pytest.raises(ValueError):
                run(dns.a(bad, resolver))
        with pytest.raises(TypeError):
            _names.encode_name(["a"])
    saved = dict(_names._encoded)
    try:
        for i in range(_names._ENCODED_MAX + 5):
            _names.encode_name("n%d.example" % i)
        assert len(_names._encoded) <= _names._ENCODED_MAX
    finally:
        # the module's cache as it was: the refleak runner counts its entries
        _names._encoded.clear()
        _names._encoded.update(saved)
