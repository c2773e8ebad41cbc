# tests/dns/test_dns_async_py3.py: Python 3 only (ignored on Python 2 by
# conftest.py): idiokit.dns from `async def` streams against dnsmasq: await a
# lookup, catch its DNSError at the await, await Resolver.query, several
# lookups in flight at once, and a lookup cancelled by a timeout around the
# await.
import socket

import pytest

import idiokit
import idiokit.timer
import idiokit.dns as dns

from support.dnszone import server, resolver  # noqa: F401 (fixtures)
from support.util import run


def test_await_lookups_and_errors(resolver):
    @idiokit.stream
    async def lookups():
        ips = await dns.a("www.example.test", resolver)
        mx = await dns.mx("example.test", resolver)
        try:
            await dns.a("missing.example.test", resolver)
        except dns.ResponseError as error:
            rcode = error.rcode
        try:
            await dns.a("a..b", resolver)
        except ValueError:
            bad = "bad name"
        return ips, sorted(mx), rcode, bad

    assert run(lookups()) == (["192.0.2.1"], [(10, "mail.example.test"),
                                              (20, "mail2.example.test")], 3, "bad name")


def test_await_query_shape(resolver, server):
    @idiokit.stream
    async def query():
        return await resolver.query("alias3.example.test", 1)

    name, records, answered_by = run(query())
    assert name == "www.example.test"
    assert [rr.data.ip for rr in records] == ["192.0.2.1"]
    assert answered_by == server.server


def test_many_in_flight_from_async_def(resolver):
    @idiokit.stream
    async def many():
        queries = [dns.a("multi.example.test", resolver) for _ in range(200)]
        return [sorted(await query) for query in queries]

    assert run(many()) == [["192.0.2.10", "192.0.2.11"]] * 200


def test_timeout_around_an_await_cancels_the_lookup():
    hole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        hole.bind(("127.0.0.1", 0))
        resolver = dns.Resolver([hole.getsockname()], timeout=30.0, tries=1, search=())

        @idiokit.stream
        async def impatient():
            try:
                await idiokit.timer.timeout(0.05, dns.a("www.example.test", resolver))
            except idiokit.timer.Timeout:
                return "gave up"

        assert run(impatient()) == "gave up"
        # The only request was cancelled: c-ares dropped it and its socket.
        assert resolver._get_channel()._stats() == {
            "pending": 0, "live": 0, "sockets": 0, "timer": 0}
    finally:
        hole.close()
