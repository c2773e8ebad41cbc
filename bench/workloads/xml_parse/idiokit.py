"""xml_parse / idiokit: idiokit.xmlcore.ElementParser over the stanza stream
(each feed() gives the completed stanzas as Elements)."""
from __future__ import print_function

import sys

from idiokit.xmlcore import ElementParser

from benchutil import clock, emit, load_sibling, params

chunks = load_sibling(__file__, "_stanzas.py")["chunks"]

P = params(n=20000, chunk=65536)


def main():
    pieces, size = chunks(P["n"], P["chunk"])
    parser = ElementParser()
    count = 0
    start = clock()
    for piece in pieces:
        count += len(parser.feed(piece))
    seconds = clock() - start
    if count != P["n"]:
        sys.exit("parsed %d stanzas, expected %d" % (count, P["n"]))
    emit(rate=count / seconds, seconds=seconds, mb_s=size / seconds / 1e6, n=count)


main()
