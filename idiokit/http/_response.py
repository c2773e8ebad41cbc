"""ServerResponse: a response's status, headers and body framing, written to
the connection's socket.  The status and headers are held back and go out
with the first body bytes (or at finish), in one send."""
from __future__ import absolute_import

from ._message import (
    RESPONSES, normalized_headers, get_header_single, get_header_list,
    get_content_length, check_text, serialize_headers, to_bytes, latin1,
    is_bodyless_status, Framing, LimitedFraming, ChunkedFraming, DroppedFraming,
)
from .date import format_date
from .httpversion import HTTP11

from .. import idiokit
from .._core import http_response_head

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


# The framings src/http_head.c chooses, by its number.
_FRAMINGS = (lambda length: Framing(), LimitedFraming, lambda length: ChunkedFraming(),
             lambda length: DroppedFraming())


class ServerResponse(object):
    """The response to one request.  Every method but the http_version
    property returns a stream to yield."""

    __slots__ = ("_conn", "_version", "_method", "_keep_alive", "_status",
                 "_head", "_framing", "_sent", "_closing")

    def __init__(self, conn, version, method, keep_alive):
        self._conn = conn
        self._version = version
        self._method = method
        self._keep_alive = keep_alive   # what the request allows
        self._status = None             # the status line, until sent
        self._head = None               # status + headers, until sent
        self._framing = None
        self._sent = False              # any byte of it on the wire
        self._closing = False           # the connection ends after it

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

    def write_headers(self, header_dict):
        """Set the headers (once), choosing the body's framing from them."""
        self._set_headers(header_dict)
        return _DONE

    def write(self, data):
        """Send body data (str bodies are UTF-8), with the head before it."""
        if type(data) is not bytes:
            data = to_bytes(data)
        if self._framing is None:
            self._set_headers({})
        head = self._head
        if head is None:
            if not data:
                return _DONE
            return self._conn.send(self._framing.frame(data))
        self._head = None
        self._sent = True
        return self._conn.send(head + self._framing.frame(data))

    def write_stream(self, buffer_size=16384):
        """A stream that writes every chunk sent into it, joining the chunks
        already waiting (up to buffer_size) into one write."""
        return self._conn.write_stream(self, buffer_size)

    def finish(self):
        """End the response (the server also does this after the handler)."""
        data = self._finish_bytes()
        return self._conn.send(data) if data else _DONE

    # ---- used by the connection -------------------------------------------------

    def _finish_bytes(self):
        if self._framing is None:
            self._set_headers({"content-length": 0})
        return self._take_head() + self._framing.end()

    def _take_head(self):
        head = self._head
        if head is None:
            return _EMPTY
        self._head = None
        self._sent = True
        return head

    def _set_headers(self, header_dict):
        if self._framing is not None:
            raise RuntimeError("headers already written")
        if self._status is None:
            self._status = (200, status_line(self._version, 200))
        code, line = self._status
        # The common case in one C call (src/http_head.c); None: decide here.
        fast = http_response_head(line, code, header_dict, self._version.minor,
                                  self._method == "HEAD",
                                  self._keep_alive and not self._conn.draining)
        if fast is not None:
            self._head, kind, length, self._closing = fast
            self._framing = _FRAMINGS[kind](length)
            return
        headers = normalized_headers(header_dict)
        framing = self._framing_for(code, headers)
        self._connection_header(headers, framing)
        if "date" not in headers:
            headers["date"] = [format_date()]
        self._head = line + serialize_headers(headers) + b"\r\n"
        self._framing = framing

    def _framing_for(self, code, headers):
        length = get_content_length(headers)
        coding = get_header_list(headers, "transfer-encoding")
        if is_bodyless_status(code):
            if length not in (None, 0) or coding is not None:
                raise ValueError("no body allowed for status %d" % code)
            if code >= 200:
                headers.pop("content-length", None)
            return LimitedFraming(0, "no response body allowed for %d status" % code)
        if self._method == "HEAD":
            return DroppedFraming()
        if coding is not None:
            if coding.lower() != "chunked" or self._version < HTTP11:
                raise ValueError("unsupported transfer-encoding %r" % coding)
            headers.pop("content-length", None)
            return ChunkedFraming()
        if length is not None:
            return LimitedFraming(length)
        if self._version >= HTTP11:
            headers["transfer-encoding"] = ["chunked"]
            return ChunkedFraming()
        return Framing()    # HTTP/1.0: the body ends at the close

    def _connection_header(self, headers, framing):
        value = get_header_single(headers, "connection")
        if value is not None and value.lower() not in ("close", "keep-alive"):
            raise ValueError("unknown connection value %r" % value)
        keep = (self._keep_alive and framing.keeps_alive and not self._conn.draining
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
        """A whole error response if nothing of this one was sent, else None."""
        if self._sent:
            return None
        self._status = None
        self._framing = None
        self._keep_alive = False
        self._status = (code, status_line(self._version, code))
        self._set_headers({"content-length": 0})
        return self._take_head()

