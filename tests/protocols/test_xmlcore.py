# -*- coding: utf-8 -*-
"""idiokit.xmlcore: the element model, serialization, the incremental
stream parser, and hostile input (entities, nesting, size, bad UTF-8)."""
from __future__ import absolute_import, unicode_literals

import gc
import xml.parsers.expat

import pytest

from idiokit.xmlcore import (
    Element, Elements, ElementParser, XMLLimitError, escape, quoteattr, is_xml_safe)

STREAM_OPEN = (b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
               b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")


def is_valid_xml(data):
    try:
        xml.parsers.expat.ParserCreate("utf-8").Parse(data, True)
    except xml.parsers.expat.ExpatError:
        return False
    return True


def parse_stream(*chunks):
    parser = ElementParser()
    out = []
    for chunk in chunks:
        out.extend(parser.feed(chunk))
    return out


# ---- the element model ------------------------------------------------------

def test_namespaces_are_inherited_and_prefixed():
    parent = Element("parent", xmlns="default_ns")
    parent.set_attr("xmlns:other", "other_ns")
    child, prefixed = Element("child"), Element("other:child")
    parent.add(child, prefixed)
    assert (parent.name, parent.ns) == ("parent", "default_ns")
    assert (child.name, child.ns) == ("child", "default_ns")
    assert (prefixed.name, prefixed.ns) == ("child", "other_ns")
    assert Element("lonely").ns is None


def test_inheritance_survives_the_parent_being_collected():
    parent = Element("parent", xmlns="default_ns")
    child = Element("child")
    parent.add(child)
    del parent
    gc.collect()
    assert child.ns == "default_ns"
    assert not child.with_attrs("xmlns")


def test_filters_chain_through_elements():
    iq = Element("iq", type="result", id="a1")
    query = Element("query", xmlns="jabber:iq:roster")
    query.add(Element("item", jid="a@b"), Element("item", jid="c@d", name="C"), Element("group"))
    iq.add(query)
    stanzas = Elements(iq, Element("message"), [Element("iq", type="get")])
    assert len(stanzas) == 3
    assert len(stanzas.named("iq")) == 2
    items = stanzas.named("iq").with_attrs(type="result").children("query", "jabber:iq:roster").children("item")
    assert [x.get_attr("jid") for x in items] == ["a@b", "c@d"]
    assert [x.get_attr("jid") for x in items.with_attrs("name")] == ["c@d"]
    assert [x.get_attr("jid") for x in items.with_attrs(name=None)] == ["a@b"]
    assert not stanzas.named("iq", "other:ns")
    assert not Elements()
    assert len(iq) == 1 and list(iq) == [iq] and iq


def test_attrs_and_text_are_checked_text():
    element = Element("a", b"bytes text", x=1)
    assert element.text == "bytes text" and element.get_attr("x") == "1"
    assert element.get_attr("missing", "d") == "d"
    for bad in ("\x00", "\x1b", "\ufffe"):
        with pytest.raises(ValueError):
            Element("a").text = bad
        with pytest.raises(ValueError):
            Element("a", y=bad)
    with pytest.raises(UnicodeDecodeError):
        Element("a").text = b"\xe4"
    assert is_xml_safe("\U00100000 ok\t") and not is_xml_safe("\x00")


def test_serialize_round_trips_through_the_parser():
    message = Element("message", to="room@conference.example/nick", type="groupchat")
    body = Element("body")
    body.text = "<&> \"quoted\" 'single' ä \U0001F600"
    message.add(body)
    message.add(Element("x", xmlns="urn:test", note="a\"b'c\n"))
    data = message.serialize()
    assert isinstance(data, bytes) and is_valid_xml(data)
    parsed, = parse_stream(STREAM_OPEN, data)
    assert parsed.name == "message" and parsed.ns == "jabber:client"
    assert parsed.get_attr("to") == "room@conference.example/nick"
    assert list(parsed.children("body"))[0].text == body.text
    x, = parsed.children("x", "urn:test")
    assert x.get_attr("note") == "a\"b'c\n"
    assert Element("empty").serialize() == b"<empty/>"
    assert Element("a").serialize_open() == b"<a>" and Element("a").serialize_close() == b"</a>"


def test_a_carriage_return_in_text_survives_a_round_trip():
    # Found by tests/fuzz/fuzz_xml.py: escape() left "\r" as it was, and a
    # parser reads a raw carriage return as a newline ("x\ry" came back as
    # "x\ny"); a CDATA section does not keep it either.
    for text in (u"x\ry", u"a\r\nb", u"<" * 20 + u"\r"):
        message = Element("message", _tail=u"\r")
        body = Element("body", text)
        message.add(body)
        assert b"\r" not in message.serialize()
        parsed, = parse_stream(STREAM_OPEN, message.serialize())
        assert list(parsed.children("body"))[0].text == text
    assert escape(u"a\rb") == u"a&#13;b"


def test_escape_and_quoteattr():
    assert escape("a<b") == "a&lt;b"
    long_ = "<" * 10
    assert escape(long_) == "<![CDATA[" + long_ + "]]>"
    assert escape("]]>" + long_).startswith("]]&gt;")
    assert quoteattr('x') == '"x"'
    assert quoteattr('a"b') == "'a\"b'"
    assert quoteattr('a"b\'') == '"a&quot;b\'"'


# ---- the stream parser --------------------------------------------------------

def test_parser_gives_level_one_children_as_they_complete():
    parser = ElementParser()
    assert not parser.feed(STREAM_OPEN)
    assert not parser.feed(b"<message><body>hel")
    assert not parser.feed(b"lo</body>")
    done = parser.feed(b"</message> <presence/><iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>")
    assert [x.name for x in done] == ["message", "presence", "iq"]
    body, = done.named("message").children("body")
    assert body.text == "hello" and body.ns == "jabber:client"
    ping, = done.named("iq").children("ping", "urn:xmpp:ping")
    assert ping.name == "ping"


def test_parser_splits_anywhere_including_inside_utf8():
    data = STREAM_OPEN + "<message><body>ä€\U0001F600 tail</body>x<a/>y</message>".encode("utf-8")
    expected = parse_stream(data)
    for size in (1, 2, 3, 7):
        got = parse_stream(*[data[i:i + size] for i in range(0, len(data), size)])
        assert [x.serialize() for x in got] == [x.serialize() for x in expected]
    message, = expected
    assert list(message.children("body"))[0].tail == "x"
    assert list(message.children("a"))[0].tail == "y"


def test_whitespace_keepalives_between_stanzas_are_ignored():
    parser = ElementParser(max_stanza_size=1000)
    parser.feed(STREAM_OPEN)
    for _ in range(5000):
        assert not parser.feed(b" ")
    assert [x.name for x in parser.feed(b"<a/>")] == ["a"]


def test_stream_error_element_is_delivered():
    got = parse_stream(STREAM_OPEN, b"<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                                    b"</stream:error></stream:stream>")
    error, = got
    assert error.name == "error" and error.ns == "http://etherx.jabber.org/streams"


# ---- hostile input -------------------------------------------------------------

def fails_with(parser, *chunks):
    with pytest.raises(xml.parsers.expat.ExpatError) as info:
        for chunk in chunks:
            parser.feed(chunk)
    with pytest.raises(xml.parsers.expat.ExpatError):
        parser.feed(b"<a/>")     # a failed parser stays failed
    return info.value


def test_entity_expansion_is_refused():
    laughs = (b"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>" +
              b"".join(b"<!ENTITY lol%d '%s'>" % (i, (b"&lol%d;" % (i - 1) if i else b"&lol;") * 10)
                       for i in range(10)) +
              b"]><stream:stream xmlns:stream='s'><a>&lol9;</a>")
    error = fails_with(ElementParser(), laughs)
    assert isinstance(error, XMLLimitError) and "DOCTYPE" in str(error)


def test_external_entities_and_undefined_entities_fail():
    fails_with(ElementParser(), b"<!DOCTYPE x SYSTEM 'file:///etc/passwd'><x/>")
    fails_with(ElementParser(), STREAM_OPEN + b"<a>&undefined;</a>")


def test_deep_nesting_is_refused():
    error = fails_with(ElementParser(max_depth=50), STREAM_OPEN + b"<a>" * 100000)
    assert "nested deeper than 50" in str(error)


def test_a_huge_attribute_fed_in_chunks_stops_early():
    parser = ElementParser(max_stanza_size=1 << 20)
    parser.feed(STREAM_OPEN + b"<message to='")
    fed = 0
    with pytest.raises(XMLLimitError):
        while fed < 100 << 20:
            parser.feed(b"x" * 65536)
            fed += 65536
    assert fed <= 2 << 20


def test_a_huge_text_and_many_elements_are_refused():
    parser = ElementParser(max_stanza_size=1 << 20)
    parser.feed(STREAM_OPEN + b"<message><body>")
    with pytest.raises(XMLLimitError):
        for _ in range(1000):
            parser.feed(b"y" * 65536)
    error = fails_with(ElementParser(max_elements=1000), STREAM_OPEN + b"<m>" + b"<a/>" * 2000)
    assert "more than 1000 elements" in str(error)


def test_a_stanza_over_the_limit_fails_however_it_was_fed():
    # Found by tests/fuzz/fuzz_xml.py: the size was checked only after each
    # feed, against what was still unfinished, so a stanza of any size that
    # arrived (or ended) within one feed passed.
    stanza = b"<message><body>" + b"x" * 500 + b"</body></message>"
    for size in (len(stanza), 7, 1):
        parser = ElementParser(max_stanza_size=100)
        chunks = [STREAM_OPEN] + [stanza[i:i + size] for i in range(0, len(stanza), size)]
        error = fails_with(parser, *chunks)
        assert isinstance(error, XMLLimitError) and "more than 100 bytes" in str(error)
    parser = ElementParser(max_stanza_size=len(stanza))
    parser.feed(STREAM_OPEN)
    assert [x.name for x in parser.feed(stanza * 3)] == ["message"] * 3


def test_invalid_utf8_and_bad_characters_fail_clearly():
    for bad in (b"<a>\xff\xfe</a>", b"<a>\xc3</a>", b"<a>&#0;</a>", b"<a>\x01</a>", b"<a x='\xed\xa0\x80'/>"):
        fails_with(ElementParser(), STREAM_OPEN + bad)


def test_many_stanzas_in_a_long_stream_are_fine():
    parser = ElementParser(max_stanza_size=4096)
    parser.feed(STREAM_OPEN)
    stanza = b"<message to='r@c'><body>" + b"z" * 1000 + b"</body></message>"
    total = 0
    for _ in range(2000):
        total += len(parser.feed(stanza))
    assert total == 2000


def test_a_huge_tag_trickled_a_byte_at_a_time_is_parsed_in_linear_time():
    # expat rescans an unfinished tag on every Parse(): without the parser
    # holding small pieces back, 300 KB fed byte by byte took minutes.
    parser = ElementParser()
    parser.feed(STREAM_OPEN + b"<message note='")
    for _ in range(300000):
        assert not parser.feed(b"x")
    done = parser.feed(b"'/>")
    if not done:
        assert parser.holding
        done = parser.flush()
    message, = done
    assert message.get_attr("note") == "x" * 300000


def test_held_pieces_come_out_with_the_next_feed_or_flush():
    parser = ElementParser()
    parser.feed(STREAM_OPEN + b"<a big='" + b"y" * 20000)
    assert not parser.feed(b"'/>")          # small: held back
    assert parser.holding
    first, = parser.flush()
    assert first.name == "a" and not parser.holding
    parser.feed(b"<b big='" + b"z" * 20000)
    assert not parser.feed(b"'/><c/>")
    done = parser.feed(b"<d/>" * 3000)      # enough data: everything is parsed
    assert [x.name for x in done][:3] == ["b", "c", "d"] and len(done) == 3002


def test_text_is_fed_as_utf8():
    parser = ElementParser()
    parser.feed(STREAM_OPEN.decode("ascii"))
    done = parser.feed("<a>\u00e4</a>")
    assert [x.text for x in done] == ["\u00e4"]


# ---- the C builder behind the parser ------------------------------------------

def test_text_and_tails_land_where_the_parser_put_them():
    done = parse_stream(STREAM_OPEN, b"<m>a<b/>b1<c>c</c>c1&amp;</m>\n<n>t</n>")
    m, n = done
    assert m.text == "a" and [(x.name, x.text, x.tail) for x in m.children()] == [
        ("b", "", "b1"), ("c", "c", "c1&")]
    assert n.text == "t" and n.tail == "" and n.ns == "jabber:client"


def test_the_c_builder_refuses_bad_input_clearly():
    from idiokit import _core
    with pytest.raises(TypeError):
        _core.XmlBuilder(object, XMLLimitError, None, [], 8, 8, 1024)
    builder = _core.XmlBuilder(Element, XMLLimitError, None, [], 8, 8, 1024)
    with pytest.raises(TypeError):
        builder.start("a", "not a dict")
    with pytest.raises(ValueError):
        builder.end("a")
    with pytest.raises(AttributeError):     # no parser to ask for its position
        builder.start("a", {})


def test_a_dropped_parser_and_its_builder_are_collected():
    # expat's parser holds the builder's methods, the builder holds the
    # parser: only the collector, seeing both edges, frees the pair.
    expat_type = type(xml.parsers.expat.ParserCreate())

    def expat_parsers():
        gc.collect()
        return sum(1 for obj in gc.get_objects() if type(obj) is expat_type)

    before = expat_parsers()
    for _ in range(3):
        parser = ElementParser()
        parser.feed(STREAM_OPEN + b"<message><body>unfinished")
        del parser
    assert expat_parsers() == before


def test_elements_copy_deepcopy_and_pickle_with_their_namespaces():
    import copy
    import pickle
    parsed, = parse_stream(STREAM_OPEN, b"<message to='x'><body>hi</body>tail</message>")
    for clone in (copy.copy(parsed), copy.deepcopy(parsed),
                  pickle.loads(pickle.dumps(parsed, 2)), pickle.loads(pickle.dumps(parsed, 0))):
        assert type(clone) is Element and clone is not parsed
        assert clone.serialize() == parsed.serialize()
        body, = clone.children("body")
        assert (body.ns, body.text, body.tail) == ("jabber:client", "hi", "tail")
    deep = copy.deepcopy(parsed)
    deep_body, = deep.children("body")
    deep_body.text = "changed"
    assert [body.text for body in parsed.children("body")] == ["hi"]
