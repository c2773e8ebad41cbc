"""idiokit.xmpp.core: XMPP core (RFC 6120/6121) over an element stream.

Stream negotiation (require_tls, require_sasl, require_bind_and_session and
their steps) works on anything with send(element) and next() streams, and
Core gives an XMPP connection its message, presence and iq functions and
the dispatch of incoming iq requests to handlers.
"""
from __future__ import absolute_import

import base64
import uuid

from .. import idiokit, xmlcore
from . import sasl
from .jid import JID

STREAM_NS = "http://etherx.jabber.org/streams"
STREAM_ERROR_NS = "urn:ietf:params:xml:ns:xmpp-streams"
STANZA_ERROR_NS = "urn:ietf:params:xml:ns:xmpp-stanzas"
SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl"
BIND_NS = "urn:ietf:params:xml:ns:xmpp-bind"
SESSION_NS = "urn:ietf:params:xml:ns:xmpp-session"
STANZA_NS = "jabber:client"
STARTTLS_NS = "urn:ietf:params:xml:ns:xmpp-tls"


class XMPPError(Exception):
    """An XMPP error; type, condition and text come from the error element
    (elements) when there is one."""

    def __init__(self, message, elements=(), ns=STANZA_ERROR_NS):
        self.type = None
        self.condition = None
        self.text = None
        for element in elements:
            self.type = element.get_attr("type", None)
            for child in element.children(ns=ns):
                if child.name != "text":
                    self.condition = child.name
                    break
            for child in element.children("text", ns):
                self.text = child.text
                break
            break
        Exception.__init__(self, message)

    def __str__(self):
        extra = self.text
        if extra is None and self.condition is not None:
            extra = self.condition.replace("-", " ")
        if extra is None:
            return self.args[0]
        return "{0} ({1})".format(self.args[0], extra)


def _iq_build(type, query, **attrs):
    uid = uuid.uuid4().hex[:16]
    attrs["id"] = uid
    iq = xmlcore.Element("iq", type=type, **attrs)
    if query is not None:
        iq.add(query)
    return uid, iq


def _iq_outcome(uid, elements):
    """The iq result with id uid among elements (XMPPError for an error);
    None when there is none."""
    for element in elements.named("iq").with_attrs(id=uid):
        type = element.get_attr("type", None)
        if type == "result":
            return element
        if type == "error":
            raise XMPPError("iq failed", element.children("error"))
        if type is None:
            raise XMPPError("type attribute missing for iq stanza")
    return None


@idiokit.stream
def _iq_wait(uid, stream=None):
    """The answer to iq uid among what stream.next() (default: this
    stream's input) gives."""
    while True:
        elements = yield (idiokit.next() if stream is None else stream.next())
        result = _iq_outcome(uid, elements)
        if result is not None:
            idiokit.stop(result)


@idiokit.stream
def _iq(stream, iq_type, query, **attrs):
    """Send an iq on a negotiating stream and wait for its answer."""
    uid, iq = _iq_build(iq_type, query, **attrs)
    yield stream.send(iq)
    result = yield _iq_wait(uid, stream)
    idiokit.stop(result)


@idiokit.stream
def require_features(stream):
    """The stream:features element of a (re)started stream."""
    while True:
        elements = yield stream.next()
        features = elements.named("features", STREAM_NS)
        if features:
            idiokit.stop(features)


@idiokit.stream
def require_tls(stream):
    """A stream: wait for the stream features, then starttls (XMPPError if not offered)."""
    features = yield require_features(stream)
    if not features.children("starttls", STARTTLS_NS):
        raise XMPPError("server does not support starttls")
    yield starttls(stream)


@idiokit.stream
def starttls(stream):
    """A stream: ask for STARTTLS and wait for the server's proceed (XMPPError on failure)."""
    yield stream.send(xmlcore.Element("starttls", xmlns=STARTTLS_NS))
    while True:
        elements = yield stream.next()
        if elements.named("failure", STARTTLS_NS):
            raise XMPPError("starttls failed", elements)
        if elements.named("proceed", STARTTLS_NS):
            break


@idiokit.stream
def require_sasl(stream, jid, password):
    """Authenticate with SCRAM-SHA-1 when the server offers it, else PLAIN."""
    features = yield require_features(stream)
    offered = features.children("mechanisms", SASL_NS).children("mechanism")
    offered = set(mechanism.text.strip() for mechanism in offered)
    if "SCRAM-SHA-1" in offered:
        mechanism = sasl_scram_sha1
    elif "PLAIN" in offered:
        mechanism = sasl_plain
    else:
        raise XMPPError("server supports neither SCRAM-SHA-1 nor PLAIN sasl (offers {0})".format(
            ", ".join(sorted(offered)) or "nothing"))
    try:
        result = yield mechanism(stream, jid, password)
    except sasl.SASLError as error:
        raise XMPPError("authentication failed: {0}".format(error))
    idiokit.stop(result)


