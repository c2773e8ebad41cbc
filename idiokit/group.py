"""Task groups: streams started into a group end together.

The per-child work (start, a child's end, cancelling the others at the first
failure) is C (_core.Group); this module adds what runs once per group: the
join, the outcome (one failure, or several), and the two spellings::

    with idiokit.TaskGroup() as group:          # generator streams (2.7 too)
        group.start(child())
        yield group.wait()

    async with idiokit.TaskGroup() as group:    # async def streams
        group.start(child())

While the block runs, the group is also a cancel scope on its owner: at the
first failure of a child the owner's waits in the block raise Cancelled, which
the group turns into the failure on exit.
"""
from __future__ import absolute_import

import logging
import sys

from . import _core
from . import scope as _scope

Cancelled = _core.Cancelled
_PY2 = sys.version_info[0] == 2
_EXCEPTION_GROUPS = sys.version_info >= (3, 11)


def _stored_current():
    """The exception being handled, in the form _core.reraise takes."""
    info = sys.exc_info()
    return info if _PY2 else info[1]


def _value(stored):
    return stored[1] if _PY2 else stored


def _raise_all(errors):
    """Raise the one failure, or several: an ExceptionGroup on 3.11+, else the
    first with all of them (instances) as its ``group_errors``."""
    if len(errors) == 1:
        _core.reraise(errors[0])
    values = [_value(stored) for stored in errors]
    if _EXCEPTION_GROUPS:
        raise BaseExceptionGroup("{0} children of a task group failed".format(  # noqa: F821
            len(values)), values)
    values[0].group_errors = values
    _core.reraise(errors[0])


class _GroupScope(_scope.CancelScope):
    """The group's own cancel scope on its owner: cancelled at the first
    failure of a child, so that the owner's block stops waiting."""


class TaskGroup(_core.Group):
    """Children started into the group end together: the group ends when
    all of them have; when one fails the others are thrown
    ``idiokit.Cancelled`` and the group raises the failure.

    ``start(child)`` takes a started stream (``group.start(fetch(url))``),
    or a generator or coroutine object to run as one, and returns the
    stream.  ``cancel()`` throws Cancelled into every child still running
    (their Cancelled is then no failure).  See docs/concurrency.rst.
    """

    def __init__(self):
        _core.Group.__init__(self)
        self._owner = None
        self._scope = None
        self._reported = False

    # ---- the owner's block ---------------------------------------------------

    def _enter(self):
        if self._scope is not None:
            raise RuntimeError("a task group can be entered only once")
        self._owner = _core.current_task()
        if self._owner is None:
            raise RuntimeError("task groups work inside a running stream")
        self._scope = _GroupScope()
        self._scope.__enter__()
        self._on_failure(self._scope.cancel)
        return self

    def __enter__(self):
        return self._enter()

    def __exit__(self, exc_type, exc, tb):
        """Generator spelling: the block must end with ``yield group.wait()``
        (a generator cannot wait here).  Left early by an exception, the
        children still running are cancelled and not waited for; their
        failures are then logged (logger "idiokit")."""
        running = self.pending > 0
        if running:
            self.cancel()
            self._abandon()
        caught = self._scope.__exit__(exc_type, exc, tb)
        if running and exc is None:
            raise RuntimeError("a task group's block ended with children running: "
                               "end it with `yield group.wait()`")
        if (caught or exc is None) and not self._reported:
            self._report(None)
        return caught

    def __aenter__(self):
        return _scope._Ready(self._enter())

    def __aexit__(self, exc_type, exc, tb):
        """Async spelling: waits for the children (cancelled first if the
        block raised), then raises the outcome; a stream, so awaitable."""
        stored = None
        if exc is not None:
            stored = (exc_type, exc, tb) if _PY2 else exc
        return _core.task(_join(self, _core.current_task(), stored, True))

    # ---- joining ----------------------------------------------------------------

    def wait(self):
        """A stream that ends when every child has: yield (or await) it at the
        end of the block.  It raises the children's failure(s); a throw into
        the waiting stream cancels the children, waits for them, then raises."""
        return _core.task(_join(self, _core.current_task(), None, False))

    def _report(self, signal):
        """Raise what the group ends with: its failures, with `signal` (a
        stored exception thrown into the owner or raised by its block)."""
        self._reported = True
        errors = self._failures()
        if signal is not None and (not errors or not isinstance(_value(signal), Cancelled)):
            errors.insert(0, signal)
        if errors:
            _raise_all(errors)

    def _abandon(self):
        self._close()
        if self.pending:
            _core.task(_reap(self))


def _is_own(group, stored):
    """A Cancelled the group's scope threw into its owner (a child failed)."""
    value = _value(stored)
    return group._scope is not None and getattr(value, "_idiokit_scope", None) is group._scope


def _join(group, owner, body, leave):
    """The generator behind wait() and __aexit__, for the `owner` task:
    `body` is the block's exception (stored form) or None; `leave` leaves
    the group's scope (async with)."""
    signal = body if body is not None and not _is_own(group, body) else None
    if body is not None:
        group.cancel()
    else:
        try:
            yield group._all_done()
        except GeneratorExit:
            raise
        except BaseException:
            stored = _stored_current()
            if not _is_own(group, stored):
                signal = stored
                group.cancel()
    if group.pending:
        marker = _drain_begin(group, owner)
        try:
            while group.pending:
                try:
                    yield group._all_done()
                except GeneratorExit:
                    raise
                except BaseException:
                    group.cancel()    # a cancel during the children's clean-up
        finally:
            if marker is not None:
                _scope.drain_end(owner, marker)
    group._close()
    caught = False
    if leave:
        value = _value(body) if body is not None else None
        caught = group._scope.__exit__(type(value), value, None)
    if signal is not None and signal is body and not group._failures():
        return    # the block's own exception: __aexit__ lets it propagate
    group._report(signal)
    if caught:
        raise StopIteration(True)


def _drain_begin(group, owner):
    """While cancelled children finish, hold the owner's cancellation back;
    a scope of the owner cancelled meanwhile cancels the children again."""
    def on_cancel(hidden):
        if hidden is not group._scope:
            group.cancel()

    if owner is None:
        return None
    return _scope.drain_begin(owner, on_cancel)


def _reap(group):
    """Wait for the children of an abandoned group and log their failures."""
    yield group._all_done()
    for stored in group._failures():
        value = _value(stored)
        if isinstance(value, Cancelled):
            continue
        info = stored if _PY2 else (type(value), value, value.__traceback__)
        logging.getLogger("idiokit").error(
            "a child of a task group left early failed", exc_info=info)
