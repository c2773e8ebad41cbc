"""What the server and the client share about an HTTP message: the
exceptions, header normalisation and serialisation (refusing CR, LF and NUL),
and the body framings (Content-Length, chunked, until close, none)."""
from __future__ import absolute_import

import re
import sys

from .. import socket

try:
    from http.client import responses as _responses
except ImportError:  # Python 2
    from httplib import responses as _responses

_PY2 = sys.version_info[0] < 3
_text = unicode if _PY2 else str  # noqa: F821 (Python 2 only)
_integers = (int, long) if _PY2 else (int,)  # noqa: F821
_strings = (str, _text)

# The reason phrases of the running Python, plus the newer codes Python 2's
# httplib does not know.
RESPONSES = {308: "Permanent Redirect", 421: "Misdirected Request",
             422: "Unprocessable Entity", 428: "Precondition Required",
             429: "Too Many Requests", 431: "Request Header Fields Too Large",
             451: "Unavailable For Legal Reasons"}
RESPONSES.update(_responses)
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_BAD_VALUE = re.compile(r"[\r\n\0]")


class ConnectionLost(socket.SocketError):
    """The peer went away before the message was complete."""


class BadRequest(Exception):
    """A request the server refuses, with the status code to answer."""

    def __init__(self, reason=None, code=400):
        if reason is None:
            reason = RESPONSES.get(code, "")
        Exception.__init__(self, reason, code)

    @property
    def code(self):
        """The status code to answer (400 by default)."""
        return self.args[1]

    @property
    def reason(self):
        """The reason phrase (the standard one for the code by default)."""
        return self.args[0]


class WriterError(Exception):
    """A body write that the message's framing does not allow."""


class WriterFinishError(WriterError):
    """finish() before all the promised Content-Length bytes were written."""


def to_bytes(data):
    """bytes for a body: text (str on Python 3, unicode on 2) is UTF-8."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, _text):
        return data.encode("utf-8")
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError("body data must be bytes or str, not %s" % type(data).__name__)


def native(value):
    """A header value as the native str; ints allowed."""
    if isinstance(value, str):
        return value
    if isinstance(value, _integers) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, bytes):        # Python 3 bytes
        return value.decode("latin-1")
    if isinstance(value, _text):        # Python 2 unicode
        return value.encode("latin-1")
    raise TypeError("header values must be str or int, not %s" % type(value).__name__)


def normalized_headers(items):
    """A dict lower-cased name -> list of str values, from a dict or pairs
    whose values are str, int or lists of them."""
    if hasattr(items, "items"):
        items = items.items()
    result = {}
    for key, values in items:
        key = (key if type(key) is str else native(key)).lower()
        kind = type(values)
        if kind is str:
            values = [values]
        elif kind is int:
            values = [str(values)]
        elif kind is list or kind is tuple:
            values = [value if type(value) is str else native(value) for value in values]
        else:
            values = [native(values)]
        known = result.get(key)
        if known is None:
            result[key] = values
        else:
            known.extend(values)
    return result


def get_header_single(headers, name, default=None):
    """The one value of header `name`; BadRequest if it is repeated."""
    values = headers.get(name)
    if not values:
        return default
    if len(values) == 1:
        return values[0]
    raise BadRequest("multiple %s headers are not allowed" % name)


def get_content_length(headers, default=None):
    """The Content-Length as an int >= 0; BadRequest if it is not one."""
    value = get_header_single(headers, "content-length")
    if value is None:
        return default
    if value.isdigit():
        return int(value)
    raise BadRequest("invalid Content-Length (not an integer >= 0)")


def get_header_list(headers, name, default=None):
    """The values of header `name` joined with commas."""
    values = headers.get(name)
    return ",".join(values) if values else default


def check_text(text, what):
    """ValueError if `text` holds CR, LF or NUL (response splitting)."""
    if _BAD_VALUE.search(text):
        raise ValueError("CR, LF and NUL are not allowed in %s: %r" % (what, text))
    return text


_checked_names = set()   # header names already found to be tokens (bounded)


def serialize_headers(headers):
    """The header block (no final empty line) as bytes; ValueError for a
    name that is not a token or a value with CR, LF or NUL."""
    lines = []
    for name, values in headers.items():
        if name not in _checked_names:
            if not _TOKEN.match(name):
                raise ValueError("invalid header name %r" % (name,))
            if len(_checked_names) < 512:
                _checked_names.add(name)
        for value in values:
            if _BAD_VALUE.search(value):
                check_text(value, "header values")
            lines.append(name + ": " + value + "\r\n")
    text = "".join(lines)
    return text if _PY2 else text.encode("latin-1")


def latin1(text):
    """A native str as bytes for the wire."""
    return text if _PY2 else text.encode("latin-1")


# ---- body framings: each turns writes into wire bytes --------------------------

class Framing(object):
    """Until close: data goes out as it is, the end is the connection's."""

    keeps_alive = False

    def __init__(self):
        self.finished = False

    def frame(self, data):
        if self.finished:
            raise WriterError("already finished")
        return data

    def end(self):
        self.finished = True
        return b""


class LimitedFraming(Framing):
    """Exactly `length` bytes (Content-Length)."""

    keeps_alive = True

    def __init__(self, length, message=None):
        Framing.__init__(self)
        self.left = length
        self.length = length
        self.message = message

    def frame(self, data):
        if self.finished:
            raise WriterError("already finished")
        if len(data) > self.left:
            raise WriterError(self.message or "content length set to %d bytes" % self.length)
        self.left -= len(data)
        return data

    def end(self):
        if self.finished:
            return b""
        if self.left:
            raise WriterFinishError("did not write all %d bytes" % self.length)
        self.finished = True
        return b""


class ChunkedFraming(Framing):
    """Transfer-Encoding: chunked."""

    keeps_alive = True

    def frame(self, data):
        if self.finished:
            raise WriterError("already finished")
        if not data:
            return b""
        return b"%x\r\n" % len(data) + data + b"\r\n" if not _PY2 else \
            "%x\r\n%s\r\n" % (len(data), data)

    def end(self):
        if self.finished:
            return b""
        self.finished = True
        return b"0\r\n\r\n"


class DroppedFraming(Framing):
    """A response to HEAD: body writes are dropped (the headers say what a
    GET would get)."""

    keeps_alive = True

    def frame(self, data):
        if self.finished:
            raise WriterError("already finished")
        return b""


def is_bodyless_status(code):
    """1xx, 204 and 304 responses never carry a body."""
    return 100 <= code < 200 or code in (204, 304)
