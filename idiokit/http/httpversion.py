"""HTTPVersion: an HTTP protocol version as a (major, minor) namedtuple."""
from __future__ import absolute_import

import collections
import re

_VERSION_RE = re.compile(r"^HTTP/(\d+)\.(\d+)$")


class HTTPVersion(collections.namedtuple("HTTPVersion", ["major", "minor"])):
    """An immutable (major, minor) pair; str() gives "HTTP/major.minor".

    It compares like a tuple, and also equal to its own string form, so code
    that compared the original's version strings ("HTTP/1.1") keeps working.
    """

    __slots__ = ()

    @classmethod
    def from_string(cls, string):
        """Parse "HTTP/x.y" (leading zeros ignored); ValueError otherwise."""
        match = _VERSION_RE.match(string)
        if match is None:
            raise ValueError("invalid HTTP version string")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self):
        return "HTTP/%d.%d" % (self.major, self.minor)

    def __eq__(self, other):
        if isinstance(other, str):
            return str(self) == other
        return tuple.__eq__(self, other)

    def __ne__(self, other):
        return not self == other

    # The tuple's own C hash (a Python function here would cost a frame per
    # lookup of a status line or a version).
    __hash__ = tuple.__hash__


#: HTTP/1.0
HTTP10 = HTTPVersion(1, 0)
#: HTTP/1.1
HTTP11 = HTTPVersion(1, 1)
