"""Cancel scopes: ``with idiokit.move_on_after(s):``, ``fail_after``,
``timeout``, ``shield`` and ``CancelScope``, for generator and ``async def``
streams.

A scope belongs to the stream (task) that enters it.  Each task with active
scopes has one _Frame: the stack of its scopes (innermost first through
``_parent``) and at most one pending cancellation.  The rule, trio's:

- a scope is cancelled by ``cancel()`` or by its deadline;
- the task is *effectively* cancelled while a cancelled scope is on its stack
  and no shielded scope lies between it and the top;
- while that holds, a ``Cancelled`` waits in the task's signal input, so every
  wait inside the scope raises it at once (level-triggered); the exception
  names the outermost such scope, which alone catches it on exit.

The pending Cancelled is an ordinary ``stream.throw()`` delivery: it is
withdrawn (never lost in the task) when the scope exits or a shield is entered.
"""
from __future__ import absolute_import

import math
import numbers

from . import _core
from .timer import Timeout
from .timer import timeout as _stream_timeout

Cancelled = _core.Cancelled

_frames = {}    # task -> _Frame, while the task has scopes (or a group drains)


def _check_seconds(seconds):
    if type(seconds) is float or type(seconds) is int:
        if seconds >= 0:     # False for NaN
            return float(seconds)
    elif isinstance(seconds, bool) or not isinstance(seconds, numbers.Real):
        raise TypeError("seconds must be a number, got {0!r}".format(seconds))
    seconds = float(seconds)
    if math.isnan(seconds) or seconds < 0:
        raise ValueError("seconds must be 0 or more, got {0!r}".format(seconds))
    return seconds


def _outermost_cancelled(scope):
    """Walking out from `scope` up to the first shield (included): the
    outermost cancelled scope, or None."""
    target = None
    while scope is not None:
        if scope.cancel_called:
            target = scope
        if scope.shield:
            break
        scope = scope._parent
    return target


class _Frame(object):
    """The cancel scopes of one task and its pending Cancelled delivery."""

    __slots__ = ("task", "top", "pending", "target", "hidden")

    def __init__(self, task):
        self.task = task
        self.top = None        # innermost scope (or group drain marker)
        self.pending = None    # the throw() delivery waiting in the task's input
        self.target = None     # the scope the pending Cancelled is for
        self.hidden = None     # the cancelled scope a drain marker last reported

    @classmethod
    def of(cls, task):
        frame = _frames.get(task)
        if frame is None:
            frame = _frames[task] = cls(task)
        return frame

    def push(self, scope):
        scope._parent = self.top
        self.top = scope
        if scope.cancel_called or scope.shield:
            self.update()    # else the walk from the top finds what it found

    def pop(self, scope):
        if self.top is not scope:
            raise RuntimeError("cancel scopes must be exited in the reverse order of entry")
        self.top = scope._parent
        if isinstance(scope, _Drain):
            self.hidden = None
        if self.top is None:
            self._withdraw()
            self.target = None
            if _frames.get(self.task) is self:
                del _frames[self.task]
        elif scope.cancel_called or scope.shield:
            self.update()

    def _effective(self):
        """(the outermost cancelled scope visible from the top, the one a
        drain marker on top hides from the task)."""
        hidden = None
        if isinstance(self.top, _Drain):
            hidden = _outermost_cancelled(self.top._parent)
        return _outermost_cancelled(self.top), hidden

    def update(self):
        target, hidden = self._effective()
        if hidden is not None and hidden is not self.hidden:
            self.hidden = hidden
            self.top.on_cancel(hidden)
        if target is self.target and (target is None or self.pending is not None):
            return
        self._withdraw()
        self.target = target
        if target is not None:
            self._throw(target)

    def _throw(self, target):
        exc = Cancelled()
        exc._idiokit_scope = target
        delivery = self.task.throw(exc)
        self.pending = delivery
        _core.on_done(delivery, self._delivered)

    def _delivered(self, delivery):
        if delivery is not self.pending:
            return
        self.pending = None
        state, _ = delivery._outcome()
        if state == 1 and self.target is not None:
            # Taken by a wait: the next wait in the scope gets another.  (A
            # throw into a finished task fails at once, which ends this.)
            self._throw(self.target)

    def _withdraw(self):
        delivery, self.pending = self.pending, None
        if delivery is not None and delivery._outcome()[0] == 0:
            delivery.throw(_Withdrawn())


class _Withdrawn(Exception):
    """Thrown into a pending Cancelled delivery to take it back."""


