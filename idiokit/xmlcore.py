"""idiokit.xmlcore: the small XML element model XMPP (and AbuseHelper) uses.

Element(name, text="", tail="", **attrs) is a node with attributes, text,
tail text and children; a child inherits the namespace declarations of the
element it was added to.  Elements(*items) is an immutable sequence of
elements.  Both have the filters named(name=None, ns=None), children(...)
and with_attrs(*keys, **key_values), which return Elements, so filters
chain: ``elements.named("iq").children("query", NS)``.

ElementParser().feed(data) parses an XML stream incrementally (the stdlib's
expat) and returns the level-1 children of the stream's root completed by
that data, as Elements.  Hostile input fails with a clear ExpatError (or its
subclass XMLLimitError) and bounded memory: a DOCTYPE (and so any entity
declaration) is refused, and the nesting depth, the bytes of one stanza and
its element count have limits (keyword arguments of ElementParser).
"""
from __future__ import absolute_import

import re
import sys
import xml.parsers.expat as _expat

from ._core import XmlBuilder as _XmlBuilder, XmlElement as _XmlElement

__all__ = [
    "Element", "Elements", "ElementParser", "ExpatError", "XMLLimitError",
    "escape", "quoteattr", "is_xml_safe", "namespace_split",
]

if sys.version_info[0] < 3:
    _text_type = unicode  # noqa: F821 (Python 2 only)
else:
    _text_type = str

