"""What a coroutine waits on when a wait has a timeout and an alarm value:
a _Waiter, woken once by wake(value) or, after the timeout, with the alarm
value (a small stream sleeps for the timeout).  _done(value) is a wait that
is over already."""
from __future__ import absolute_import

from .. import _core
from ..idiokit import stream

_CoreEvent = _core.Event
_core_sleep = _core.sleep


class _Cancel(Exception):
    pass


class _Waiter(object):
    """A one-shot wake-up on the loop thread: wake(value) or, after
    `timeout` seconds, `alarm_value`.  `stream` is what a coroutine yields."""
    __slots__ = ("event", "done", "alarm")

    def __init__(self, timeout=None, alarm_value=None):
        self.event = _CoreEvent()
        self.done = False
        self.alarm = None
        timeout = _core.parse_timeout(timeout)   # the core's one rule (docs/socket.rst)
        if timeout is not None:
            if timeout == 0:
                self.wake(alarm_value)
            else:
                self.alarm = _alarm(self, timeout, alarm_value)

    def wake(self, value=None):
        if self.done:
            return False
        self.done = True
        if self.alarm is not None:
            self.alarm.throw(_Cancel())
            self.alarm = None
        self.event.succeed(value)
        return True

    def abandon(self):
        """The waiting coroutine went away (a throw): wake nobody later,
        so the next message or resume is not given to a dead wait."""
        if not self.done:
            self.done = True
            if self.alarm is not None:
                self.alarm.throw(_Cancel())
                self.alarm = None


@stream
def _alarm(waiter, timeout, value):
    try:
        yield _core.sleep(timeout)
    except _Cancel:
        return
    waiter.alarm = None
    waiter.wake(value)


def _done(value=None):
    event = _CoreEvent()
    event.succeed(value)
    return event
