"""Record types of idiokit.dns results (MX, SRV), the resource records that
Resolver.query returns (RR and its data types), and RFC 2782 ordering."""
from __future__ import absolute_import

import random
from collections import namedtuple

from .. import _core

# namedtuples made by the C core (src/dns_errors.c), which builds the records
# of mx() and srv() answers without calling back into Python.
MX = _core.DnsMX
SRV = _core.DnsSRV

# Resolver.query's records, with the fields of the original's RR objects.
# ttl is None where c-ares (1.18) does not report it: it does for A and AAAA.
RR = namedtuple("RR", "name type cls ttl data")
A = namedtuple("A", "ip")
AAAA = namedtuple("AAAA", "ip")
CNAME = namedtuple("CNAME", "name")
PTR = namedtuple("PTR", "name")
NS = namedtuple("NS", "name")
TXT = namedtuple("TXT", "strings")


def ordered_srv_records(srv_records):
    """Yield SRV records in RFC 2782 order: by priority, then by weighted
    random choice within a priority.  A lone record whose target is the root
    ("." or "") means "no service": nothing is yielded."""
    srv_records = tuple(srv_records)
    if len(srv_records) == 1 and srv_records[0].target in ("", "."):
        return

    by_priority = {}
    for srv in srv_records:
        by_priority.setdefault(srv.priority, []).append(srv)

    for priority in sorted(by_priority):
        group = sorted(by_priority[priority], key=lambda srv: srv.weight)
        total = sum(srv.weight for srv in group)
        while group:
            pick = random.uniform(0, total)
            running = 0
            for index, srv in enumerate(group):
                running += srv.weight
                if running >= pick:
                    break
            chosen = group.pop(index)
            total -= chosen.weight
            yield chosen