# A character outside XML 1.0's Char production (interpreters built with
# narrow Unicode see astral characters as valid surrogate pairs).
if sys.maxunicode > 0xFFFF:
    _NOT_XML = re.compile(u"[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
else:  # pragma: no cover (narrow builds)
    _NOT_XML = re.compile(u"[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])"
                          u"[\udc00-\udfff]|[^\t\n\r\u0020-\ud7ff\ue000-\ufffd"
                          u"\ud800-\udfff]")


def is_xml_safe(string):
    """True when every character of string is inside XML 1.0's range."""
    return _NOT_XML.search(string) is None


def _xml_text(value):
    """value as an XML-safe text string: bytes are decoded as ASCII (a
    UnicodeDecodeError otherwise), other objects converted with str() /
    unicode(); ValueError for characters outside XML 1.0's range."""
    if type(value) is not _text_type:
        if isinstance(value, bytes):
            value = value.decode("ascii")
        else:
            value = _text_type(value)
    if _NOT_XML.search(value) is not None:
        raise ValueError("string contains non-XML safe characters")
    return value


_split_cache = {}


def namespace_split(name):
    """("xmlns", name) for an unprefixed name, ("xmlns:prefix", local) for
    prefix:local: the attribute that declares the name's namespace."""
    split = _split_cache.get(name)
    if split is None:
        prefix, colon, local = name.rpartition(":")
        split = ("xmlns:" + prefix, local) if colon else ("xmlns", name)
        if len(_split_cache) >= 4096:
            _split_cache.clear()
        _split_cache[name] = split
    return split


def escape(text):
    """text escaped for element content (&, < and >, and a carriage return
    as &#13;, which a parser would read as a newline); a CDATA section when
    escaping would add more than 12 characters and the text has no ']]>'
    and no carriage return."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if "\r" in text:
        return escaped.replace("\r", "&#13;")
    if len(escaped) - len(text) > 12 and "]]>" not in text:
        return "<![CDATA[" + text + "]]>"
    return escaped


def quoteattr(value):
    """value escaped and quoted for an attribute: in double quotes, or in
    single quotes when it holds a double quote but no single one."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if "\n" in value or "\r" in value or "\t" in value:
        value = value.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in value:
        return '"' + value + '"'
    if "'" not in value:
        return "'" + value + "'"
    return '"' + value.replace('"', "&quot;") + '"'


def _flatten(items):
    result = []
    for item in items:
        kind = type(item)
        if kind is Element:
            result.append(item)
        elif kind is Elements:
            result.extend(item._elements)
        else:
            result.extend(item)
    return tuple(result)


def _elements(items):
    """Elements over the tuple items, with no copying or flattening."""
    elements = _new(Elements)
    elements._elements = items
    return elements


_new = object.__new__


class Elements(object):
    """An immutable sequence of Elements; Elements(*items) flattens each
    item (an Element, an Elements or any iterable of elements)."""

    __slots__ = ("_elements",)

    def __init__(self, *elements):
        self._elements = _flatten(elements)

    def named(self, *args, **keys):
        """The elements matching named(*args, **keys), as Elements."""
        return _elements(_flatten(x.named(*args, **keys) for x in self._elements))

    def children(self, *args, **keys):
        """The matching children of every element, as Elements."""
        return _elements(_flatten(x.children(*args, **keys) for x in self._elements))

    def with_attrs(self, *args, **keys):
        """The elements matching with_attrs(*args, **keys), as Elements."""
        return _elements(_flatten(x.with_attrs(*args, **keys) for x in self._elements))

    def __len__(self):
        return len(self._elements)

    def __iter__(self):
        return iter(self._elements)

    def __bool__(self):
        return bool(self._elements)
    __nonzero__ = __bool__

    def __repr__(self):
        return "Elements(%s)" % ", ".join(repr(x) for x in self._elements)


_EMPTY = Elements()


def _element_from_fields(cls, full_name, text, tail, children, attrs):
    """An Element of class cls with the given fields (Element.__reduce__)."""
    element = cls.__new__(cls)
    element._full_name = full_name
    element._text = text
    element._tail = tail
    element._children = children
    element._attrs = attrs
    return element


class Element(_XmlElement):
    """An XML element: name, ns, text, tail, attributes and children.

    Attribute keys and values, text and tail are text strings inside XML
    1.0's character range (ValueError otherwise).  A child added with add()
    sees the namespace declarations of its parent (and the parent's
    ancestors) through ns."""

    # The fields (_full_name, _text, _tail, _children, _attrs) are
    # _core.XmlElement's, so that the parser builds elements in C.
    __slots__ = ()

    def __init__(self, _name, _text=u"", _tail=u"", **keys):
        self._full_name = _text_of_name(_name)
        self._text = _xml_text(_text) if _text else u""
        self._tail = _xml_text(_tail) if _tail else u""
        self._children = None
        self._attrs = {}
        for key, value in keys.items():
            self.set_attr(key, value)

    def __reduce__(self):
        # copy, deepcopy and pickle see the fields, which live in the C base.
        return (_element_from_fields, (type(self), self._full_name, self._text, self._tail,
                                       self._children, self._attrs))

    @property
    def name(self):
        """The local name (without a prefix)."""
        return (_split_cache.get(self._full_name) or namespace_split(self._full_name))[1]

    @property
    def ns(self):
        """The namespace URI, looked up through the parents' declarations;
        None when undeclared."""
        key = (_split_cache.get(self._full_name) or namespace_split(self._full_name))[0]
        attrs = self._attrs
        while attrs is not None:
            value = attrs.get(key)
            if value is not None:
                return value
            attrs = attrs.get(None)
        return None

    @property
    def text(self):
        """The text before the first child (a text string)."""
        return self._text

    @text.setter
    def text(self, value):
        self._text = _xml_text(value)

    @property
    def tail(self):
        """The text after this element's end tag, inside its parent."""
        return self._tail

    @tail.setter
    def tail(self, value):
        self._tail = _xml_text(value)

    def named(self, name=None, ns=None):
        """self (as one element) if its name and ns match, else no elements."""
        if name is not None and self.name != name:
            return _EMPTY
        if ns is not None and self.ns != ns:
            return _EMPTY
        return self

    def add(self, *children):
        """Append children (Elements, Element or iterables of them)."""
        children = _flatten(children)
        for child in children:
            child._attrs[None] = self._attrs
        if self._children is None:
            self._children = list(children)
        else:
            self._children.extend(children)

    def children(self, *args, **keys):
        """The children matching named(*args, **keys), as Elements."""
        children = self._children
        if not children:
            return _EMPTY
        if not args and not keys:
            return _elements(tuple(children))
        return _elements(_flatten(child.named(*args, **keys) for child in children))

    def with_attrs(self, *args, **keys):
        """self if it has every attribute in args and, for key=value, the
        attribute key equal to value (key=None: the attribute is absent)."""
        attrs = self._attrs
        for key in args:
            if key not in attrs:
                return _EMPTY
        for key, value in keys.items():
            other = attrs.get(key)
            if value is None:
                if other is not None:
                    return _EMPTY
            elif other != value:
                return _EMPTY
        return self

    def get_attr(self, key, default=None):
        """The value of attribute `key`, or `default`."""
        return self._attrs.get(key, default) if key is not None else default

    def set_attr(self, key, value):
        """Set attribute `key` to `value` (text strings)."""
        self._attrs[_xml_text(key)] = _xml_text(value)

    def __iter__(self):
        return iter((self,))

    def __bool__(self):
        return True
    __nonzero__ = __bool__

    def __len__(self):
        return 1

    def __repr__(self):
        return "<Element %r at %#x>" % (self._full_name, id(self))

    def _serialize_open(self, append, close=False):
        append("<" + self._full_name)
        for key, value in self._attrs.items():
            if key is not None:
                append(" " + key + "=" + quoteattr(value))
        append("/>" if close else ">")

    def serialize_open(self):
        """The start tag, UTF-8 encoded."""
        parts = []
        self._serialize_open(parts.append)
        return u"".join(parts).encode("utf-8")

    def serialize_close(self):
        """The end tag, UTF-8 encoded."""
        return (u"</" + self._full_name + u">").encode("utf-8")

    def _serialize(self, append):
        if not (self._text or self._children):
            self._serialize_open(append, True)
        else:
            self._serialize_open(append)
            if self._text:
                append(escape(self._text))
            for child in self._children or ():
                child._serialize(append)
            append("</" + self._full_name + ">")
        if self._tail:
            append(escape(self._tail))

    def serialize(self, encoding=None):
        """The element, its children and its tail as UTF-8 bytes."""
        parts = []
        self._serialize(parts.append)
        return u"".join(parts).encode("utf-8")


def _text_of_name(name):
    name = _xml_text(name)
    if not name:
        raise ValueError("an element needs a name")
    return name


ExpatError = _expat.ExpatError


class XMLLimitError(ExpatError):
    """Input ElementParser refuses: a DOCTYPE, or over one of its limits."""


_PARAM_NEVER = getattr(_expat, "XML_PARAM_ENTITY_PARSING_NEVER", 0)


class ElementParser(object):
    """An incremental parser of an XML stream (as XMPP's): feed(data)
    returns the level-1 children of the root that data completed.

    Limits (an XMLLimitError when passed, and the parser is then done):
    max_depth levels of nesting below the root, max_stanza_size bytes for
    one level-1 element (up to its end tag, however it was fed) or for
    bytes that complete no token, and max_elements elements within one
    level-1 element."""

    def __init__(self, max_stanza_size=1 << 20, max_depth=128, max_elements=1 << 16):
        parser = _expat.ParserCreate("utf-8")
        parser.buffer_text = True
        parser.buffer_size = 1 << 16
        parser.SetParamEntityParsing(_PARAM_NEVER)
        if hasattr(parser, "SetReparseDeferralEnabled"):
            # Deliver a stanza as soon as its bytes are in (expat >= 2.6
            # would hold a large token back); max_stanza_size bounds the
            # reparsing that deferral was meant to limit.
            parser.SetReparseDeferralEnabled(False)
        self._parser = parser
        self._max_size = max_stanza_size
        self._collected = []
        self._fed = 0
        self._error = None
        self._held = []
        self._held_size = 0
        self._builder = _install_handlers(parser, self._collected, max_depth, max_elements,
                                          max_stanza_size)

    # While expat holds an unfinished token (a tag) of HOLD_MIN bytes or
    # more, small pieces are held back until they add up to half of it:
    # expat rescans the whole token on every Parse, so a peer trickling a
    # huge tag a byte at a time would cost quadratic time.  Held data
    # cannot finish anything that the next feed() or flush() would not.
    HOLD_MIN = 1 << 12

    @property
    def holding(self):
        """True when data is held back (see flush())."""
        return bool(self._held)

    def feed(self, data):
        """Parse data (bytes; text is taken as UTF-8); return the level-1
        elements it completed."""
        if self._error is not None:
            raise self._error
        if isinstance(data, _text_type):
            data = data.encode("utf-8")
        self._fed += len(data)
        held = self._held
        parser = self._parser
        stuck = self._fed - self._held_size - len(data) - max(parser.CurrentByteIndex, 0)
        if stuck >= self.HOLD_MIN or held:
            held.append(data)
            self._held_size += len(data)
            if self._held_size < stuck // 2:
                return self._check_size() or _EMPTY
            data = b"".join(held)
            del held[:]
            self._held_size = 0
        return self._parse(data)

    def flush(self):
        """Parse what feed() held back; return the elements it completed.
        A reader calls this when no more data came for a moment."""
        if self._error is not None:
            raise self._error
        data = b"".join(self._held)
        del self._held[:]
        self._held_size = 0
        return self._parse(data)

    def _check_size(self):
        if self._fed - self._builder.boundary > self._max_size:
            self._fail(XMLLimitError("a stanza of more than %d bytes" % self._max_size))

    def _fail(self, error):
        self._error = error
        self._parser = self._builder = None     # drops the handlers and what they hold
        del self._collected[:], self._held[:]
        raise error

    def _parse(self, data):
        try:
            self._parser.Parse(data)
        except ExpatError as error:
            self._fail(error)
        self._check_size()
        collected = self._collected
        if not collected:
            return _EMPTY
        items = tuple(collected)
        del collected[:]
        return _elements(items)


def _refuse_doctype(*args):
    raise XMLLimitError("a DOCTYPE (and any DTD or entity declaration) is not allowed")


def _install_handlers(parser, collected, max_depth, max_elements, max_size):
    """Set expat's callbacks for ElementParser and return the builder behind
    them (_core.XmlBuilder: it builds Elements below the stream root in C and
    appends each completed level-1 element to collected).  A level-1 element
    is measured when it ends too (from its start tag to its end tag), so one
    over max_size fails however it was fed; ElementParser._check_size, after
    each feed, bounds what is still unfinished."""
    builder = _XmlBuilder(Element, XMLLimitError, parser, collected, max_depth,
                          max_elements, max_size)
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    return builder
