# tests/http/test_http_parser.py: the llhttp binding, idiokit._core.HttpParser,
# on its own: the event batches for requests and responses, the same events
# whatever way the bytes are split, the limits and error statuses, a dead
# parser staying dead, argument errors, and no reference leak per request.
from __future__ import absolute_import

import gc
import sys

import pytest

from idiokit import _core

HEAD, BODY, END, ERROR, UPGRADE = range(5)
PIPELINE = (b"GET /a?b HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nx-a: 2\r\n\r\n"
            b"POST /p HTTP/1.1\r\nHost: y\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer: t\r\n\r\n"
            b"PUT /q HTTP/1.0\r\nContent-Length: 4\r\n\r\nwxyz")


def merged(events):
    """Events with adjacent BODY pieces joined (splitting changes those)."""
    out = []
    for event in events:
        if event[0] == BODY and out and out[-1][0] == BODY:
            out[-1] = (BODY, out[-1][1] + event[1])
        else:
            out.append(event)
    return out


def test_request_events():
    events = _core.HttpParser(1).feed(PIPELINE)
    assert events == [
        (HEAD, "GET", "/a?b", 1, 1, {"host": ["x"], "x-a": ["1", "2"]}, True, 0), (END,),
        (HEAD, "POST", "/p", 1, 1, {"host": ["y"], "transfer-encoding": ["chunked"]}, True, -1),
        (BODY, b"abc"), (BODY, b"de"), (END,),
        (HEAD, "PUT", "/q", 1, 0, {"content-length": ["4"]}, False, 4), (BODY, b"wxyz"), (END,),
    ]


@pytest.mark.parametrize("step", [1, 2, 3, 7, 64])
def test_any_split_gives_the_same_events(step):
    parser = _core.HttpParser(1)
    events = []
    for i in range(0, len(PIPELINE), step):
        events.extend(parser.feed(bytearray(PIPELINE[i:i + step])))
    assert merged(events) == merged(_core.HttpParser(1).feed(PIPELINE))


def test_response_events_and_eof_framing():
    parser = _core.HttpParser(2)
    events = parser.feed(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\n"
                         b"Content-Length: 2\r\n\r\nnoHTTP/1.0 200 OK\r\n\r\nrest")
    assert events[:5] == [(HEAD, 100, "Continue", 1, 1, {}, True, 0), (END,),
                          (HEAD, 404, "Not Found", 1, 1, {"content-length": ["2"]}, True, 2),
                          (BODY, b"no"), (END,)]
    assert events[5] == (HEAD, 200, "OK", 1, 0, {}, False, -2)
    assert events[6:] == [(BODY, b"rest")]
    assert parser.feed_eof() == [(END,)]


def test_skip_body_for_a_head_response_keeps_alive():
    parser = _core.HttpParser(2)
    parser.skip_body()
    assert parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n") == [
        (HEAD, 200, "OK", 1, 1, {"content-length": ["10"]}, True, 0), (END,)]


@pytest.mark.parametrize("data,status", [
    (b"GET /" + b"a" * 100 + b" HTTP/1.1\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nX: " + b"b" * 100 + b"\r\n\r\n", 431),
    (b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431),
    (b"POST / HTTP/1.1\r\nContent-Length: 51\r\n\r\n", 413),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + b"x" * 64, 413),
    (b"FOO / HTTP/1.1\r\n\r\n", 405),
    (b"F(O / HTTP/1.1\r\n\r\n", 400),
    (b"GET / HTTP/3.0\r\n\r\n", 505),
    (b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
])
def test_limits_and_errors(data, status):
    parser = _core.HttpParser(1, max_line=50, max_header_bytes=80, max_headers=2, max_body=50)
    events = parser.feed(data)
    assert events[-1][:2] == (ERROR, status)
    assert isinstance(events[-1][2], str) and events[-1][2]
    assert parser.feed(b"GET / HTTP/1.1\r\n\r\n") == [events[-1]]     # dead


def test_upgrade_ends_the_http_stream():
    events = _core.HttpParser(1).feed(b"GET / HTTP/1.1\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nraw")
    assert [e[0] for e in events] == [HEAD, END, UPGRADE]


def test_bad_arguments():
    with pytest.raises(ValueError):
        _core.HttpParser(3)
    with pytest.raises(ValueError):
        _core.HttpParser(1, max_line=0)
    with pytest.raises(TypeError):
        _core.HttpParser(1).feed(u"text")
    assert not _core.HttpParser(1).feed(b"")


def test_idle():
    parser = _core.HttpParser(1)
    assert parser.idle()
    parser.feed(b"GE")
    assert not parser.idle()
    parser.feed(b"T / HTTP/1.1\r\n\r\n")
    assert parser.idle()


@pytest.mark.skipif(not hasattr(sys, "gettotalrefcount"), reason="needs a debug build of Python")
def test_no_reference_leak_per_request():
    parser = _core.HttpParser(1)
    for _ in range(100):
        parser.feed(PIPELINE[:-40])
        parser = _core.HttpParser(1)
    gc.collect()
    before = sys.gettotalrefcount()
    for _ in range(1000):
        parser.feed(PIPELINE[:-40])
        parser = _core.HttpParser(1)
    gc.collect()
    assert sys.gettotalrefcount() - before < 100


def test_no_memory_growth_per_request():
    tracemalloc = pytest.importorskip("tracemalloc")
    data = PIPELINE[:-40] * 20

    def run():
        for _ in range(200):
            _core.HttpParser(1).feed(data)
    run()
    tracemalloc.start()
    try:
        run()
        before = tracemalloc.get_traced_memory()[0]
        run()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 64 * 1024
