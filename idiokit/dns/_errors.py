"""The exceptions of idiokit.dns, with the original's classes and fields.

They are made by the C core (src/dns_errors.c), which raises them without
calling back into Python: DNSError and its subclasses DNSTimeout, NoData,
MessageError and ResponseError (.rcode and .string, for example 3 and
"name error")."""
from __future__ import absolute_import

from .. import _core

DNSError = _core.DNSError
DNSTimeout = _core.DNSTimeout
NoData = _core.NoData
MessageError = _core.MessageError
ResponseError = _core.ResponseError

# rcode -> the original's description (RFC 1035 section 4.1.1).
RCODE_STRINGS = _core.DNS_RCODE_STRINGS
