"""idiokit.xmpp.jid: Jabber identifiers (RFC 6122 / 3920 address format).

JID("node@domain/resource") or JID(node, domain, resource=None) splits and
normalises an address: the node through nodeprep, the resource through
resourceprep (RFC 3920 appendices A and B, on the standard library's
stringprep tables of Unicode 3.2) and the domain through IDNA's nameprep.
Bad input raises JIDError.  Instances are immutable, compare and hash by
their text form, and are cached.
"""
from __future__ import absolute_import

import re
import stringprep
import sys
import threading
from encodings import idna
from unicodedata import ucd_3_2_0

__all__ = ["JID", "JIDError", "nodeprep", "resourceprep"]

_PY2 = sys.version_info[0] < 3
_text_type = unicode if _PY2 else str  # noqa: F821 (Python 2 only)


class JIDError(Exception):
    """A string that is no valid JID (or JID part)."""


def _check_chars(string, prohibited):
    in_a1 = stringprep.in_table_a1
    for index, char in enumerate(string):
        for table in prohibited:
            if table(char):
                raise JIDError("prohibited character {0!r} at index {1}".format(char, index))
        if in_a1(char):
            raise JIDError("unassigned character {0!r} at index {1}".format(char, index))


def _check_bidi(string):
    """RFC 3454 section 6: with any RandALCat character, no LCat character,
    and RandALCat first and last."""
    in_d1 = stringprep.in_table_d1
    if not any(in_d1(char) for char in string):
        return
    in_d2 = stringprep.in_table_d2
    if any(in_d2(char) for char in string):
        raise JIDError("string contains RandALCat and LCat characters")
    if not (in_d1(string[0]) and in_d1(string[-1])):
        raise JIDError("string must start and end with RandALCat characters")


_COMMON_PROHIBITED = (
    stringprep.in_table_c12, stringprep.in_table_c21, stringprep.in_table_c22,
    stringprep.in_table_c3, stringprep.in_table_c4, stringprep.in_table_c5,
    stringprep.in_table_c6, stringprep.in_table_c7, stringprep.in_table_c8,
    stringprep.in_table_c9,
)
_NODE_EXTRA = frozenset(u"\"&'/:<>@")
_NODE_PROHIBITED = (stringprep.in_table_c11, _NODE_EXTRA.__contains__) + _COMMON_PROHIBITED


def _prep(string, mapping, prohibited):
    in_b1 = stringprep.in_table_b1
    string = u"".join(mapping(char) for char in string if not in_b1(char))
    string = ucd_3_2_0.normalize("NFKC", string)
    _check_chars(string, prohibited)
    _check_bidi(string)
    return string


def nodeprep(string):
    """The Nodeprep profile of stringprep (RFC 3920 appendix A)."""
    return _prep(string, stringprep.map_table_b2, _NODE_PROHIBITED)


def resourceprep(string):
    """The Resourceprep profile of stringprep (RFC 3920 appendix B)."""
    return _prep(string, lambda char: char, _COMMON_PROHIBITED)


_JID_REX = re.compile(u"^(?:(.*?)@)?([^./]+(?:\\.[^./]+)*)(?:/(.*))?$", re.U | re.S)


def _split(jid):
    match = _JID_REX.match(jid)
    if not match:
        raise JIDError("not a valid JID: {0!r}".format(jid))
    return match.groups()


def _check_length(kind, value):
    if len(value.encode("utf-8")) > 1023:
        raise JIDError("{0} identifier too long".format(kind))
    return value


def _prep_node(node):
    return _check_length("node", nodeprep(node)) if node else None


def _prep_resource(resource):
    return _check_length("resource", resourceprep(resource)) if resource else None


def _prep_domain(domain):
    if u"@" in domain:
        raise JIDError("'@' in the domain part: {0!r}".format(domain))
    labels = []
    try:
        for label in domain.split(u"."):
            ascii_label = idna.ToASCII(idna.nameprep(label))
            labels.append(idna.ToUnicode(ascii_label))
    except UnicodeError as error:
        raise JIDError("not an internationalized label: {0}".format(error))
    return _check_length("domain", u".".join(labels))


def _as_text(item):
    if item is None or isinstance(item, _text_type):
        return item
    if isinstance(item, bytes):
        try:
            return item.decode("utf-8")
        except UnicodeDecodeError:
            raise JIDError("JID parts must be text or UTF-8 bytes")
    return _text_type(item)


class JID(object):
    """JID(full_jid) or JID(node, domain, resource=None).

    node, domain and resource are the normalised parts (node and resource
    None when absent); bare() is the JID without its resource."""

    cache = {}
    cache_size = 2 ** 14
    cache_lock = threading.Lock()

    __slots__ = ("_node", "_domain", "_resource", "_text")

    node = property(lambda self: self._node, doc="The normalised node (before the @), or None.")
    domain = property(lambda self: self._domain, doc="The normalised domain.")
    resource = property(lambda self: self._resource,
                        doc="The normalised resource (after the /), or None.")

    def __new__(cls, node=None, domain=None, resource=None):
        key = (cls, node, domain, resource)
        try:
            cached = cls.cache.get(key)
        except TypeError:       # an unhashable argument: no caching
            cached, key = None, None
        if cached is not None:
            return cached

        if isinstance(node, JID) and domain is None and resource is None:
            return node
        if node is None and domain is None:
            raise JIDError("either a full JID or at least a domain expected")
        if domain is None:
            if resource is not None:
                raise JIDError("resource not expected with a full JID")
            node, domain, resource = _split(_as_text(node))
        else:
            node, domain, resource = _as_text(node), _as_text(domain), _as_text(resource)

        self = object.__new__(cls)
        self._node = _prep_node(node)
        self._domain = _prep_domain(domain)
        self._resource = _prep_resource(resource)
        text = self._domain
        if self._node is not None:
            text = self._node + u"@" + text
        if self._resource is not None:
            text = text + u"/" + self._resource
        self._text = text

        if key is not None:
            with cls.cache_lock:
                if len(cls.cache) >= cls.cache_size:
                    cls.cache.clear()
                cls.cache[key] = self
        return self

    def bare(self):
        """This JID without its resource."""
        if self._resource is None:
            return self
        return JID(self._node, self._domain)

    def __reduce__(self):
        return JID, (self._node, self._domain, self._resource)

    def __eq__(self, other):
        if not isinstance(other, JID):
            return NotImplemented
        return self is other or self._text == other._text

    def __ne__(self, other):
        result = self.__eq__(other)
        if result is NotImplemented:
            return result
        return not result

    def __hash__(self):
        return hash(self._text)

    def __repr__(self):
        return "{0}({1!r})".format(type(self).__name__, self._text)

    def __unicode__(self):
        return self._text

    if _PY2:
        def __str__(self):
            return self._text.encode("utf-8")
    else:
        def __str__(self):
            return self._text
