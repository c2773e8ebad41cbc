"""idiokit.dns: DNS lookups as streams, on the system's c-ares.

The original's API: a, aaaa, cname, mx, srv, txt, ptr, reverse_lookup,
host_lookup, ordered_srv_records, Resolver, and the exceptions DNSError,
DNSTimeout, ResponseError (plus NoData and MessageError, both DNSErrors)."""
from __future__ import absolute_import

from ._errors import DNSError, DNSTimeout, ResponseError, NoData, MessageError  # noqa: F401
from ._records import MX, SRV, ordered_srv_records  # noqa: F401
from ._resolver import (  # noqa: F401
    Resolver, a, aaaa, cname, mx, srv, txt, ptr, reverse_lookup, host_lookup)

__all__ = [
    "DNSError", "DNSTimeout", "ResponseError", "NoData", "MessageError",
    "MX", "SRV", "ordered_srv_records",
    "Resolver", "a", "aaaa", "cname", "mx", "srv", "txt", "ptr",
    "reverse_lookup", "host_lookup",
]
