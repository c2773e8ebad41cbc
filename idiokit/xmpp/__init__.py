"""idiokit.xmpp: an XMPP client as a stream.

connect(jid, password, host=None, port=None, ssl_verify_cert=True,
ssl_ca_certs=None, ssl_certfile=None, ssl_keyfile=None, timeout=120.0)
finds the server (SRV records of _xmpp-client._tcp.<domain> through
idiokit.dns, unless host is given), connects, requires STARTTLS (the
certificate verified against ssl_ca_certs, or the system's CAs, for the
domain or the given host), authenticates with SASL SCRAM-SHA-1 (PLAIN when
that is all the server offers), binds a resource and starts a session.
It results in an XMPP stream: its output is Elements batches of incoming
stanzas, its input takes Element(s) to send; .core, .disco, .muc and .ping
are its sub-APIs and .jid the bound full JID.  A whitespace keep-alive goes
out after 10 s without output, an XMPP ping every 60 s.
"""
from __future__ import absolute_import

from .. import idiokit, socket, timer, xmlcore
from . import core, disco, muc, ping, _resolve
from .core import XMPPError  # noqa: F401
from .jid import JID, JIDError  # noqa: F401

__all__ = ["connect", "XMPP", "JID", "JIDError", "XMPPError", "StreamError"]

KEEPALIVE_INTERVAL = 60.0
WHITESPACE_INTERVAL = 10.0
HOLD_WAIT = 0.05        # a quiet moment after which the parser's held data is parsed


class StreamError(core.XMPPError):
    """The server ended the stream with a stream:error."""

    def __init__(self, element):
        core.XMPPError.__init__(self, "stream level error", element, core.STREAM_ERROR_NS)


class Restart(Exception):
    """Kept for the original's name; streams restart without it here."""


def _stream_header(domain):
    header = xmlcore.Element("stream:stream", to=domain, version="1.0")
    header.set_attr("xmlns", core.STANZA_NS)
    header.set_attr("xmlns:stream", core.STREAM_NS)
    return b"<?xml version='1.0'?>" + header.serialize_open()


def _checked(elements):
    for error in elements.named("error", core.STREAM_NS):
        raise StreamError(error)
    return elements


@idiokit.stream
def _receive(sock, parser, timeout=None):
    """The next Elements that sock's data completes (XMPPError when the
    connection ends, StreamError for a stream error)."""
    while True:
        holding = parser.holding
        try:
            wait = timeout if not holding else HOLD_WAIT if timeout is None else min(timeout, HOLD_WAIT)
            data = yield sock.recv(65536, timeout=wait)
        except socket.SocketTimeout:
            if not holding:
                raise core.XMPPError("timed out waiting for the server")
            data = None
        if data == b"":
            raise core.XMPPError("connection lost")
        try:
            elements = parser.flush() if data is None else parser.feed(data)
        except xmlcore.ExpatError as error:
            raise core.XMPPError("malformed XML from the server: {0}".format(error))
        if elements:
            idiokit.stop(_checked(elements))


class _Negotiation(object):
    """The stream while it is negotiated: restart() sends a new stream
    header, send(element) and next() (one element at a time) are streams."""

    def __init__(self, sock, domain, timeout):
        self.sock = sock
        self.domain = domain
        self.timeout = timeout
        self.parser = None
        self.pending = []

    def restart(self):
        self.parser = xmlcore.ElementParser()
        self.pending = []
        return self.sock.sendall(_stream_header(self.domain), timeout=self.timeout)

    def send(self, element):
        return self.sock.sendall(element.serialize(), timeout=self.timeout)

    @idiokit.stream
    def next(self):
        while not self.pending:
            elements = yield _receive(self.sock, self.parser, self.timeout)
            self.pending.extend(elements)
        idiokit.stop(xmlcore.Elements(self.pending.pop(0)))


def _serialize(elements):
    if isinstance(elements, xmlcore.Element):
        return elements.serialize()
    return b"".join(element.serialize() for element in elements)


class _Outbox(object):
    """Serialized stanzas waiting for the socket: _collect adds, _flush
    writes everything there is in one sendall (one TLS record for a burst
    rather than one per stanza)."""

    LIMIT = 1 << 18     # bytes; past this _collect waits for a flush

    def __init__(self):
        self.parts = []
        self.size = 0
        self.flush_waiter = None
        self.collect_waiter = None

    def add(self, data):
        self.parts.append(data)
        self.size += len(data)
        waiter, self.flush_waiter = self.flush_waiter, None
        if waiter is not None:
            waiter.succeed()

    def take(self):
        data = b"".join(self.parts)
        del self.parts[:]
        self.size = 0
        return data

    def flushed(self):
        waiter, self.collect_waiter = self.collect_waiter, None
        if waiter is not None:
            waiter.succeed()


@idiokit.stream
def _collect(outbox):
    while True:
        try:
            elements = yield idiokit.next()
        except StopIteration:
            continue    # one sender ended; the connection goes on
        outbox.add(_serialize(elements))
        if outbox.size >= outbox.LIMIT:
            outbox.collect_waiter = idiokit.Event()
            yield outbox.collect_waiter


