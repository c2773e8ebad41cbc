"""idiokit.xmpp.muc: Multi-User Chat (XEP-0045) rooms.

MUC(xmpp).join(room, nick=None, password=None, history=False) is a stream
giving a MUCRoom once the room has accepted us (a nick conflict retries
with a random suffix; a new room is configured with the defaults).  The
room's output is each stanza from the room; its input takes payloads
(elements) to post to the room as groupchat messages; when its input ends
(or the room stream ends) an unavailable presence leaves the room.
"""
from __future__ import absolute_import

import random

from .. import idiokit
from ..xmlcore import Element
from .core import STANZA_NS, XMPPError
from .jid import JID

MUC_NS = "http://jabber.org/protocol/muc"
USER_NS = MUC_NS + "#user"
OWNER_NS = MUC_NS + "#owner"
ROOMS_NODE = "http://jabber.org/protocol/muc#rooms"


class MUCError(XMPPError):
    """Joining a room failed (type and condition tell why)."""


def gen_random(length=8):
    """`length` random decimal digits (join() appends some to a taken nick)."""
    return "".join(random.choice("0123456789") for _ in range(length))


class MUCParticipant(object):
    """A room occupant from a presence: name (its room JID, room@service/nick),
    affiliation, role, jid (the real JID when the room shows it, else None)
    and payload (the presence's child elements)."""

    def __init__(self, name, affiliation, role, payload, jid=None):
        self.name = name
        self.affiliation = affiliation
        self.role = role
        self.jid = jid
        self.payload = payload


def parse_presence(elements, own_jid):
    """(MUCParticipant, status codes) of the first room presence among
    elements, None when there is none; MUCError for our own error one."""
    for presence in elements.named("presence", STANZA_NS).with_attrs("from"):
        other_jid = JID(presence.get_attr("from"))
        if other_jid.bare() != own_jid.bare():
            continue
        if other_jid == own_jid and presence.get_attr("type", None) == "error":
            raise MUCError("could not join room", presence.children("error"))
        x = presence.children("x", USER_NS)
        codes = set(status.get_attr("code") for status in x.children("status").with_attrs("code"))
        for item in x.children("item").with_attrs("affiliation", "role"):
            jid = item.get_attr("jid", None)
            participant = MUCParticipant(other_jid, item.get_attr("affiliation"), item.get_attr("role"),
                                         presence.children(), None if jid is None else JID(jid))
            return participant, codes
    return None


def _join_presence(password, history):
    x = Element("x", xmlns=MUC_NS)
    if password is not None:
        x.add(Element("password", password))
    if not history:
        x.add(Element("history", maxstanzas="0"))
    return x


@idiokit.stream
def join_room(jid, xmpp, output, password=None, history=False):
    """Send the join presence for jid (room@service/nick) and read output
    until the room reports us in; results in (our jid, participants)."""
    participants = []
    yield xmpp.core.presence(_join_presence(password, history), to=jid)
    while True:
        elements = yield output.next()
        parsed = parse_presence(elements, jid)
        if parsed is None:
            continue
        participant, codes = parsed
        participants.append(participant)
        if "201" in codes:      # a new room: accept the default configuration
            query = Element("query", xmlns=OWNER_NS)
            query.add(Element("x", xmlns="jabber:x:data", type="submit"))
            xmpp.core.iq_set(query, to=jid.bare())
        if participant.name == jid or "110" in codes:
            idiokit.stop(participant.name, participants)


class MUCRoom(idiokit.Proxy):
    """A joined room: jid (room@service/nick), participants at join time."""

    def __init__(self, jid, xmpp, output, participants):
        self.jid = JID(jid)
        self.participants = participants
        self._xmpp = xmpp
        self._exit_sent = False
        idiokit.Proxy.__init__(self, self._input() | output)

    def _exit(self):
        if self._exit_sent:
            return None
        self._exit_sent = True
        return self._xmpp.core.presence(to=self.jid, type="unavailable")

    @idiokit.stream
    def _input(self):
        bare_jid = self.jid.bare()
        try:
            while True:
                try:
                    elements = yield idiokit.next()
                except StopIteration:
                    exiting = self._exit()
                    if exiting is not None:
                        yield exiting
                    continue
                yield self._xmpp.core.message(bare_jid, *elements, type="groupchat")
        finally:
            self._exit()


