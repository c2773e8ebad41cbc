"""CategorizeMessages: selective receive over a Coro's mailbox, as
asyncoro's.  Classifiers (added with add(), in order) map a message to a
category, or to None; receive(category) takes the next message of that
category, and keeps the messages of other categories for later receives.
Messages no classifier claims are the category None."""
from __future__ import absolute_import

import collections
import time

_monotonic = getattr(time, "monotonic", time.time)


class CategorizeMessages(object):
    """CategorizeMessages(coro): call its methods from that coroutine."""

    def __init__(self, coro):
        self._coro = coro
        self._classifiers = []
        self._buckets = {}

    def add(self, classifier):
        """classifier(msg) gives a category, or None to pass the message on
        to the next classifier."""
        if classifier not in self._classifiers:
            self._classifiers.append(classifier)

    def remove(self, classifier):
        """Stop using `classifier`."""
        if classifier in self._classifiers:
            self._classifiers.remove(classifier)

    def _category(self, msg):
        for classifier in self._classifiers:
            category = classifier(msg)
            if category is not None:
                return category
        return None

    def receive(self, category=None, timeout=None, alarm_value=None):
        """`msg = yield cm.receive(category, timeout, alarm_value)`: the next
        message of `category`; alarm_value when `timeout` seconds pass first
        (timeout=0 takes only what is queued already)."""
        bucket = self._buckets.get(category)
        if bucket:
            msg = bucket.popleft()
            raise StopIteration(msg)
        deadline = None if timeout is None else _monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - _monotonic())
            msg = yield self._coro.receive(timeout=left, alarm_value=_ALARM)
            if msg is _ALARM:
                raise StopIteration(alarm_value)
            got = self._category(msg)
            if got == category:
                raise StopIteration(msg)
            self._buckets.setdefault(got, collections.deque()).append(msg)


_ALARM = object()
