"""Resolver and the lookup streams of idiokit.dns over idiokit._core's
c-ares binding (src/dns_*.c): c-ares speaks the protocol; this module checks
arguments, consults the hosts file and picks the channel."""
from __future__ import absolute_import

import os
import socket

import idiokit
from .. import _core
from . import _conf, _hosts, _records
from ._errors import DNSError
from ._names import encode_name, parse_ip, reverse_name

A, NS, CNAME, PTR, MX_TYPE, TXT, AAAA, SRV_TYPE = 1, 2, 5, 12, 15, 16, 28, 33
_TYPES = frozenset([A, NS, CNAME, PTR, MX_TYPE, TXT, AAAA, SRV_TYPE])
_HOSTS_FAMILY = {A: socket.AF_INET, AAAA: socket.AF_INET6}

# Which process a channel was made in: a count of os.fork() children, bumped
# by a fork hook, so asking costs no syscall per query (Python 2.7 has no
# hook: there, the pid).
if hasattr(os, "register_at_fork"):
    _forks = [0]

    def _count_fork():
        _forks[0] += 1

    os.register_at_fork(after_in_child=_count_fork)

    def _this_process():
        return _forks[0]
else:
    _this_process = os.getpid


def _done(result):
    event = idiokit.Event()
    event.succeed(result)
    return event


def _failed(exc):
    event = idiokit.Event()
    event.fail(exc)
    return event


def _server_pair(ip, port=53):
    _, ip = parse_ip(ip)
    port = int(port)
    if not 0 < port < 65536:
        raise ValueError("invalid port %r" % (port,))
    return (ip, port)


class Resolver(object):
    """A stub resolver on one c-ares channel.

    servers: None for the nameservers of /etc/resolv.conf, else a list of
    "ip" or (ip, port) entries.  timeout (seconds per try), tries, ndots,
    search (a list of domains) and rotate default to /etc/resolv.conf's
    options (and LOCALDOMAIN / RES_OPTIONS): c-ares reads them, and _conf
    adds glibc's timeout:/attempts:, which c-ares 1.18 does not know."""

    def __init__(self, servers=None, timeout=None, tries=None, ndots=None,
                 search=None, rotate=None):
        self._options = dict(timeout=timeout, tries=tries, ndots=ndots,
                             domains=None if search is None else list(search),
                             rotate=rotate)
        self._channel = None
        self._made_in = None
        if servers is None:
            self._servers = None
        else:
            self._servers = []
            for server in servers:
                if isinstance(server, tuple):
                    self._servers.append(_server_pair(*server))
                else:
                    self._servers.append(_server_pair(server))

    @property
    def servers(self):
        """The servers queried, as [(ip, port)]."""
        if self._servers is None:
            return self._get_channel().servers()
        return list(self._servers)

    def append_server(self, ip, port=53):
        """Query the server at (ip, port) too, after the current ones."""
        pair = _server_pair(ip, port)
        self._servers = self.servers + [pair]
        self._channel = None

    def clear_servers(self):
        """Forget every server (append_server adds new ones)."""
        self._servers = []
        self._channel = None

    def _get_channel(self):
        # A channel is rebuilt after a change of servers (queries in flight
        # finish on the old one) and in a forked child.
        if self._channel is None or self._made_in != _this_process():
            options = dict(self._options)
            for key, value in _conf.options().items():
                if options[key] is None:
                    options[key] = value
            self._channel = _core.DnsChannel(self._servers, **options)
            self._made_in = _this_process()
        return self._channel

    def query(self, name, type, cls=1):
        """A stream that returns (final_name, [RR...], (server_ip, port)), as
        the original's did: the records of `type` (1 A, 2 NS, 5 CNAME, 12 PTR,
        15 MX, 16 TXT, 28 AAAA, 33 SRV; class IN only) that the answer holds
        for `name` or for the name its CNAME points to (final_name), and the
        server that answered.  The name is asked as given (no search list,
        no hosts file); NOERROR without such records gives an empty list.
        A CNAME chain is followed to its end (final_name), as the original
        followed it inside its answer; c-ares 1.18 shows one hop per answer,
        so each further hop is a query of its own on the same channel (at
        most MAX_CNAME_HOPS; a name met twice is DNSError("CNAME loop")),
        and the server reported is the one that gave the last answer.
        Each RR has name, type, cls, ttl (None where c-ares does not report
        it: all but A and AAAA) and data (A/AAAA(ip), CNAME/PTR/NS(name),
        TXT(strings), MX, SRV)."""
        if cls != 1:
            return _failed(ValueError("only class IN (1) is supported"))
        if type not in _TYPES:
            return _failed(ValueError("unsupported record type %r" % (type,)))
        try:
            qname = encode_name(name)
        except ValueError as error:
            return _failed(error)
        if self._servers is not None and not self._servers:
            return _failed(DNSError("no DNS servers specified"))
        return _full_answer(self._get_channel(), qname.rstrip("."), type)

    def _lookup(self, name, rtype, use_hosts=True):
        try:
            qname = encode_name(name)
        except ValueError as error:
            return _failed(error)
        if use_hosts and rtype in _HOSTS_FAMILY:
            found = _hosts.lookup(qname, _HOSTS_FAMILY[rtype])
            if found:
                return _done([ip for _, ip in found])
        if self._servers is not None and not self._servers:
            return _failed(DNSError("no DNS servers specified"))
        return self._get_channel().query(qname, rtype)


