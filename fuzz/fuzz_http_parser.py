# fuzz/fuzz_http_parser.py: an atheris target for idiokit._core.HttpParser
# (the llhttp binding).  Each input picks request or response parsing and
# small limits, is cut into pieces fed one by one, and the events are
# checked against the binding's contract (src/http_parser.c): well-formed
# tuples, str header names and values, bytes bodies, an ERROR that repeats
# once the parser is dead.  libFuzzer's -rss_limit_mb catches leaks.
# The C code is not coverage-instrumented (gcc cannot do libFuzzer's
# counters), so half the inputs are built from an HTTP grammar whose choices
# are instrumented Python: that steers the fuzzer through methods, versions,
# framing headers with odd values, chunk sizes and trailers.
# Run by `make fuzz-http` (tools/fuzz_http.sh).
import sys

import atheris

with atheris.instrument_imports():
    from idiokit import _core

HEAD, BODY, END, ERROR, UPGRADE = range(5)


def check(event, kind):
    assert isinstance(event, tuple), event
    tag = event[0]
    if tag == HEAD:
        _, first, second, major, minor, headers, keep_alive, body = event
        assert isinstance(first, str if kind == 1 else int)
        assert second is None or isinstance(second, str)
        assert 0 <= major <= 9 and 0 <= minor <= 9
        assert isinstance(keep_alive, bool)
        assert body >= -2
        for name, values in headers.items():
            assert isinstance(name, str) and name == name.lower()
            assert values and all(isinstance(v, str) for v in values)
    elif tag == BODY:
        assert isinstance(event[1], bytes) and event[1]
    elif tag == ERROR:
        assert event[1] in (0, 400, 405, 408, 413, 414, 431, 505), event
        assert isinstance(event[2], str)
    else:
        assert event in ((END,), (UPGRADE,)), event


METHODS = [b"GET", b"POST", b"HEAD", b"PUT", b"CONNECT", b"OPTIONS", b"FOO", b"G(T", b""]
TARGETS = [b"/", b"/a?b=c", b"*", b"http://h/x", b"/\xff", b"/a b", b""]
VERSIONS = [b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/0.9", b"HTTP/1.10", b"http/1.1", b""]
NAMES = [b"Host", b"Content-Length", b"Transfer-Encoding", b"Connection", b"Upgrade",
         b"Expect", b"X-A", b"Bad Name", b"", b"Content-Length ", b"\x00"]
VALUES = [b"x", b"0", b"10", b"+10", b"-1", b"1_0", b"99999999999999999999", b"chunked",
          b"gzip, chunked", b"chunked ", b" chunked", b"identity", b"close", b"keep-alive",
          b"upgrade", b"100-continue", b"a\rb", b"a\x00b", b"", b"\xff"]
EOLS = [b"\r\n", b"\n", b"\r", b""]
CHUNKS = [b"0", b"3", b"ff", b"0x4", b"+4", b" 4", b"1ffffffffffffffff", b"4;ext=1", b"4;e"]


@atheris.instrument_func
def grammar(fdp):
    """An HTTP message assembled from the pieces above."""
    pick = fdp.PickValueInList
    eol = pick(EOLS) if fdp.ConsumeIntInRange(0, 9) == 0 else b"\r\n"
    if fdp.ConsumeBool():
        out = [pick(METHODS), b" ", pick(TARGETS), b" ", pick(VERSIONS), eol]
    else:
        out = [pick(VERSIONS), b" ", str(fdp.ConsumeIntInRange(0, 999)).encode(), b" OK", eol]
    for _ in range(fdp.ConsumeIntInRange(0, 8)):
        out += [pick(NAMES), b":", pick(VALUES), eol]
        if fdp.ConsumeIntInRange(0, 15) == 0:
            out += [b" folded", eol]
    out.append(eol)
    for _ in range(fdp.ConsumeIntInRange(0, 4)):
        size = pick(CHUNKS)
        out += [size, eol, fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 20)), eol]
    if fdp.ConsumeBool():
        out += [b"Trailer: t", eol, eol]
    out.append(fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64)))
    return b"".join(out)


def TestOneInput(data):
    fdp = atheris.FuzzedDataProvider(data)
    if fdp.ConsumeBool():
        message = grammar(fdp)
        fdp = atheris.FuzzedDataProvider(bytes(bytearray([2])) * 8 + message)
    kind = 1 + fdp.ConsumeIntInRange(0, 1)
    parser = _core.HttpParser(kind, max_line=fdp.ConsumeIntInRange(1, 4096),
                              max_header_bytes=fdp.ConsumeIntInRange(1, 8192),
                              max_headers=fdp.ConsumeIntInRange(1, 64),
                              max_body=fdp.ConsumeIntInRange(-1, 1 << 20))
    if fdp.ConsumeBool():
        parser.skip_body()
    dead = None
    while fdp.remaining_bytes():
        piece = fdp.ConsumeBytes(fdp.ConsumeIntInRange(1, 512))
        events = parser.feed(piece)
        if dead is not None:
            assert events == [dead], (events, dead)
        for event in events:
            check(event, kind)
        if events and events[-1][0] in (ERROR, UPGRADE):
            dead = events[-1] if events[-1][0] == ERROR else dead
        parser.idle()
    for event in parser.feed_eof():
        check(event, kind)


def main():
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
