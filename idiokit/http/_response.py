"""ServerResponse: a response's status, headers and body framing, written to
the connection's socket.  The status and headers are held back and go out
with the first body bytes (or at finish), in one send.  A chunked response's
first write is held as well, until the next write, the finish, or the loop's
next polls (whichever comes first), so that a handler that writes once and
returns (the README's example) answers with one send."""
from __future__ import absolute_import

from ._message import (
    RESPONSES, WriterError, WriterFinishError, normalized_headers, get_header_single,
    get_header_list, get_content_length, check_text, serialize_headers, to_bytes, latin1,
    is_bodyless_status, _PY2,
)
from .date import format_date
from .httpversion import HTTP10, HTTP11

from .. import idiokit
from .._core import http_response_head, post

# How many of the loop's polls a held first chunk waits for the handler to
# write again or return before it goes out on its own: a poll that comes
# while handlers are still running (the loop polls every 64 steps) should
# not send it early; an idle loop polls again at once while one is held.
_HOLD_POLLS = 3

_EMPTY = b""
# What writes that send nothing give to yield: an Event that is already
# done costs a fraction of a loop turn (the loop is one per process).
_DONE = idiokit.Event()
_DONE.succeed()


def _check_code(code):
    if isinstance(code, bool) or not isinstance(code, int):
        raise TypeError("expected int, got '%s'" % type(code).__name__)
    if not 0 <= code <= 999:
        raise ValueError("status code must be between 0 and 999, got %d" % code)


_status_lines = {}   # (version, code) -> the line with the standard reason


def status_line(version, code, reason=None):
    """b"HTTP/1.1 200 OK\\r\\n"; ValueError for CR, LF or NUL in the reason."""
    if reason is None:
        line = _status_lines.get((version, code))
        if line is None:
            line = latin1("%s %d %s\r\n" % (version, code, RESPONSES.get(code, "")))
            if len(_status_lines) < 1024:
                _status_lines[(version, code)] = line
        return line
    check_text(reason, "the reason phrase")
    return latin1("%s %d %s\r\n" % (version, code, reason))


# A response's body framing, as src/http_head.c numbers it: until the close,
# Content-Length, chunked, dropped (HEAD), and none allowed (1xx, 204, 304).
CLOSE, LENGTH, CHUNKED, DROPPED, NO_BODY = range(5)


