"""xml_parse / slixmpp: slixmpp's own receive path, XMLStream.data_received
of a ClientXMPP (xml.etree's XMLPullParser, the depth tracking, and a
stanza object built per stanza by _build_stanza), with recv_stanza (the
handler dispatch) replaced by a counter: parsing, not handling, is timed."""
from __future__ import print_function

import logging
import sys

from benchutil import clock, emit, load_sibling, params

chunks = load_sibling(__file__, "_stanzas.py")["chunks"]

import slixmpp  # noqa: E402

P = params(n=20000, chunk=65536)


def main():
    logging.disable(logging.CRITICAL)
    pieces, size = chunks(P["n"], P["chunk"])
    client = slixmpp.ClientXMPP("bot@localhost/r", "password")
    received = []
    client.recv_stanza = received.append
    client.start_stream_handler = lambda root: None
    client.init_parser()
    start = clock()
    for piece in pieces:
        client.data_received(piece)
    seconds = clock() - start
    if len(received) != P["n"]:
        sys.exit("parsed %d stanzas, expected %d" % (len(received), P["n"]))
    emit(rate=len(received) / seconds, seconds=seconds, mb_s=size / seconds / 1e6, n=len(received))


main()
