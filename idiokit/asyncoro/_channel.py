"""Channel: asyncoro's publish/subscribe inside one process."""
from __future__ import absolute_import

import threading

from ..idiokit import stream, stop
from ._waiting import _Waiter, _done


class Channel(object):
    """Channel(name, transform=None): broadcast to subscribers (coroutines or channels).
    The name is unique while the channel is open. transform(name, msg) may rewrite a
    message, or drop it by returning None. Call its methods from coroutines."""

    _names = {}
    _names_lock = threading.Lock()

    def __init__(self, name, transform=None):
        with Channel._names_lock:
            if name in Channel._names:
                raise ValueError("a channel named %r exists already" % (name,))
            Channel._names[name] = self
        self.name = name
        self._transform = transform
        self._subscribers = []
        self._waiters = []

    def __repr__(self):
        return "<Channel %s>" % (self.name,)

    def set_transform(self, transform):
        """Use transform(name, msg) for the messages sent from now on (None: none)."""
        self._transform = transform

    def subscribe(self, subscriber, timeout=None):
        """`yield ch.subscribe(coro_or_channel)`: gives 0, or -1 if it is subscribed already."""
        from . import Coro
        if not isinstance(subscriber, (Coro, Channel)) or subscriber is self:
            raise ValueError("a channel's subscriber is a Coro or another Channel")
        if subscriber in self._subscribers:
            return _done(-1)
        self._subscribers.append(subscriber)
        waiters, self._waiters = self._waiters, []
        for need, waiter in waiters:
            if len(self._subscribers) >= need:
                waiter.wake(True)
            else:
                self._waiters.append((need, waiter))
        return _done(0)

    def unsubscribe(self, subscriber, timeout=None):
        """`yield ch.unsubscribe(coro_or_channel)`: gives 0, or -1 if it was not subscribed."""
        if subscriber not in self._subscribers:
            return _done(-1)
        self._subscribers.remove(subscriber)
        return _done(0)

    def send(self, message):
        """Copy message into every subscriber's mailbox; never blocks. Gives how many got it."""
        if self._transform is not None:
            message = self._transform(self.name, message)
            if message is None:
                return 0
        count = 0
        for subscriber in list(self._subscribers):
            if isinstance(subscriber, Channel):
                count += subscriber.send(message)
            elif subscriber.send(message) == 0 and subscriber.is_alive():
                count += 1
        return count

    def deliver(self, message, timeout=None, n=0):
        """`k = yield ch.deliver(msg, timeout, n)`: wait until at least n subscribers exist,
        then send; gives how many received it (0 if the timeout passed first)."""
        if len(self._subscribers) >= n:
            return _done(self.send(message))
        waiter = _Waiter(timeout, False)
        self._waiters.append((n, waiter))
        return _delivered(self, waiter, message)

    def close(self):
        """Free the name, drop every subscriber and end the waiting deliver() calls with 0."""
        with Channel._names_lock:
            if Channel._names.get(self.name) is self:
                del Channel._names[self.name]
        self._subscribers = []
        waiters, self._waiters = self._waiters, []
        for _, waiter in waiters:
            waiter.wake(False)


@stream
def _delivered(channel, waiter, message):
    ready = yield waiter.event
    if not ready:
        channel._waiters = [(n, w) for n, w in channel._waiters if w is not waiter]
        stop(0)
    stop(channel.send(message))