class MUC(object):
    """The rooms of an XMPP connection: join() and the routing of room
    stanzas to the rooms joined."""

    def __init__(self, xmpp):
        self.xmpp = xmpp
        self.xmpp.disco.add_feature(MUC_NS)
        self.xmpp.disco.add_node(ROOMS_NODE, lambda: ([], [], []))
        self._rooms = {}
        self._main = self.xmpp | idiokit.map(self._map)
        self._muc = None

    def _map(self, elements):
        rooms = self._rooms
        for element in elements.with_attrs("from"):
            try:
                sender = JID(element.get_attr("from")).bare()
            except Exception:
                continue
            outputs = rooms.get(sender)
            if not outputs:
                continue
            for output in list(outputs):
                output.send(element)
            for presence in element.named("presence").with_attrs(type="unavailable"):
                codes = presence.children("x", USER_NS).children("status")
                if codes.with_attrs(code="110") and not codes.with_attrs(code="303"):
                    for output in outputs:
                        output.throw(StopIteration())
                    rooms.pop(sender, None)
        return None

    @idiokit.stream
    def _test_muc(self, domain):
        info = yield self.xmpp.disco.info(domain)
        if MUC_NS in info.features:
            for identity in info.identities:
                if identity.category == "conference" and identity.type == "text":
                    idiokit.stop(domain)
        raise MUCError("{0!r} is not a multi-user chat service".format(domain))

    @idiokit.stream
    def _resolve_muc(self):
        items = yield self.xmpp.disco.items(self.xmpp.jid.domain)
        for item in items:
            if item.node is not None and item.jid != item.jid.domain:
                continue
            try:
                domain = yield self._test_muc(item.jid)
            except (MUCError, XMPPError):
                continue
            idiokit.stop(domain)
        domain = yield self._test_muc("conference." + self.xmpp.jid.domain)
        idiokit.stop(domain)

    @idiokit.stream
    def get_full_room_jid(self, room):
        """room@service: room as given when it names a service, else on the
        server's multi-user chat service (found through disco)."""
        if "@" in u"{0}".format(room):
            jid = JID(room)
            if jid.resource is not None:
                raise MUCError("illegal room JID (contains a resource)")
            node = jid.node
            domain = yield self._test_muc(jid.domain)
        else:
            node = room
            if self._muc is None:
                self._muc = self._resolve_muc()
            domain = yield self._muc.fork()
        idiokit.stop(JID(node, domain))

    @idiokit.stream
    def join(self, room, nick=None, password=None, history=False):
        """A stream giving the MUCRoom once joined."""
        jid = yield self.get_full_room_jid(room)
        if nick is None:
            nick = self.xmpp.jid.node
        jid = JID(jid.node, jid.domain, nick)

        output = idiokit.map(lambda x: (x,))
        idiokit.pipe(self._main.fork(), output)
        outputs = self._rooms.setdefault(jid.bare(), set())
        outputs.add(output)
        joined = False
        try:
            while True:
                try:
                    joined_as = yield join_room(jid, self.xmpp, output, password, history)
                    if joined_as is None:
                        raise MUCError("the room went away while joining")
                    jid, participants = joined_as
                except MUCError as error:
                    if (error.type, error.condition) != ("cancel", "conflict"):
                        raise
                    jid = JID(jid.node, jid.domain, nick + "-" + gen_random())
                else:
                    break
            joined = True
        finally:
            if not joined:
                outputs.discard(output)
                if not outputs and self._rooms.get(jid.bare()) is outputs:
                    self._rooms.pop(jid.bare(), None)
                output.throw(StopIteration())
        idiokit.stop(MUCRoom(jid, self.xmpp, output, participants))