def _b64(data):
    return base64.b64encode(data).decode("ascii")


@idiokit.stream
def _sasl_exchange(stream):
    """The next challenge (bytes), or ("success", data)."""
    while True:
        elements = yield stream.next()
        for failure in elements.named("failure", SASL_NS):
            raise XMPPError("authentication failed", [failure], SASL_NS)
        for element in elements.named("challenge", SASL_NS):
            idiokit.stop("challenge", _unb64(element.text))
        for element in elements.named("success", SASL_NS):
            idiokit.stop("success", _unb64(element.text))


def _unb64(text):
    text = text.strip()
    if text == "=" or not text:
        return b""
    try:
        return base64.b64decode(text.encode("ascii"))
    except (ValueError, TypeError, UnicodeError):
        raise XMPPError("malformed base64 data in sasl exchange")


@idiokit.stream
def sasl_plain(stream, jid, password):
    """A stream authenticating as `jid`'s node with SASL PLAIN."""
    data = sasl.plain_message(JID(jid).node, password)
    auth = xmlcore.Element("auth", xmlns=SASL_NS, mechanism="PLAIN")
    auth.text = _b64(data)
    yield stream.send(auth)
    kind, _ = yield _sasl_exchange(stream)
    if kind != "success":
        raise XMPPError("unexpected sasl challenge for PLAIN")


@idiokit.stream
def sasl_scram_sha1(stream, jid, password):
    """A stream authenticating as `jid`'s node with SCRAM-SHA-1, checking the
    server's signature."""
    client = sasl.ScramSHA1(JID(jid).node, password)
    auth = xmlcore.Element("auth", xmlns=SASL_NS, mechanism="SCRAM-SHA-1")
    auth.text = _b64(client.first_message())
    yield stream.send(auth)

    kind, data = yield _sasl_exchange(stream)
    if kind != "challenge":
        raise XMPPError("server skipped the SCRAM-SHA-1 challenge")
    response = xmlcore.Element("response", xmlns=SASL_NS)
    response.text = _b64(client.final_message(data))
    yield stream.send(response)

    kind, data = yield _sasl_exchange(stream)
    if kind == "challenge":     # the server's signature as a challenge
        client.verify_server(data)
        yield stream.send(xmlcore.Element("response", xmlns=SASL_NS))
        kind, data = yield _sasl_exchange(stream)
        if kind != "success":
            raise XMPPError("unexpected sasl challenge for SCRAM-SHA-1")
    else:
        client.verify_server(data)


@idiokit.stream
def require_bind_and_session(stream, jid):
    """Bind a resource (jid's, or one the server picks) and start a session
    when the server asks for one; results in the full JID."""
    jid = JID(jid)
    features = yield require_features(stream)
    if not features.children("bind", BIND_NS):
        raise XMPPError("server does not support resource binding")
    full_jid = yield bind_resource(stream, jid.resource)
    if features.children("session", SESSION_NS):
        yield session(stream)
    idiokit.stop(full_jid)


@idiokit.stream
def bind_resource(stream, resource=None):
    """A stream binding `resource` (None: the server picks); gives the full JID."""
    bind = xmlcore.Element("bind", xmlns=BIND_NS)
    if resource is not None:
        bind.add(xmlcore.Element("resource", resource))
    result = yield _iq(stream, "set", bind)
    for jid in result.children("bind", BIND_NS).children("jid"):
        idiokit.stop(JID(jid.text))
    raise XMPPError("no jid supplied by bind")


@idiokit.stream
def session(stream):
    """A stream starting an IM session (RFC 3921's session iq)."""
    yield _iq(stream, "set", xmlcore.Element("session", xmlns=SESSION_NS))


class _IqHandler(object):
    """A registered iq request handler; remove() (or leaving a with block)
    unregisters it."""

    def __init__(self, core, func, args, keys):
        self._core = core
        self._func = func
        self._args = args
        self._keys = keys

    def handle(self, iq):
        for payload in iq.children(*self._args, **self._keys):
            return bool(self._func(iq, payload))
        return False

    def remove(self):
        core, self._core = self._core, None
        if core is None:
            return False
        try:
            core._iq_handlers.remove(self)
        except ValueError:
            return False
        return True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.remove()
        return False