_DATA = {
    A: _records.A, AAAA: _records.AAAA, CNAME: _records.CNAME, PTR: _records.PTR,
    NS: _records.NS, TXT: _records.TXT,
}


# The longest CNAME chain query() follows, in hops (names after the asked one).
MAX_CNAME_HOPS = 16


@idiokit.stream
def _full_answer(channel, qname, rtype):
    # Each answer's `final` is None without a CNAME, else the target of the
    # asked name's CNAME; the records in an answer with a CNAME may be the
    # chain's end's, but that end is known only once an answer for a name
    # has no CNAME of its own, so the target is asked in turn.  A CNAME query
    # is answered by the asked name's own record, as the original did.
    name = qname
    seen = set([name.lower()])
    while True:
        final, records, ttls, server = yield channel.query(name, rtype, True)
        if rtype == CNAME or final is None:
            break
        if final.lower() == name.lower():
            # c-ares names the owner when an answer has A records, CNAME or
            # not; without records of the type, ask whether the name is an
            # alias of itself.
            if not records:
                _, targets, _, _ = yield channel.query(name, CNAME, True)
                if name.lower() in [target.lower() for target in targets]:
                    raise DNSError("CNAME loop")
            break
        if final.lower() in seen:
            raise DNSError("CNAME loop")
        if len(seen) > MAX_CNAME_HOPS:
            raise DNSError("CNAME chain longer than %d hops" % (MAX_CNAME_HOPS,))
        seen.add(final.lower())
        name = final

    if ttls is None:
        ttls = [None] * len(records)
    wrap = _DATA.get(rtype)
    idiokit.stop(name, [
        _records.RR(name, rtype, 1, ttl, wrap(data) if wrap is not None else data)
        for data, ttl in zip(records, ttls)], server)


_global_resolver = None


def _get_resolver(resolver):
    global _global_resolver
    if resolver is not None:
        return resolver
    if _global_resolver is None:
        _global_resolver = Resolver()
    return _global_resolver


def a(name, resolver=None):
    """A stream: the IPv4 addresses of name (hosts file first), in answer order."""
    return _get_resolver(resolver)._lookup(name, A)


def aaaa(name, resolver=None):
    """A stream: the IPv6 addresses of name (hosts file first)."""
    return _get_resolver(resolver)._lookup(name, AAAA)


def cname(name, resolver=None):
    """A stream: [the name that name is an alias of]."""
    return _get_resolver(resolver)._lookup(name, CNAME)


def mx(name, resolver=None):
    """A stream: a list of MX(preference, exchange)."""
    return _get_resolver(resolver)._lookup(name, MX_TYPE)


def srv(name, resolver=None):
    """A stream: a list of SRV(priority, weight, port, target)."""
    return _get_resolver(resolver)._lookup(name, SRV_TYPE)


def txt(name, resolver=None):
    """A stream: a list with a tuple of strings per TXT record."""
    return _get_resolver(resolver)._lookup(name, TXT)


def ptr(name, resolver=None):
    """A stream: the list of names the PTR records of name point to."""
    return _get_resolver(resolver)._lookup(name, PTR)


def reverse_lookup(ip, resolver=None):
    """ptr() of the reverse name of ip; ValueError at once for a bad ip."""
    return ptr(reverse_name(ip), resolver)


@idiokit.stream
def host_lookup(host, resolver=None):
    """A stream: [(family, ip)] for host: a literal IP as itself, else the
    hosts file's entries, else its A then AAAA addresses.  Fails only when
    both queries fail, with the A query's error."""
    try:
        idiokit.stop([parse_ip(host)])
    except ValueError:
        pass
    qname = encode_name(host)
    found = _hosts.lookup(qname)
    if found:
        idiokit.stop(found)

    resolver = _get_resolver(resolver)
    result = []
    a_error = None
    try:
        ips = yield resolver._lookup(qname, A, use_hosts=False)
        result.extend((socket.AF_INET, ip) for ip in ips)
    except DNSError as error:
        a_error = error
    try:
        ips = yield resolver._lookup(qname, AAAA, use_hosts=False)
        result.extend((socket.AF_INET6, ip) for ip in ips)
    except DNSError:
        if a_error is not None:
            raise a_error
    idiokit.stop(result)
