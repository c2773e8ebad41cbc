"""idiokit.xmpp.disco: Service Discovery (XEP-0030): answers disco#info and
disco#items queries from the features, identities and nodes registered
here, and info(jid, node=None) / items(jid, node=None) ask others."""
from __future__ import absolute_import

from .. import idiokit
from ..xmlcore import Element
from .jid import JID

DISCO_INFO_NS = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS_NS = "http://jabber.org/protocol/disco#items"


class DiscoItem(object):
    """An item of a disco#items answer: jid (a JID), node and name (None when absent)."""

    def __init__(self, jid, node=None, name=None):
        self.jid = JID(jid)
        self.node = node
        self.name = name


class DiscoIdentity(object):
    """An identity of a disco#info answer: category, type and name (None when absent)."""

    def __init__(self, category, type, name=None):
        self.category = category
        self.type = type
        self.name = name


class DiscoInfo(object):
    """A disco#info answer: the sets identities (DiscoIdentity) and features (str)."""

    def __init__(self, identities, features):
        self.identities = set(identities)
        self.features = set(features)


def _set_optional(element, **attrs):
    for key, value in attrs.items():
        if value is not None:
            element.set_attr(key, value)
    return element


class Disco(object):
    """features, identities and nodes (node -> handler giving
    (features, identities, items)) of this client."""

    def __init__(self, xmpp):
        self.xmpp = xmpp
        self.features = set()
        self.identities = set()
        self.nodes = {}
        self.xmpp.core.iq_handler(self._info_iq, "query", DISCO_INFO_NS)
        self.xmpp.core.iq_handler(self._items_iq, "query", DISCO_ITEMS_NS)
        self.add_feature(DISCO_INFO_NS)
        self.add_node(None, self._node_handler)
        self.add_identity("client", "bot")

    def _node_handler(self):
        items = [DiscoItem(self.xmpp.jid, node) for node in self.nodes if node is not None]
        return self.features, self.identities, items

    def _node(self, payload):
        """(features, identities, items) of the queried node, or None."""
        handler = self.nodes.get(payload.get_attr("node", None))
        return None if handler is None else handler()

    def _items_iq(self, element, payload):
        node = self._node(payload)
        if node is None:
            return False
        _, _, items = node
        result = Element("query", xmlns=DISCO_ITEMS_NS)
        for item in items:
            result.add(_set_optional(Element("item", jid=item.jid), node=item.node, name=item.name))
        self.xmpp.core.iq_result(element, result)
        return True

    def _info_iq(self, element, payload):
        node = self._node(payload)
        if node is None:
            return False
        features, identities, _ = node
        result = Element("query", xmlns=DISCO_INFO_NS)
        for identity in identities:
            result.add(_set_optional(Element("identity", category=identity.category, type=identity.type),
                                     name=identity.name))
        for feature in features:
            result.add(Element("feature", var=feature))
        self.xmpp.core.iq_result(element, result)
        return True

    def add_node(self, node, handler):
        """Answer queries for `node` with handler(), which gives (features,
        identities, items)."""
        self.nodes[node] = handler

    def add_feature(self, feature):
        """Announce `feature` (a namespace string) for the default node."""
        self.features.add(feature)

    def add_identity(self, category, type, name=None):
        """Announce an identity (category, type, name) for the default node."""
        self.identities.add(DiscoIdentity(category, type, name))

    def _query(self, ns, jid, node):
        query = _set_optional(Element("query", xmlns=ns), node=node)
        return self.xmpp.core.iq_get(query, to=jid)

    @idiokit.stream
    def info(self, jid, node=None):
        """A stream giving the DiscoInfo of jid (and node)."""
        result = yield self._query(DISCO_INFO_NS, jid, node)
        query = result.children("query", DISCO_INFO_NS)
        identities = [DiscoIdentity(x.get_attr("category"), x.get_attr("type"), x.get_attr("name", None))
                      for x in query.children("identity").with_attrs("category", "type")]
        features = [x.get_attr("var") for x in query.children("feature").with_attrs("var")]
        idiokit.stop(DiscoInfo(identities, features))

    @idiokit.stream
    def items(self, jid, node=None):
        """A stream giving the list of DiscoItems of jid (and node)."""
        result = yield self._query(DISCO_ITEMS_NS, jid, node)
        query = result.children("query", DISCO_ITEMS_NS)
        items = [DiscoItem(x.get_attr("jid"), x.get_attr("node", None), x.get_attr("name", None))
                 for x in query.children("item").with_attrs("jid")]
        idiokit.stop(items)