@idiokit.stream
def _flush(sock, outbox, timeout, ws_ping_interval):
    while True:
        if not outbox.parts:
            outbox.flush_waiter = idiokit.Event()
            try:
                yield timer.timeout(ws_ping_interval, outbox.flush_waiter)
            except timer.Timeout:
                outbox.flush_waiter = None
                yield sock.sendall(b" ", timeout=timeout)
                continue
        yield sock.sendall(outbox.take(), timeout=timeout)
        outbox.flushed()


def _writer(sock, timeout, ws_ping_interval):
    """Input Element(s) written to sock; a whitespace keep-alive after
    ws_ping_interval seconds with nothing to write."""
    outbox = _Outbox()
    return _collect(outbox) | _flush(sock, outbox, timeout, ws_ping_interval)


@idiokit.stream
def _reader(sock, parser, pending):
    if pending:
        yield idiokit.send(_checked(xmlcore.Elements(*pending)))
    while True:
        elements = yield _receive(sock, parser)
        yield idiokit.send(elements)


@idiokit.stream
def _xml_stream(sock, parser, pending, timeout, ws_ping_interval=WHITESPACE_INTERVAL):
    """The negotiated stream: input Element(s) to send, output Elements."""
    try:
        yield _writer(sock, timeout, ws_ping_interval) | _reader(sock, parser, pending)
    finally:
        yield _close(sock, polite=True)


def element_stream(sock, domain, timeout, ws_ping_interval=WHITESPACE_INTERVAL):
    """The original's helper: open an XML stream to domain on sock and
    return it as a stream (input Element(s) to send, output Elements)."""
    return _opened_stream(sock, domain, timeout, ws_ping_interval)


@idiokit.stream
def _opened_stream(sock, domain, timeout, ws_ping_interval):
    yield sock.sendall(_stream_header(domain), timeout=timeout)
    yield _writer(sock, timeout, ws_ping_interval) | _reader(sock, xmlcore.ElementParser(), ())


@idiokit.stream
def _close(sock, polite=False):
    try:
        if polite:
            yield sock.sendall(b"</stream:stream>", timeout=1.0)
    except socket.SocketError:
        pass
    finally:
        try:
            yield sock.close()
        except socket.SocketError:
            pass


@idiokit.stream
def _get_socket(domain, host, port, timeout, resolver=None):
    results = yield _resolve.resolve(domain, host, port, resolver)
    error = core.XMPPError("could not resolve server address for {0!r}".format(domain))
    for family, address, port in results:
        try:
            sock = socket.Socket(family)
        except socket.SocketError as exc:
            error = exc
            continue
        try:
            yield sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            yield sock.connect((address, port), timeout=timeout)
        except socket.SocketError as exc:
            error = exc
            yield _close(sock)
            continue
        idiokit.stop(sock)
    raise error


@idiokit.stream
def _init_ssl(sock, require_cert, ca_certs, certfile, keyfile, hostname, timeout):
    from .. import ssl
    sock = yield ssl.wrap_socket(sock, require_cert=require_cert, ca_certs=ca_certs,
                                 certfile=certfile, keyfile=keyfile, timeout=timeout,
                                 server_hostname=hostname if require_cert else None)
    if require_cert:
        try:
            cert = yield sock.getpeercert()
            ssl.match_hostname(cert, hostname)
        except ssl.SSLError as error:
            yield _close(sock)
            raise error
    idiokit.stop(sock)


@idiokit.stream
def connect(jid, password, host=None, port=None, ssl_verify_cert=True, ssl_ca_certs=None,
            ssl_certfile=None, ssl_keyfile=None, timeout=120.0):
    """Connect, secure, authenticate and bind; results in an XMPP stream."""
    jid = JID(jid)
    sock = yield _get_socket(jid.domain, host, port, timeout)
    connected = False
    try:   # (no bare raise after a yield: Python 2 would lose the exception)
        stream = _Negotiation(sock, jid.domain, timeout)
        yield stream.restart()
        yield core.require_tls(stream)

        hostname = jid.domain if host is None else host
        sock = yield _init_ssl(sock, ssl_verify_cert, ssl_ca_certs, ssl_certfile, ssl_keyfile,
                               hostname, timeout)
        stream = _Negotiation(sock, jid.domain, timeout)
        yield stream.restart()
        yield core.require_sasl(stream, jid, password)

        yield stream.restart()
        full_jid = yield core.require_bind_and_session(stream, jid)
        connected = True
    finally:
        if not connected:
            yield _close(sock)
    elements = _xml_stream(sock, stream.parser, stream.pending, timeout)
    idiokit.stop(XMPP(full_jid, elements))


class XMPP(idiokit.Proxy):
    """A connected, authenticated XMPP stream (see the module docs)."""

    def __init__(self, jid, elements):
        idiokit.Proxy.__init__(self, elements)
        self.jid = jid
        self.core = core.Core(self)
        self.disco = disco.Disco(self)
        self.muc = muc.MUC(self)
        self.ping = ping.Ping(self)
        idiokit.pipe(self._keepalive(), elements)

    @idiokit.stream
    def _keepalive(self, interval=None):
        while True:
            yield timer.sleep(KEEPALIVE_INTERVAL if interval is None else interval)
            try:
                yield timer.timeout(KEEPALIVE_INTERVAL, self.ping.ping(self.jid.bare()))
            except timer.Timeout:
                raise core.XMPPError("no answer to a keep-alive ping in {0} seconds".format(
                    KEEPALIVE_INTERVAL))