class ServerResponse(object):
    """The response to one request.  Every method but the http_version
    property returns a stream to yield."""

    __slots__ = ("_conn", "_version", "_method", "_keep_alive", "_status",
                 "_head", "_kind", "_left", "_length", "_finished", "_sent", "_closing",
                 "_held", "_flushing")

    def __init__(self, conn, version, method, keep_alive):
        self._conn = conn
        self._version = version
        self._method = method
        self._keep_alive = keep_alive   # what the request allows
        self._status = None             # (code, status line), until the headers
        self._head = None               # status + headers, until sent
        self._kind = None               # the body's framing, once the headers are set
        self._sent = False              # any byte of it written (on the wire, queued or held)
        self._closing = False           # the connection ends after it
        self._held = None               # head + first chunk, not sent yet
        self._flushing = None           # the send of the held bytes, started at a poll

    @property
    def http_version(self):
        """The version the response is written in (the request's)."""
        return self._version

    def write_continue(self, reason=None):
        """Send "100 Continue" now (before any status)."""
        if self._status is not None:
            raise RuntimeError("status already written")
        return self._conn.send(status_line(self._version, 100, reason) + b"\r\n")

    def write_status(self, code, reason=None):
        """Set the status (sent with the headers); once only."""
        _check_code(code)
        if self._status is not None:
            raise RuntimeError("status already written")
        self._status = (code, status_line(self._version, code, reason))
        return _DONE

    def write(self, data):
        """Send body data (str bodies are UTF-8), with the head before it."""
        if type(data) is not bytes:
            data = to_bytes(data)
        kind = self._kind
        if kind is None:
            self._set_headers({})
            kind = self._kind
        if self._finished:
            raise WriterError("already finished")
        if kind == LENGTH or kind == NO_BODY:
            if len(data) > self._left:
                raise WriterError("no response body allowed for %d status" % self._status[0]
                                  if kind == NO_BODY else
                                  "content length set to %d bytes" % self._length)
            self._left -= len(data)
        elif kind == CHUNKED:
            if data:
                data = chunk(data)
        elif kind == DROPPED:
            data = _EMPTY
        head = self._head
        if head is None:
            held = self._held
            if held is not None:
                if not data:
                    return _DONE
                self._held = None
                data = held + data
            elif not data:
                return _DONE
            return self._send(data)
        self._head = None
        self._sent = True
        if kind == CHUNKED:
            self._held = head + data
            _hold(self)
            return _DONE
        conn = self._conn       # no held chunk before the head: send at once
        return conn.sendall(head + data, 0, conn.write_timeout)

    def write_stream(self, buffer_size=16384):
        """A stream that writes every chunk sent into it, joining the chunks
        already waiting (up to buffer_size) into one write."""
        return self._conn.write_stream(self, buffer_size)

    def finish(self):
        """End the response (the server also does this after the handler)."""
        data = self._finish_bytes()
        return self._send(data) if data else _DONE

    # ---- used by the connection -------------------------------------------------

    def _send(self, data):
        """A stream sending data; after a held chunk's own send (started at a
        poll), one that fails as that send does."""
        conn = self._conn
        sending = conn.sendall(data, 0, conn.write_timeout)
        flushing = self._flushing
        if flushing is None:
            return sending
        self._flushing = None
        return _both(flushing, sending)

    def _finish_bytes(self):
        """The bytes that end the response (its head if still held, the
        last chunk); WriterFinishError if a Content-Length is not met."""
        kind = self._kind
        if kind is None:
            self._set_headers(_NO_HEADERS)
            kind = self._kind
        if self._finished:
            return _EMPTY
        if kind == LENGTH and self._left:
            raise WriterFinishError("did not write all %d bytes" % self._length)
        self._finished = True
        head = self._head
        if head is None:
            held = self._held
            if held is not None:
                self._held = None
                return held + _LAST_CHUNK
            return _LAST_CHUNK if kind == CHUNKED else _EMPTY
        self._head = None
        self._sent = True
        return head + _LAST_CHUNK if kind == CHUNKED else head

    def _set_headers(self, header_dict):
        """Set the headers (once), choosing the body's framing from them."""
        if self._kind is not None:
            raise RuntimeError("headers already written")
        status = self._status
        if status is None:
            status = self._status = (200, _OK.get(self._version) or
                                     status_line(self._version, 200))
        code, line = status
        # The common case in one C call (src/http_head.c); None: decide here.
        fast = http_response_head(line, code, header_dict, self._version.minor,
                                  self._method == "HEAD",
                                  self._keep_alive and not self._conn.draining)
        if fast is not None:
            self._head, self._kind, self._left, self._closing = fast
            self._length = self._left
            self._finished = False
            return _DONE
        headers = normalized_headers(header_dict)
        kind, length = self._framing_for(code, headers)
        self._connection_header(headers, kind)
        if "date" not in headers:
            headers["date"] = [format_date()]
        self._head = line + serialize_headers(headers) + b"\r\n"
        self._kind, self._left, self._length, self._finished = kind, length, length, False
        return _DONE

    # write_headers(header_dict) is _set_headers itself (one frame less per
    # response); it returns a stream that is already done.
    write_headers = _set_headers

    def _framing_for(self, code, headers):
        length = get_content_length(headers)
        coding = get_header_list(headers, "transfer-encoding")
        if is_bodyless_status(code):
            if length not in (None, 0) or coding is not None:
                raise ValueError("no body allowed for status %d" % code)
            if code >= 200:
                headers.pop("content-length", None)
            return NO_BODY, 0
        if self._method == "HEAD":
            return DROPPED, 0
        if coding is not None:
            if coding.lower() != "chunked" or self._version < HTTP11:
                raise ValueError("unsupported transfer-encoding %r" % coding)
            headers.pop("content-length", None)
            return CHUNKED, 0
        if length is not None:
            return LENGTH, length
        if self._version >= HTTP11:
            headers["transfer-encoding"] = ["chunked"]
            return CHUNKED, 0
        return CLOSE, 0     # HTTP/1.0: the body ends at the close

    def _connection_header(self, headers, kind):
        value = get_header_single(headers, "connection")
        if value is not None and value.lower() not in ("close", "keep-alive"):
            raise ValueError("unknown connection value %r" % value)
        keep = (self._keep_alive and kind != CLOSE and not self._conn.draining
                and (value is None or value.lower() == "keep-alive"))
        self._closing = not keep
        if self._version >= HTTP11:
            if keep:
                headers.pop("connection", None)
            else:
                headers["connection"] = ["close"]
        else:
            headers["connection"] = ["keep-alive" if keep else "close"]

    def _error_bytes(self, code):
        """A whole error response if nothing of this one was written, else
        what was written but is still held (or None)."""
        if self._sent:
            held, self._held = self._held, None
            return held
        self._kind = None
        self._keep_alive = False
        self._status = (code, status_line(self._version, code))
        self._set_headers({"content-length": 0})
        return self._finish_bytes()


# The responses holding a first chunk, by the polls they have waited (the
# newest first), and whether _at_poll is posted: one posted call per poll
# for all of them, not one per response.
_waiting = [[] for _ in range(_HOLD_POLLS)]
_posted = [False]


def _hold(response):
    """Count `response` (just made to hold) among the waiting ones."""
    _waiting[0].append(response)
    if not _posted[0]:
        _posted[0] = True
        try:
            post(_at_poll, None)
        except Exception:
            _posted[0] = False
            raise


def _at_poll(_):
    """Posted while responses hold a first chunk (runs at the loop's next
    poll): those that have waited _HOLD_POLLS polls are sent, the others
    age by one.  Never raises (the loop would fail)."""
    _posted[0] = False
    oldest = _waiting.pop()
    _waiting.insert(0, [])
    for response in oldest:
        if response._held is not None:
            _flush(response)
    for index in range(1, _HOLD_POLLS):
        _waiting[index] = [r for r in _waiting[index] if r._held is not None]
    if any(_waiting):
        _posted[0] = True
        try:
            post(_at_poll, None)
        except Exception:   # no memory: the handlers' next writes send them
            _posted[0] = False


def _flush(response):
    held, response._held = response._held, None
    conn = response._conn
    try:
        response._flushing = conn.sendall(held, 0, conn.write_timeout)
    except Exception:   # a closed socket: the next send says so
        response._flushing = None


@idiokit.stream
def _both(first, second):
    yield first
    yield second


_NO_HEADERS = {"content-length": 0}
_OK = dict((version, status_line(version, 200)) for version in (HTTP10, HTTP11))
_LAST_CHUNK = b"0\r\n\r\n"


def chunk(data):
    """One chunk of a chunked body."""
    return b"%x\r\n" % len(data) + data + b"\r\n" if not _PY2 else \
        "%x\r\n%s\r\n" % (len(data), data)
