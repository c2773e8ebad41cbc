"""xml_parse's input, shared by its scripts: an XMPP client stream as a
bot in an AbuseHelper room receives it (the stream header, then MUC
groupchat messages carrying an event of ten attributes, with a presence and
an iq every 50 stanzas), cut into chunks of the given size as recv() would
return them.  Deterministic, so every framework parses the same bytes."""
from __future__ import print_function

HEADER = (b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
          b"xmlns:stream='http://etherx.jabber.org/streams' from='localhost' "
          b"id='abc123' version='1.0' xml:lang='en'>")

KEYS = ["ip", "asn", "cc", "feed", "type", "url", "domain", "time", "source", "description"]


def _message(number):
    attrs = b"".join(b"<attr key='%s' value='%s-%d &amp; more'/>" % (key.encode("ascii"), key.encode("ascii"), number)
                     for key in KEYS)
    return (b"<message from='events@conference.localhost/sensor' to='bot@localhost/r' "
            b"type='groupchat' id='m%d'><body>event %d: 192.0.2.%d &lt;malware&gt;</body>"
            b"<event xmlns='http://www.abusehelper.be/ah/event'>%s</event></message>"
            % (number, number, number % 256, attrs))


def _other(number):
    if number % 100 == 0:
        return (b"<presence from='events@conference.localhost/peer%d' to='bot@localhost/r'>"
                b"<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' "
                b"role='participant'/></x></presence>" % number)
    return (b"<iq type='get' id='p%d' from='localhost' to='bot@localhost/r'>"
            b"<ping xmlns='urn:xmpp:ping'/></iq>" % number)


def stream_bytes(count):
    parts = [HEADER]
    for number in range(count):
        parts.append(_other(number) if number % 50 == 49 else _message(number))
        parts.append(b"\n")
    return b"".join(parts)


def chunks(count, size):
    data = stream_bytes(count)
    return [data[i:i + size] for i in range(0, len(data), size)], len(data)
