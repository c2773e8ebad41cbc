"""The exceptions of idiokit.dns, with the original's classes and fields."""
from __future__ import absolute_import

# rcode -> the original's description (RFC 1035 section 4.1.1).
RCODE_STRINGS = {
    0: "no error",
    1: "format error",
    2: "server failure",
    3: "name error",
    4: "not implemented",
    5: "refused",
}


class DNSError(Exception):
    """Every DNS failure is one of these (a malformed name is a ValueError)."""


class DNSTimeout(DNSError):
    """Every try at every server timed out."""


class NoData(DNSError):
    """The name exists but has no records of the asked type (NOERROR, empty)."""


class MessageError(DNSError):
    """A server's reply could not be parsed."""


class ResponseError(DNSError):
    """ResponseError(rcode, string=None): the server answered with an error
    rcode.  .rcode and .string, for example 3 and "name error" (NXDOMAIN);
    as in the original, str() and .args are the string alone, and an rcode
    with no name reads "rcode N"."""

    def __init__(self, rcode, string=None):
        if string is None:
            string = RCODE_STRINGS.get(rcode, "rcode {0!r}".format(rcode))
        DNSError.__init__(self, string)
        self._rcode = rcode
        self._string = string

    @property
    def rcode(self):
        return self._rcode

    @property
    def string(self):
        return self._string
