"""xml_parse / slixmpp_etree: only the XML layer under slixmpp: the
standard library's XMLPullParser (C accelerated ElementTree) with
slixmpp's depth tracking and root clearing, no stanza objects."""
from __future__ import print_function

import sys
import xml.etree.ElementTree as ET

from benchutil import clock, emit, load_sibling, params

chunks = load_sibling(__file__, "_stanzas.py")["chunks"]

P = params(n=20000, chunk=65536)


def main():
    pieces, size = chunks(P["n"], P["chunk"])
    parser = ET.XMLPullParser(("start", "end"))
    depth = 0
    root = None
    stanzas = []
    start = clock()
    for piece in pieces:
        parser.feed(piece)
        for event, element in parser.read_events():
            if event == "start":
                if depth == 0:
                    root = element
                depth += 1
            else:
                depth -= 1
                if depth == 1:
                    stanzas.append(element)
                    root.clear()
    seconds = clock() - start
    if len(stanzas) != P["n"]:
        sys.exit("parsed %d stanzas, expected %d" % (len(stanzas), P["n"]))
    emit(rate=len(stanzas) / seconds, seconds=seconds, mb_s=size / seconds / 1e6, n=len(stanzas))


main()
