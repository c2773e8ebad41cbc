"""idiokit.xmpp.ping: XMPP Ping (XEP-0199): answers pings, and ping(jid)
is a stream giving True (answered), False (the peer does not support
pings) or raising XMPPError."""
from __future__ import absolute_import

from .. import idiokit, xmlcore
from . import core

PING_NS = "urn:xmpp:ping"
PING_PAYLOAD = xmlcore.Element("ping", xmlns=PING_NS)


class Ping(object):
    """XMPP Ping (XEP-0199) for an XMPP connection: answers pings, sends them with ping()."""

    def __init__(self, xmpp):
        self.xmpp = xmpp
        self.xmpp.disco.add_feature(PING_NS)
        self.xmpp.core.iq_handler(self._ping_iq, "ping", PING_NS)

    def _ping_iq(self, element, payload):
        self.xmpp.core.iq_result(element)
        return True

    @idiokit.stream
    def ping(self, to):
        """A stream pinging `to`: True when answered, False when the peer does not
        support pings (service-unavailable); XMPPError for other errors."""
        try:
            yield self.xmpp.core.iq_get(xmlcore.Element("ping", xmlns=PING_NS), to=to)
        except core.XMPPError as error:
            if (error.type, error.condition) != ("cancel", "service-unavailable"):
                raise
            idiokit.stop(False)
        idiokit.stop(True)
