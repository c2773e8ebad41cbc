# tests/support/usage.py: what a long run must leave flat, measured in this
# process: RSS (from /proc/self/statm), references (sys.gettotalrefcount on
# debug builds, else the number of gc-tracked objects) and the core's live
# counters.  Used by the leak tests of every layer (tests/reliability,
# tests/tls).
from __future__ import absolute_import

import gc
import os
import sys

from . import guards

RSS_BOUND = 8 * 1024 * 1024
OBJECT_BOUND = 2000
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def rss():
    """The resident set size of this process, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE


def references():
    """The total reference count on a debug build, else the number of
    objects the cycle collector tracks; garbage is collected first."""
    guards.collect()
    if hasattr(sys, "gettotalrefcount"):
        return sys.gettotalrefcount()
    return len(gc.get_objects())


class Usage(object):
    """A measurement of RSS, references and live counters, taken at once."""

    def __init__(self):
        guards.collect()
        self.rss = rss()
        self.references = references()
        self.counters = guards.counters()

    def assert_flat_since(self, before):
        """Fail unless the counters are unchanged and RSS and references grew
        less than RSS_BOUND and OBJECT_BOUND since `before`."""
        assert self.counters == before.counters
        assert self.references - before.references < OBJECT_BOUND, \
            "references grew by %d" % (self.references - before.references)
        assert self.rss - before.rss < RSS_BOUND, \
            "RSS grew by %d bytes" % (self.rss - before.rss)
