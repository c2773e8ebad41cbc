"""tests/fuzz/fuzz_xml.py: atheris target for idiokit.xmlcore's ElementParser,
the incremental XML stream parser XMPP reads with.

An input is two bytes of settings and then the stream's bytes.  The first
byte's bits: 1, small limits (max_stanza_size 2,048, max_depth 8,
max_elements 64) instead of the defaults; 2, pieces that decode as UTF-8 are
fed as text (feed() takes text as UTF-8); 4, flush() after some feeds (as a
reader does after a quiet moment); 8, the parser holds small pieces back
from an unfinished token of 64 bytes instead of 4 KiB (HOLD_MIN), so that
short inputs reach that path.  The second byte seeds the chunking: the
stream is fed in pieces of 1 to 64 bytes, or 1 to 4,096, or byte by byte.

Allowed outcomes: elements, or ExpatError (XMLLimitError included), after
which every feed() and flush() raises that same error.  Besides, for every
input:
- with the default limits, the chunking changes nothing: fed whole, the
  same stream completes the same stanzas (compared serialized); where only
  the pieces failed, the stanzas they completed first are the whole's
  first ones (expat may see an error in one chunking that it would see in
  another only once more data came: a stream is never final; with small
  limits, max_stanza_size is checked after each feed, so whether it fails
  may depend on the pieces);
- memory stays bounded: after a feed that did not fail, the bytes the parser
  holds back are at most max_stanza_size (libFuzzer's -rss_limit_mb bounds
  the rest);
- every element it returns serializes, and the serialization, parsed again
  inside a root, gives the same serialization (text, tails and attribute
  values survive a round trip).
Anything else is a crash.

Usage: python fuzz_xml.py CORPUS_DIR... [libFuzzer flags]."""
from __future__ import absolute_import, print_function

import random
import sys

import common  # noqa: F401  (sys.path)
import atheris

with atheris.instrument_imports(include=["idiokit"]):
    from idiokit import xmlcore

SMALL = dict(max_stanza_size=2048, max_depth=8, max_elements=64)
PIECE_LIMITS = (64, 4096, 1)


def pieces(stream, seed, as_text):
    """The stream cut into pieces by the seed; some as text when allowed."""
    rand = random.Random(seed)
    largest = PIECE_LIMITS[seed % len(PIECE_LIMITS)]
    at = 0
    while at < len(stream):
        size = rand.randint(1, largest)
        piece = stream[at:at + size]
        at += size
        if as_text and rand.random() < 0.5:
            try:
                piece = piece.decode("utf-8")
            except UnicodeDecodeError:
                pass
        yield piece, rand.random() < 0.2


def parse(stream, limits, chunks, use_flush, hold_min=None):
    """(serialized stanzas, the error or None), feeding `chunks`."""
    parser = xmlcore.ElementParser(**limits)
    if hold_min is not None:
        parser.HOLD_MIN = hold_min
    got = []
    max_size = limits.get("max_stanza_size", 1 << 20)
    try:
        for piece, then_flush in chunks:
            got.extend(parser.feed(piece))
            assert parser._held_size <= max_size, (parser._held_size, max_size)
            if use_flush and then_flush:
                got.extend(parser.flush())
        got.extend(parser.flush())
    except xmlcore.ExpatError as error:
        check_sticky(parser, error)
        return [e.serialize() for e in got], error
    return [e.serialize() for e in got], None


def check_sticky(parser, error):
    """A failed parser raises its error again on every call."""
    for call in (lambda: parser.feed(b"<x/>"), parser.flush):
        try:
            call()
        except xmlcore.ExpatError as again:
            assert again is error, (again, error)
        else:
            raise AssertionError("a failed parser went on")


def round_trip(serialized):
    """Each stanza, parsed again inside a root, serializes the same."""
    if not serialized:
        return
    parser = xmlcore.ElementParser()
    again = parser.feed(b"<r>" + b"".join(serialized) + b"</r>")
    again = [e.serialize() for e in again]
    assert again == serialized, (serialized, again)


def TestOneInput(data):
    if len(data) < 2:
        return
    flags, seed = bytearray(data[:2])
    stream = data[2:]
    limits = SMALL if flags & 1 else {}
    chunked, error = parse(stream, limits, pieces(stream, seed, flags & 2), flags & 4,
                           64 if flags & 8 else None)
    whole, whole_error = parse(stream, limits, [(stream, False)], False)
    if not limits and error is None and whole_error is None:
        assert chunked == whole, (chunked, whole)
    elif not limits and whole_error is None:
        # expat may see an error in the pieces that it would see fed whole
        # only once more data came (the stream is never final): what the
        # pieces completed before it, the whole completed too.
        assert chunked == whole[:len(chunked)], (chunked, whole)
    round_trip(chunked)
    if whole_error is None:
        round_trip(whole)


def main():
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