class Core(object):
    """message, presence, iq_get/iq_set (streams giving the result iq),
    iq_result, iq_error, build_error and iq_handler for an XMPP stream.

    An incoming iq get/set goes to the first handler whose payload filter
    (children(*args, **keys)) matches and whose function returns true;
    with none, it is answered with a service-unavailable error."""

    _VALID_ERROR_TYPES = frozenset(["cancel", "continue", "modify", "auth", "wait"])

    def __init__(self, xmpp):
        self._xmpp = xmpp
        self._iq_handlers = []
        self._iq_uids = {}
        idiokit.pipe(xmpp, idiokit.map(self._map_iqs))

    def iq_handler(self, func, *args, **keys):
        """Register func(iq, payload) for incoming iq get/set whose payload
        matches children(*args, **keys); gives a handler with remove() (also a
        context manager).  A handler returning true has answered the iq."""
        handler = _IqHandler(self, func, args, keys)
        self._iq_handlers.append(handler)
        return handler

    add_iq_handler = iq_handler

    def _map_iqs(self, elements):
        for iq in elements.named("iq", STANZA_NS).with_attrs("type"):
            if iq.get_attr("type").lower() not in ("get", "set"):
                waiter = self._iq_uids.get(iq.get_attr("id", None))
                if waiter is not None:
                    waiter.send(iq)
                continue
            for handler in list(self._iq_handlers):
                if handler.handle(iq):
                    break
            else:
                if iq.with_attrs("id", "from"):
                    self.iq_error(iq, self.build_error("cancel", "service-unavailable"))
        return None

    def build_error(self, type, condition, text=None, special=None):
        """An <error type=...> element with `condition` (and `text`, `special`)
        for iq_error; `type` is cancel, continue, modify, auth or wait."""
        if type not in self._VALID_ERROR_TYPES:
            raise XMPPError("wrong error type (got '{0}', expected '{1}')".format(
                type, "/".join(sorted(self._VALID_ERROR_TYPES))))
        error = xmlcore.Element("error", type=type)
        error.add(xmlcore.Element(condition, xmlns=STANZA_ERROR_NS))
        if text is not None:
            error.add(xmlcore.Element("text", text, xmlns=STANZA_ERROR_NS))
        if special is not None:
            error.add(special)
        return error

    def message(self, to, *payload, **attrs):
        """A stream sending <message to=...> with `payload` children and `attrs`."""
        attrs["to"] = to
        message = xmlcore.Element("message", **attrs)
        message.add(*payload)
        return self._xmpp.send(message)

    def presence(self, *payload, **attrs):
        """A stream sending <presence> with `payload` children and `attrs`."""
        presence = xmlcore.Element("presence", **attrs)
        presence.add(*payload)
        return self._xmpp.send(presence)

    @idiokit.stream
    def _iq(self, iq_type, payload, **attrs):
        uid, iq = _iq_build(iq_type, payload, **attrs)
        waiter = _iq_wait(uid)
        self._iq_uids[uid] = waiter
        try:
            yield self._xmpp.send(iq)
            result = yield idiokit.Event() | waiter
        finally:
            self._iq_uids.pop(uid, None)
        idiokit.stop(result)

    def iq_get(self, payload, **attrs):
        """A stream sending an iq get; gives the result iq (XMPPError for an error iq)."""
        return self._iq("get", payload, **attrs)

    def iq_set(self, payload, **attrs):
        """A stream sending an iq set; gives the result iq (XMPPError for an error iq)."""
        return self._iq("set", payload, **attrs)

    def _reply_attrs(self, request, type, attrs):
        if not request.with_attrs("id"):
            raise XMPPError("request did not have 'id' attribute")
        if not request.with_attrs("from"):
            raise XMPPError("request did not have 'from' attribute")
        attrs["type"] = type
        attrs["to"] = request.get_attr("from")
        attrs["id"] = request.get_attr("id")
        return attrs

    def iq_result(self, request, payload=None, **attrs):
        """A stream answering iq `request` with a result (and `payload`)."""
        attrs = self._reply_attrs(request, "result", attrs)
        attrs["from"] = self._xmpp.jid
        iq = xmlcore.Element("iq", **attrs)
        if payload is not None:
            iq.add(payload)
        return self._xmpp.send(iq)

    def iq_error(self, request, error, **attrs):
        """A stream answering iq `request` with `error` (see build_error)."""
        attrs = self._reply_attrs(request, "error", attrs)
        iq = xmlcore.Element("iq", **attrs)
        iq.add(request.children())
        iq.add(error)
        return self._xmpp.send(iq)