class _Drain(object):
    """A shield a task group puts on its owner while it waits for cancelled
    children: the owner's own cancellation is held back, and reported to the
    group (on_cancel) instead, which cancels the children again."""

    shield = True
    cancel_called = False

    def __init__(self, on_cancel):
        self._parent = None
        self.on_cancel = on_cancel


class CancelScope(object):
    """A region of a stream that can be cancelled, by cancel() or when
    `seconds` have passed since it was entered.

    Enter it with ``with`` (generator and ``async def`` streams) or
    ``async with``.  While it is cancelled every wait inside it raises
    ``idiokit.Cancelled``; the scope catches that on exit, sets
    ``cancelled_caught`` and the stream goes on after the block.  A
    ``shield=True`` scope keeps the cancellation of the scopes around it
    out (its own deadline or cancel() still apply).
    """

    def __init__(self, seconds=None, shield=False):
        self._seconds = None if seconds is None else _check_seconds(seconds)
        self.shield = bool(shield)
        self.cancel_called = False
        self.cancelled_caught = False
        self._frame = None
        self._parent = None
        self._alarm = None
        self._exited = False

    def __enter__(self):
        if self._frame is not None or self._exited:
            raise RuntimeError("a cancel scope can be entered only once")
        task = _core.current_task()
        if task is None:
            raise RuntimeError("cancel scopes work inside a running stream")
        self._frame = _Frame.of(task)
        if self._seconds is not None and not self.cancel_called:
            self._arm(self._seconds)
        self._frame.push(self)
        return self

    def __exit__(self, exc_type, exc, tb):
        self._disarm()
        self._exited = True
        self._frame.pop(self)
        if exc is not None and getattr(exc, "_idiokit_scope", None) is self:
            self.cancelled_caught = True
            return self._caught(exc)
        return False

    def _caught(self, exc):
        return True

    def __aenter__(self):
        return _Ready(self.__enter__())

    def __aexit__(self, exc_type, exc, tb):
        return _Ready(self.__exit__(exc_type, exc, tb))

    def cancel(self):
        """Cancel the scope: every wait inside it raises Cancelled until it
        is left.  Harmless when repeated, or after the scope was left."""
        if self.cancel_called:
            return
        self.cancel_called = True
        self._disarm()
        if self._frame is not None and not self._exited:
            self._frame.update()

    def _arm(self, seconds):
        alarm = _core.sleep(seconds)
        self._alarm = alarm
        _core.on_done(alarm, self._on_alarm)

    def _on_alarm(self, alarm):
        if alarm is self._alarm:
            self._alarm = None
            self.cancel()

    def _disarm(self):
        alarm, self._alarm = self._alarm, None
        if alarm is not None:
            alarm.succeed()    # stops its timer; _on_alarm ignores it


class _FailScope(CancelScope):
    def _caught(self, exc):
        raise Timeout("the deadline of {0:g} seconds passed".format(self._seconds))


class _Ready(object):
    """An awaitable that is done at once with `value` (for __aenter__ and
    __aexit__): awaiting it never suspends the stream."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __await__(self):
        return self

    def __iter__(self):
        return self

    def __next__(self):
        raise StopIteration(self.value)

    next = __next__


def move_on_after(seconds, shield=False):
    """A cancel scope that cancels itself `seconds` after it is entered; the
    stream goes on after the block (``scope.cancelled_caught`` tells)."""
    return CancelScope(seconds, shield)


def fail_after(seconds, shield=False):
    """Like move_on_after, but a scope that hit its deadline raises
    ``idiokit.timer.Timeout`` (also ``idiokit.Timeout``) on exit."""
    return _FailScope(seconds, shield)


def timeout(seconds, stream=None, throw=None):
    """``with idiokit.timeout(seconds):`` is ``fail_after(seconds)``.  Given a
    stream, this is ``idiokit.timer.timeout(seconds, stream, throw)``: throw
    into that one stream after `seconds` (the original's helper)."""
    if stream is not None:
        return _stream_timeout(seconds, stream, throw)
    return fail_after(seconds)


def shield():
    """A scope that keeps out the cancellation of the scopes around it, for
    clean-up that must wait (``with idiokit.shield(): yield ...``)."""
    return CancelScope(shield=True)


def drain_begin(task, on_cancel):
    """Hold back `task`'s cancellation while its group drains (task groups)."""
    marker = _Drain(on_cancel)
    _Frame.of(task).push(marker)
    return marker


def drain_end(task, marker):
    """Undo drain_begin: a cancellation held back now reaches the task."""
    _frames[task].pop(marker)
